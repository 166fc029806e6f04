// The sweeps page: the tenant's sweeps, re-read every 2 s, each linking to its sweep page.
import { KEY_DIALOG, apiJson, el, fmt, when } from './common.js';

document.body.insertAdjacentHTML('beforeend', KEY_DIALOG);
const tbody = document.querySelector('#sweeps tbody');
const ENDED = new Set(['completed', 'failed', 'cancelled', 'stopped']);

function row(sweep) {
  const { spec, trials, best } = sweep;
  const ended = trials.filter((t) => ENDED.has(t.state)).length;
  const active = trials.length - ended;
  return el(
    'tr',
    { 'data-sweep': sweep.id, 'data-state': sweep.state },
    el('td', {}, el('a', { href: `/ui/sweep.html?id=${encodeURIComponent(sweep.id)}` }, sweep.id.slice(0, 8))),
    el('td', {}, el('span', { class: `state ${sweep.state}` }, sweep.state)),
    el('td', {}, spec.algorithm.class_name),
    el('td', {}, `${spec.objective.name} (${spec.objective.direction})`),
    el('td', {}, `${ended} of ${spec.max_trials}${active ? ` · ${active} active` : ''}`),
    el('td', {}, best ? `${fmt(best.objective)} (trial ${best.trial_id})` : '—'),
    el('td', {}, when(sweep.created_at)),
    el('td', {}, when(sweep.ended_at)),
  );
}

async function refresh() {
  try {
    const { sweeps } = await apiJson('/v1/sweeps?limit=50');
    tbody.replaceChildren(...sweeps.map(row));
    document.getElementById('empty').hidden = sweeps.length > 0;
    document.getElementById('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.getElementById('error').hidden = true;
  } catch (err) {
    const box = document.getElementById('error');
    box.textContent = `Could not list sweeps: ${err.message}`;
    box.hidden = false;
  }
}

void refresh();
setInterval(refresh, 2000);
