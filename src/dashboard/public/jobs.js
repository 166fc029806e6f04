// The jobs page: the list is re-read every 2 s; running jobs' progress bars move live with their
// event streams (epoch_end and progress events) in between.
import { KEY_DIALOG, apiJson, el, followJob, when } from './common.js';

document.body.insertAdjacentHTML('beforeend', KEY_DIALOG);
const tbody = document.querySelector('#jobs tbody');
const filter = document.getElementById('state-filter');
filter.value = new URLSearchParams(location.search).get('state') ?? '';
const followers = new Map(); // job id → stop()
const live = new Map(); // job id → {epoch, epochs, step, steps}

function progressCell(job) {
  const p = live.get(job.id) ?? { epoch: job.progress.epoch, epochs: job.progress.epochs };
  if (!p.epochs) return el('td', {}, '—');
  const within = p.steps ? (p.step ?? 0) / p.steps : 0;
  const fraction = Math.min(1, (p.epoch + (job.state === 'running' ? within : 0)) / p.epochs);
  const label = `epoch ${Math.min(p.epoch + (job.state === 'running' && p.epoch < p.epochs ? 1 : 0), p.epochs)} of ${p.epochs}`;
  return el('td', {}, el('div', { class: 'progress', title: label, 'data-epoch': String(p.epoch), 'data-epochs': String(p.epochs) }, el('div', { class: 'bar', style: `width:${(fraction * 100).toFixed(1)}%` })), el('span', { class: 'muted small' }, label));
}

function row(job) {
  return el(
    'tr',
    { 'data-job': job.id, 'data-state': job.state },
    el('td', {}, el('a', { href: `/ui/job.html?id=${encodeURIComponent(job.id)}` }, job.id.slice(0, 8))),
    el('td', {}, job.type),
    el('td', {}, el('span', { class: `state ${job.state}` }, job.state)),
    progressCell(job),
    el('td', {}, when(job.created_at)),
    el('td', {}, when(job.started_at)),
    el('td', {}, when(job.finished_at)),
  );
}

let jobs = [];
function render() {
  tbody.replaceChildren(...jobs.map(row));
  document.getElementById('empty').hidden = jobs.length > 0;
}

function follow(job) {
  if (followers.has(job.id)) return;
  const stop = followJob(job.id, (type, data) => {
    if (type === 'epoch_begin') live.set(job.id, { epoch: data.epoch, epochs: data.epochs, step: 0, steps: 0 });
    else if (type === 'progress') live.set(job.id, { epoch: data.epoch, epochs: data.epochs, step: data.step, steps: data.steps });
    else if (type === 'epoch_end') live.set(job.id, { epoch: data.epoch + 1, epochs: data.epochs });
    else if (type === 'state' || type === 'completed' || type === 'failed' || type === 'cancelled') {
      const j = jobs.find((x) => x.id === job.id);
      if (j) j.state = data.state ?? type;
    }
    render();
  }, () => {
    followers.delete(job.id);
    void refresh();
  });
  followers.set(job.id, stop);
}

async function refresh() {
  try {
    const state = filter.value;
    const page = await apiJson(`/v1/jobs?limit=50${state ? `&state=${state}` : ''}`);
    jobs = page.jobs;
    for (const job of jobs) if (job.state === 'running' || job.state === 'queued') follow(job);
    for (const [id, stop] of followers) if (!jobs.some((j) => j.id === id)) (stop(), followers.delete(id));
    render();
    document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.getElementById('error').hidden = true;
  } catch (err) {
    const box = document.getElementById('error');
    box.textContent = `Could not list jobs: ${err.message}`;
    box.hidden = false;
  }
}

async function status() {
  const res = await fetch('/ready').catch(() => undefined);
  const body = res ? await res.json().catch(() => ({})) : {};
  document.getElementById('service-status').textContent = body.ready ? `ready · ${body.workers} worker${body.workers === 1 ? '' : 's'}` : `not ready: ${(body.reasons ?? ['API unreachable']).join(', ')}`;
}

filter.addEventListener('change', () => {
  history.replaceState(null, '', filter.value ? `?state=${filter.value}` : location.pathname);
  void refresh();
});
void refresh();
void status();
setInterval(refresh, 2000);
setInterval(status, 10_000);
