// The sweep page: its trials (sortable by objective, the best marked), every trial's objective per
// epoch on one chart, a parallel-coordinates plot of hyperparameters against the objective, and a
// cancel button — kept live by the sweep's event stream, with the running trials' job records
// re-read every 2 s for their epochs so far.
import { KEY_DIALOG, api, apiJson, el, fmt, followEvents, when } from './common.js';

document.body.insertAdjacentHTML('beforeend', KEY_DIALOG);
const sweepId = new URLSearchParams(location.search).get('id');
document.getElementById('sweep-id').textContent = sweepId ?? '(none)';
document.title = `Sweep ${sweepId?.slice(0, 8)} · keras-jobs`;

const SVG = 'http://www.w3.org/2000/svg';
const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const ENDED = new Set(['completed', 'failed', 'cancelled', 'stopped']);
const RANK = { queued: 0, running: 1 }; // anything else is an end, rank 2

let sweep; // GET /v1/sweeps/{id}, patched by the events in between
const jobs = new Map(); // job id → {state, progress, history, final}
let sortDir = null; // null (trial order), 'asc' or 'desc' by objective
let hovered = null; // trial id under the pointer (table row or plot line)

const colorOf = (trial) => PALETTE[Number(trial.id) % PALETTE.length] ?? PALETTE[0];
const hpText = (v) => (typeof v === 'number' ? String(Number(v.toPrecision(6))) : String(v));
const rank = (state) => RANK[state] ?? 2;
const hpNames = () => Object.keys(sweep.spec.search_space);

/** A trial's state as shown: the sweep's record, or its job's when that is further along (queued → running). */
function shownState(trial) {
  if (ENDED.has(trial.state)) return trial.state;
  const job = trial.job_id && jobs.get(trial.job_id);
  return job?.state === 'running' ? 'running' : trial.state;
}

// ---- events ------------------------------------------------------------------------------

function upsertTrial(patch) {
  let trial = sweep.trials.find((t) => t.id === patch.id);
  if (!trial) {
    trial = { id: patch.id, job_id: null, hyperparameters: {}, state: 'queued', objective: null, epochs_run: null };
    sweep.trials.push(trial);
    sweep.trials.sort((a, b) => Number(a.id) - Number(b.id));
  }
  // A replayed event never takes a trial back (trial_started after the record says completed).
  const { state, ...rest } = patch;
  Object.assign(trial, rest);
  if (state && rank(state) >= rank(trial.state)) trial.state = state;
  return trial;
}

function onEvent(type, data) {
  switch (type) {
    case 'state':
      sweep.state = data.state;
      break;
    case 'trial_started':
      upsertTrial({ id: data.trial_id, job_id: data.job_id, hyperparameters: data.hyperparameters, ...(data.epochs !== undefined ? { epochs: data.epochs, initial_epoch: data.initial_epoch } : {}) });
      void pollJobs();
      break;
    case 'trial_ended': {
      const trial = upsertTrial({ id: data.trial_id, job_id: data.job_id, hyperparameters: data.hyperparameters, state: data.state, objective: data.objective, epochs_run: data.epochs_run, ...(data.error ? { error: data.error } : {}), ...(data.stopped_reason ? { stopped_reason: data.stopped_reason } : {}) });
      // Its whole history, once, for the chart.
      if (trial.job_id && !jobs.get(trial.job_id)?.final) void loadJob(trial.job_id).catch(() => {});
      break;
    }
    case 'trial_stopped':
      upsertTrial({ id: data.trial_id, stopped_reason: data.reason });
      break;
    case 'new_best':
      sweep.best = data;
      break;
    case 'completed':
    case 'cancelled':
    case 'failed':
      sweep.state = type;
      if (data.best !== undefined) sweep.best = data.best;
      void reloadSweep();
      break;
  }
  reloadSoon();
  renderSoon();
}

// ---- loading -----------------------------------------------------------------------------

async function reloadSweep() {
  sweep = mergeLive(await apiJson(`/v1/sweeps/${encodeURIComponent(sweepId)}`));
  for (const t of sweep.trials) if (t.job_id && ENDED.has(t.state) && !jobs.get(t.job_id)?.final) void loadJob(t.job_id).catch(() => {});
  renderSoon();
}

/** A re-read record may lag an event just applied (the controller saves, then emits): keep the further state. */
function mergeLive(fresh) {
  if (!sweep) return fresh;
  for (const old of sweep.trials) {
    const t = fresh.trials.find((x) => x.id === old.id);
    if (!t) fresh.trials.push(old);
    else if (rank(old.state) > rank(t.state)) Object.assign(t, { state: old.state, objective: old.objective, epochs_run: old.epochs_run });
  }
  fresh.trials.sort((a, b) => Number(a.id) - Number(b.id));
  if (!ENDED.has(fresh.state) && ENDED.has(sweep.state)) fresh.state = sweep.state;
  // The best only improves: keep the event's when the record has not caught up with it.
  const sign = fresh.spec.objective.direction === 'min' ? 1 : -1;
  if (sweep.best && (!fresh.best || sign * (sweep.best.objective - fresh.best.objective) < 0)) fresh.best = sweep.best;
  return fresh;
}

let reloadTimer;
function reloadSoon() {
  if (reloadTimer) return;
  reloadTimer = setTimeout(() => {
    reloadTimer = undefined;
    reloadSweep().catch(() => {});
  }, 400);
}

/** A trial's job record: its state, epochs so far and history. Final once the job has ended (or is gone). */
async function loadJob(jobId) {
  const res = await api(`/v1/jobs/${encodeURIComponent(jobId)}`);
  if (res.status === 404) jobs.set(jobId, { ...jobs.get(jobId), final: true });
  if (!res.ok) return;
  const job = await res.json();
  jobs.set(jobId, { state: job.state, progress: job.progress, history: job.history ?? {}, final: ENDED.has(job.state) });
  renderSoon();
}

/** Trials whose job may still change: the active ones, and ended ones whose job has not been read ended. */
const unsettled = () => sweep.trials.filter((t) => t.job_id && !jobs.get(t.job_id)?.final);

let polling = false;
async function pollJobs() {
  if (polling || !sweep) return;
  polling = true;
  try {
    await Promise.all(unsettled().map((t) => loadJob(t.job_id).catch(() => {})));
  } finally {
    polling = false;
  }
}

// ---- rendering ---------------------------------------------------------------------------

let frame;
function renderSoon() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = undefined;
    render();
  });
}

function render() {
  if (!sweep) return;
  renderHeader();
  renderTable();
  renderCurves();
  renderParallel();
}

function renderHeader() {
  const { spec, state, trials } = sweep;
  const badge = document.getElementById('state');
  badge.textContent = state;
  badge.className = `state ${state}`;
  document.body.dataset.state = state;
  const cancel = document.getElementById('cancel');
  cancel.hidden = state !== 'running';
  const ended = trials.filter((t) => ENDED.has(t.state)).length;
  const running = trials.filter((t) => shownState(t) === 'running').length;
  document.getElementById('live').textContent = `${ended} of ${trials.length} trial${trials.length === 1 ? '' : 's'} ended${running ? ` · ${running} running` : ''}`;
  const config = spec.algorithm.config && Object.keys(spec.algorithm.config).length ? ` (${Object.entries(spec.algorithm.config).map(([k, v]) => `${k} ${v}`).join(', ')})` : '';
  const facts = [
    ['Algorithm', `${spec.algorithm.class_name}${config}`],
    ['Objective', `${spec.objective.name} (${spec.objective.direction})`],
    ['Trials', `${trials.length} of max ${spec.max_trials}, ${spec.max_parallel_trials ?? 1} at once`],
    ['Created', when(sweep.created_at)],
    ['Ended', when(sweep.ended_at)],
    ['Hyperparameters', hpNames().join(', ')],
  ];
  document.getElementById('facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  const best = document.getElementById('best');
  best.hidden = !sweep.best;
  if (sweep.best) {
    const b = sweep.best;
    best.dataset.trial = b.trial_id;
    best.replaceChildren(
      el('strong', {}, '★ Best: '),
      `trial ${b.trial_id} · ${spec.objective.name} ${fmt(b.objective)} · `,
      Object.entries(b.hyperparameters).map(([k, v]) => `${k}=${hpText(v)}`).join(', '),
      ' · ',
      el('a', { href: `/ui/job.html?id=${encodeURIComponent(b.job_id)}` }, `job ${b.job_id.slice(0, 8)}`),
    );
  }
  const error = document.getElementById('error');
  error.hidden = !sweep.error;
  error.textContent = sweep.error ? `Failed: ${sweep.error}` : '';
}

function sortedTrials() {
  const trials = [...sweep.trials];
  if (!sortDir) return trials;
  const sign = sortDir === 'asc' ? 1 : -1;
  // Trials without an objective go last either way.
  return trials.sort((a, b) => (a.objective === null) - (b.objective === null) || sign * ((a.objective ?? 0) - (b.objective ?? 0)) || Number(a.id) - Number(b.id));
}

function epochsCell(trial) {
  const job = trial.job_id && jobs.get(trial.job_id);
  const total = trial.epochs ?? job?.progress?.epochs;
  const done = trial.epochs_run ?? job?.progress?.epoch;
  if (done === undefined || done === null) return '—';
  return total && !ENDED.has(trial.state) ? `${done} of ${total}` : String(done);
}

function renderTable() {
  const names = hpNames();
  const arrow = sortDir === 'asc' ? ' ▲' : sortDir === 'desc' ? ' ▼' : '';
  const objHead = el('th', { class: 'sortable', id: 'sort-objective', 'aria-sort': sortDir === 'asc' ? 'ascending' : sortDir === 'desc' ? 'descending' : 'none', title: 'Sort by objective' }, el('button', { type: 'button', class: 'link', onclick: toggleSort }, `${sweep.spec.objective.name}${arrow}`));
  const head = document.querySelector('#trials thead tr');
  const headKey = `${names.join('\u0000')}|${sortDir}`;
  if (head.dataset.key !== headKey) {
    head.replaceChildren(el('th', {}, 'Trial'), ...names.map((n) => el('th', { class: 'hp' }, n)), el('th', {}, 'State'), objHead, el('th', {}, 'Epochs'), el('th', {}, 'Job'));
    head.dataset.key = headKey;
  }
  const bestId = sweep.best?.trial_id;
  const rows = sortedTrials().map((t) => {
    const state = shownState(t);
    const isBest = t.id === bestId;
    return el(
      'tr',
      {
        'data-trial': t.id,
        'data-state': state,
        'data-objective': t.objective ?? '',
        'data-best': isBest ? 'true' : undefined,
        class: [isBest ? 'best' : '', hovered === t.id ? 'hover' : ''].join(' ').trim() || undefined,
        onmouseenter: () => hover(t.id),
        onmouseleave: () => hover(null),
      },
      el('td', {}, el('span', { class: 'swatch', style: `background:${colorOf(t)}` }), t.id, isBest ? el('span', { class: 'best-mark', title: 'best trial' }, ' ★ best') : undefined),
      ...names.map((n) => el('td', { class: 'hp' }, n in t.hyperparameters ? hpText(t.hyperparameters[n]) : '—')),
      el('td', {}, el('span', { class: `state ${state}`, title: t.error ?? t.stopped_reason ?? '' }, state)),
      el('td', { class: 'objective' }, t.objective === null ? '—' : fmt(t.objective)),
      el('td', {}, epochsCell(t)),
      el('td', {}, t.job_id ? el('a', { href: `/ui/job.html?id=${encodeURIComponent(t.job_id)}` }, t.job_id.slice(0, 8)) : '—'),
    );
  });
  document.querySelector('#trials tbody').replaceChildren(...rows);
  document.getElementById('trials').dataset.sort = sortDir ?? 'trial';
  document.getElementById('no-trials').hidden = sweep.trials.length > 0;
}

function toggleSort() {
  sortDir = sortDir === 'asc' ? 'desc' : 'asc';
  renderTable();
}

function hover(id) {
  if (hovered === id) return;
  hovered = id;
  for (const tr of document.querySelectorAll('#trials tbody tr')) tr.classList.toggle('hover', tr.dataset.trial === id);
  for (const p of document.querySelectorAll('#parallel path.trial')) p.classList.toggle('hover', p.dataset.trial === id);
}

// ---- objective per epoch (uPlot) ---------------------------------------------------------

let curves; // {plot, signature}

/** The trial's own epochs of the objective (a Hyperband continuation's earlier ones are its parent's). */
function objectiveCurve(trial) {
  const job = trial.job_id && jobs.get(trial.job_id);
  const values = job?.history?.[sweep.spec.objective.name];
  // A stopped trial's job was cancelled and keeps no history: the curve the controller recorded.
  if (!values?.length) return trial.curve?.length ? trial.curve : undefined;
  const from = trial.initial_epoch ?? 0;
  return values.map((v, i) => (i < from ? null : v));
}

function renderCurves() {
  const figure = document.getElementById('curves');
  const name = sweep.spec.objective.name;
  figure.querySelector('figcaption').textContent = `${name} per epoch, one line per trial`;
  const withCurves = sweep.trials.map((t) => ({ trial: t, values: objectiveCurve(t) })).filter((c) => c.values);
  const n = Math.max(0, ...withCurves.map((c) => c.values.length));
  const xs = Array.from({ length: n }, (_, i) => i + 1);
  const data = [xs, ...withCurves.map((c) => xs.map((_, i) => c.values[i] ?? null))];
  const bestId = sweep.best?.trial_id;
  const signature = `${withCurves.map((c) => c.trial.id).join(',')}|${bestId}`;
  if (!curves || curves.signature !== signature) {
    curves?.plot.destroy();
    const width = Math.max(320, Math.min(1100, figure.parentElement.clientWidth - 24));
    const plot = new uPlot(
      {
        width,
        height: 300,
        scales: { x: { time: false } },
        // Whole epochs only on the x axis (uPlot would put 1.1, 1.2, ... between two epochs).
        axes: [{ label: 'epoch', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000] }, { label: name, size: 70 }],
        series: [
          { label: 'epoch' },
          ...withCurves.map(({ trial }) => ({ label: `trial ${trial.id}${trial.id === bestId ? ' ★' : ''}`, stroke: colorOf(trial), width: trial.id === bestId ? 3.5 : 1.5, points: { show: true, size: trial.id === bestId ? 6 : 4 }, spanGaps: false })),
        ],
      },
      data,
      figure,
    );
    curves = { plot, signature };
  } else {
    curves.plot.setData(data);
  }
  figure.dataset.series = String(withCurves.length);
  figure.dataset.points = String(withCurves.reduce((s, c) => s + c.values.filter((v) => v !== null).length, 0));
}

// ---- hyperparameters vs objective (parallel coordinates, SVG) ----------------------------

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** An axis for one hyperparameter: position(value) in [0, 1] (1 at the top), its ticks, and a slot for "not active". */
function hpAxis(name, hp, trials) {
  const conditional = !!hp.parent;
  if (hp.type === 'choice' || hp.type === 'boolean') {
    const values = hp.type === 'boolean' ? [false, true] : hp.values;
    const at = (v) => {
      const i = values.findIndex((x) => x === v);
      // Categories inset from the axis's ends, so they do not read as its min and max.
      return i < 0 ? undefined : (i + 0.5) / values.length;
    };
    return { name, conditional, at, ticks: values.map((v) => ({ at: at(v), text: hpText(v) })) };
  }
  const log = hp.sampling === 'log' && hp.min > 0;
  const seen = trials.map((t) => t.hyperparameters[name]).filter((v) => typeof v === 'number');
  const lo = Math.min(hp.min, ...seen);
  const hi = Math.max(hp.max, ...seen);
  const f = log ? Math.log : (v) => v;
  const at = (v) => (typeof v !== 'number' ? undefined : hi === lo ? 0.5 : (f(v) - f(lo)) / (f(hi) - f(lo)));
  const ticks = Array.from({ length: 5 }, (_, i) => {
    const v = log ? Math.exp(f(lo) + (i / 4) * (f(hi) - f(lo))) : lo + (i / 4) * (hi - lo);
    return { at: i / 4, text: hp.type === 'int' && !log ? hpText(Math.round(v)) : hpText(Number(v.toPrecision(3))) };
  });
  return { name, conditional, at, ticks, note: log ? 'log' : undefined };
}

function objectiveAxis(trials) {
  const { name, direction } = sweep.spec.objective;
  const values = trials.map((t) => t.objective).filter((v) => v !== null);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!values.length) [lo, hi] = [0, 1];
  if (lo === hi) [lo, hi] = [lo - (Math.abs(lo) || 1) * 0.05, hi + (Math.abs(hi) || 1) * 0.05];
  // Better at the top: a minimised objective's axis runs downwards.
  const up = (v) => (v - lo) / (hi - lo);
  const at = (v) => (v === null || v === undefined ? undefined : direction === 'min' ? 1 - up(v) : up(v));
  const ticks = Array.from({ length: 5 }, (_, i) => {
    const v = lo + (i / 4) * (hi - lo);
    return { at: at(v), text: fmt(v) };
  });
  return { name, conditional: false, at, ticks, note: direction, objective: true };
}

/** Darker is better: the trial's objective's place among the ended trials', as a blue shade. */
function shade(t, axis) {
  const a = axis.at(t.objective);
  if (a === undefined) return '#9ca3af';
  const light = [191, 219, 254];
  const dark = [30, 64, 175];
  return `rgb(${light.map((c, i) => Math.round(c + (dark[i] - c) * a)).join(',')})`;
}

function renderParallel() {
  const figure = document.getElementById('parallel');
  const trials = sweep.trials.filter((t) => Object.keys(t.hyperparameters).length);
  const space = sweep.spec.search_space;
  const axes = [...hpNames().map((n) => hpAxis(n, space[n], trials)), objectiveAxis(trials)];
  const width = Math.max(320, Math.min(1100, figure.parentElement.clientWidth - 24));
  const height = 320;
  const margin = { top: 40, bottom: 44, left: 70, right: 80 };
  const plotH = height - margin.top - margin.bottom;
  const x = (i) => (axes.length === 1 ? width / 2 : margin.left + (i * (width - margin.left - margin.right)) / (axes.length - 1));
  const y = (a) => margin.top + (1 - a) * plotH;
  const missingY = height - margin.bottom + 22; // "not active" slot of a conditional hyperparameter
  const bestId = sweep.best?.trial_id;
  const objAxis = axes.at(-1);

  const lines = trials
    // The best last, so it is drawn on top.
    .sort((a, b) => (a.id === bestId) - (b.id === bestId) || (a.objective === null) - (b.objective === null))
    .map((t) => {
      const pts = [];
      axes.forEach((axis, i) => {
        const a = axis.objective ? axis.at(t.objective) : axis.at(t.hyperparameters[axis.name]);
        if (a !== undefined) pts.push([x(i), y(a)]);
        else if (axis.conditional) pts.push([x(i), missingY]);
      });
      const d = pts.map(([px, py], i) => `${i ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
      const text = `trial ${t.id}: ${Object.entries(t.hyperparameters).map(([k, v]) => `${k}=${hpText(v)}`).join(', ')} → ${t.objective === null ? shownState(t) : `${sweep.spec.objective.name} ${fmt(t.objective)}`}`;
      const path = svg(
        'path',
        {
          d,
          class: `trial${t.id === bestId ? ' best' : ''}${t.objective === null ? ' pending' : ''}${hovered === t.id ? ' hover' : ''}`,
          'data-trial': t.id,
          stroke: t.id === bestId ? '#b45309' : shade(t, objAxis),
          'stroke-width': t.id === bestId ? 4 : 2,
          fill: 'none',
        },
        svg('title', {}, text),
      );
      path.addEventListener('mouseenter', () => hover(t.id));
      path.addEventListener('mouseleave', () => hover(null));
      return path;
    });

  const axisNodes = axes.map((axis, i) => {
    const ax = x(i);
    return svg(
      'g',
      { class: `axis${axis.objective ? ' objective' : ''}` },
      svg('line', { x1: ax, x2: ax, y1: y(1), y2: y(0), stroke: '#374151' }),
      svg('text', { x: ax, y: margin.top - 26, 'text-anchor': 'middle', class: 'axis-name' }, axis.name),
      svg('text', { x: ax, y: margin.top - 13, 'text-anchor': 'middle', class: 'axis-note' }, axis.objective ? `${axis.note}, best at top` : (axis.note ?? '')),
      ...axis.ticks.flatMap((tick) => [svg('line', { x1: ax - 4, x2: ax, y1: y(tick.at), y2: y(tick.at), stroke: '#374151' }), svg('text', { x: ax - 7, y: y(tick.at) + 4, 'text-anchor': 'end', class: 'tick' }, tick.text)]),
      ...(axis.conditional ? [svg('text', { x: ax - 7, y: missingY + 4, 'text-anchor': 'end', class: 'tick' }, 'inactive')] : []),
    );
  });
  figure.replaceChildren(svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'hyperparameters against objective, one line per trial' }, ...lines, ...axisNodes));
  figure.dataset.lines = String(lines.length);
}

// ---- cancel and start --------------------------------------------------------------------

document.getElementById('cancel').addEventListener('click', async (e) => {
  const button = e.currentTarget;
  button.disabled = true;
  button.textContent = 'Cancelling…';
  const res = await api(`/v1/sweeps/${encodeURIComponent(sweepId)}`, { method: 'DELETE' });
  if (!res.ok && res.status !== 409) {
    alert(`Cancel failed: ${res.status}`);
    button.disabled = false;
    button.textContent = 'Cancel';
  }
  // The stream's cancelled event ends the page's running state once the controller has stopped the trials.
});

(async () => {
  try {
    await reloadSweep();
    document.getElementById('spec').textContent = JSON.stringify(sweep.spec, null, 2);
    void pollJobs();
    followEvents(`/v1/sweeps/${encodeURIComponent(sweepId)}/events`, onEvent, () => void reloadSweep().catch(() => {}));
    const timer = setInterval(() => {
      // Once the sweep has ended and every trial's job has been read ended, nothing more changes.
      if (ENDED.has(sweep.state) && !unsettled().length) return clearInterval(timer);
      void pollJobs();
    }, 2000);
    addEventListener('resize', () => {
      curves?.plot.destroy();
      curves = undefined;
      renderSoon();
    });
  } catch (err) {
    const box = document.getElementById('error');
    box.textContent = `Could not load sweep ${sweepId}: ${err.message}`;
    box.hidden = false;
  }
})();
