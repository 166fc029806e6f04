// The job page: every history key charted per epoch as the epochs end (train and val_ on one chart
// per metric family), callback actions marked on the charts, and the job's model, results and spec.
import { KEY_DIALOG, api, apiJson, download, el, fmt, followJob, when } from './common.js';

document.body.insertAdjacentHTML('beforeend', KEY_DIALOG);
const jobId = new URLSearchParams(location.search).get('id');
document.getElementById('job-id').textContent = jobId ?? '(none)';
document.title = `Job ${jobId?.slice(0, 8)} · keras-jobs`;

const history = {}; // key → values per epoch (0-based index)
const marks = []; // {epoch, kind, text}
const charts = new Map(); // family → {plot, keys, node}
let job;

const MARK_COLORS = { early_stopping: '#c0392b', checkpoint: '#2471a3', lr_reduced: '#b9770e', resumed: '#7d3c98' };
const SERIES_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];

/** `val_loss` and `loss` share the chart `loss`; `out_a_loss` and `val_out_a_loss` share `out_a_loss`. */
const family = (key) => key.replace(/^val_/, '');

function markPlugin() {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx } = u;
          const { top, height } = u.bbox;
          ctx.save();
          for (const m of marks) {
            const x = Math.round(u.valToPos(m.epoch + 1, 'x', true));
            ctx.strokeStyle = MARK_COLORS[m.kind] ?? '#555';
            ctx.setLineDash([4, 3]);
            ctx.lineWidth = 1.5 * devicePixelRatio;
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
          }
          ctx.restore();
        },
      ],
    },
  };
}

function chartFor(fam) {
  let chart = charts.get(fam);
  if (chart) return chart;
  const keys = [fam, `val_${fam}`].filter((k) => k in history);
  const node = el('figure', { class: 'chart', 'data-family': fam, 'data-points': '0' }, el('figcaption', {}, fam));
  document.getElementById('charts').append(node);
  const width = Math.min(560, document.getElementById('charts').clientWidth - 16);
  const plot = new uPlot(
    {
      width,
      height: 240,
      scales: { x: { time: false } },
      axes: [{ label: 'epoch' }, { size: 60 }],
      series: [{ label: 'epoch' }, ...keys.map((k, i) => ({ label: k, stroke: SERIES_COLORS[i], width: 2, points: { show: true } }))],
      plugins: [markPlugin()],
    },
    [[], ...keys.map(() => [])],
    node,
  );
  chart = { plot, keys, node };
  charts.set(fam, chart);
  return chart;
}

function redraw() {
  for (const key of Object.keys(history)) chartFor(family(key));
  for (const [fam, chart] of charts) {
    const keys = [fam, `val_${fam}`].filter((k) => k in history);
    if (keys.length !== chart.keys.length) {
      // A val_ series appeared after the chart was made: rebuild it with both.
      chart.plot.destroy();
      chart.node.remove();
      charts.delete(fam);
      redraw();
      return;
    }
    const n = Math.max(...keys.map((k) => history[k].length));
    const xs = Array.from({ length: n }, (_, i) => i + 1);
    chart.plot.setData([xs, ...keys.map((k) => xs.map((_, i) => history[k][i] ?? null))]);
    chart.node.dataset.points = String(n);
  }
  document.getElementById('marks').replaceChildren(
    ...marks.map((m) => el('li', { class: `mark ${m.kind}`, 'data-kind': m.kind }, el('span', { class: 'swatch', style: `background:${MARK_COLORS[m.kind]}` }), `epoch ${m.epoch + 1}: ${m.text}`)),
  );
}

/** The checkpoint list follows the epochs, re-read at most every 2 s (a replay brings many at once). */
let modelRefresh;
function refreshModelSoon() {
  if (modelRefresh || !job?.model_id) return;
  modelRefresh = setTimeout(() => {
    modelRefresh = undefined;
    void loadModel(job.model_id);
  }, 2000);
}

function showState(state) {
  const badge = document.getElementById('state');
  badge.textContent = state;
  badge.className = `state ${state}`;
  document.body.dataset.state = state;
  document.getElementById('cancel').hidden = !(state === 'queued' || state === 'running');
}

function onEvent(type, data) {
  switch (type) {
    case 'state':
      showState(data.state);
      break;
    case 'train_begin':
      refreshModelSoon();
      break;
    case 'epoch_end':
      for (const [k, v] of Object.entries(data.logs)) {
        history[k] ??= [];
        history[k][data.epoch] = v;
      }
      document.getElementById('live-progress').textContent = `epoch ${data.epoch + 1} of ${data.epochs} done${data.samples_per_s ? ` · ${Math.round(data.samples_per_s).toLocaleString()} samples/s` : ''}`;
      redraw();
      break;
    case 'progress':
      document.getElementById('live-progress').textContent = `epoch ${data.epoch + 1} of ${data.epochs}: step ${data.step}/${data.steps} · loss ${fmt(data.loss)}`;
      break;
    case 'checkpoint':
      if (data.kind === 'model_checkpoint') marks.push({ epoch: data.epoch, kind: 'checkpoint', text: `checkpoint ${data.name} saved${data.monitor ? ` (${data.monitor} ${fmt(data.value)})` : ''}` });
      redraw();
      refreshModelSoon();
      break;
    case 'early_stopping':
      marks.push({ epoch: data.epoch, kind: 'early_stopping', text: `early stopping on ${data.monitor}${data.restored_best_weights ? ', best weights restored' : ''}` });
      redraw();
      break;
    case 'lr_reduced':
      marks.push({ epoch: data.epoch, kind: 'lr_reduced', text: `learning rate ${fmt(data.old_learning_rate)} → ${fmt(data.learning_rate)}` });
      redraw();
      break;
    case 'resumed':
      marks.push({ epoch: Math.max(0, data.epoch - 1), kind: 'resumed', text: `resumed from ${data.checkpoint ?? 'the start'}` });
      redraw();
      break;
    case 'completed':
    case 'failed':
    case 'cancelled':
      showState(type);
      void loadJob();
      break;
  }
}

function table(rows, head) {
  return el('table', {}, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))));
}

async function loadModel(modelId) {
  const res = await api(`/v1/models/${encodeURIComponent(modelId)}`);
  if (!res.ok) return;
  const model = await res.json();
  document.getElementById('model').hidden = false;
  const s = model.summary;
  document.getElementById('summary').replaceChildren(
    table(s.layers.map((l) => [l.name, l.class_name, `(None, ${l.output_shape.join(', ')})`, l.params.toLocaleString(), l.inbound.join(', ')]), ['Layer', 'Type', 'Output shape', 'Params', 'Inbound']),
    el('p', { class: 'muted' }, `Total params: ${s.total_params.toLocaleString()} · trainable: ${s.trainable_params.toLocaleString()} · non-trainable: ${s.non_trainable_params.toLocaleString()}`),
    el('button', { type: 'button', onclick: () => download(model.links.archive, `${model.id}.tar.gz`) }, 'Download final model (.tar.gz)'),
  );
  document.getElementById('checkpoints').replaceChildren(
    ...model.checkpoints.map((c) =>
      el('li', {}, `${c.name} (epoch ${c.epoch + 1}${c.monitor ? `, ${c.monitor} ${fmt(c.value)}` : ''}) `, el('button', { type: 'button', class: 'link', onclick: () => download(`${model.links.archive}?checkpoint=${encodeURIComponent(c.name)}`, `${model.id}-${c.name}.tar.gz`) }, 'download')),
    ),
  );
}

function showResults(result) {
  if (!result) return;
  document.getElementById('results').hidden = false;
  if (result.evaluate) document.getElementById('evaluate').replaceChildren(el('h3', {}, 'Evaluate'), table(Object.entries(result.evaluate).map(([k, v]) => [k, fmt(v)]), ['Metric', 'Value']));
  if (result.predictions) {
    const blocks = result.predictions.map((out, i) => {
      const name = result.output_names?.[i] ?? `output ${i}`;
      const rows = out.slice(0, 5).map((r, j) => [String(j), Array.isArray(r) ? r.slice(0, 10).map(fmt).join('  ') + (r.length > 10 ? ' …' : '') : fmt(r)]);
      return el('div', {}, el('h4', {}, `${name} · shape [${result.shapes?.[i]?.join(', ') ?? out.length}]`), table(rows, ['Sample', 'Prediction']));
    });
    document.getElementById('predictions').replaceChildren(el('h3', {}, 'Predictions (first 5)'), ...blocks);
  }
}

async function loadJob() {
  job = await apiJson(`/v1/jobs/${encodeURIComponent(jobId)}`);
  showState(job.state);
  const facts = [
    ['Type', job.type],
    ['Created', when(job.created_at)],
    ['Started', when(job.started_at)],
    ['Finished', when(job.finished_at)],
    ['Backend', job.backend ?? '—'],
    ['Attempts', String(job.attempts)],
  ];
  document.getElementById('facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  const error = document.getElementById('error');
  error.hidden = !job.error;
  error.textContent = job.error ? `Failed: ${job.error.message}` : '';
  showResults(job.result);
  // A queued fit job's model has no description until a worker starts training it.
  if (job.model_id && job.state !== 'queued') await loadModel(job.model_id);
}

document.getElementById('cancel').addEventListener('click', async () => {
  const res = await api(`/v1/jobs/${encodeURIComponent(jobId)}`, { method: 'DELETE' });
  if (!res.ok && res.status !== 409) alert(`Cancel failed: ${res.status}`);
  await loadJob();
});

(async () => {
  try {
    await loadJob();
    const spec = await apiJson(`/v1/jobs/${encodeURIComponent(jobId)}/spec`).catch((err) => ({ spec: `(not available: ${err.message})` }));
    document.getElementById('spec').textContent = typeof spec.spec === 'string' ? spec.spec : JSON.stringify(spec.spec, null, 2);
    followJob(jobId, onEvent);
  } catch (err) {
    const box = document.getElementById('error');
    box.textContent = `Could not load job ${jobId}: ${err.message}`;
    box.hidden = false;
  }
})();
