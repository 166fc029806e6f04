// Shared by the dashboard pages: API calls with the API key (asked for once, kept in
// sessionStorage), and event streams read with fetch, because EventSource cannot send headers.
const KEY = 'kj-api-key';

export function apiKey() {
  return sessionStorage.getItem(KEY);
}

function askForKey(message) {
  return new Promise((resolve) => {
    const dialog = document.getElementById('key-dialog');
    dialog.querySelector('.why').textContent = message;
    const form = dialog.querySelector('form');
    form.onsubmit = (e) => {
      e.preventDefault();
      const key = form.elements.key.value.trim();
      if (!key) return;
      sessionStorage.setItem(KEY, key);
      dialog.close();
      resolve(key);
    };
    dialog.showModal();
  });
}

function headers(extra = {}) {
  const key = apiKey();
  return key ? { ...extra, authorization: `Bearer ${key}` } : extra;
}

/** fetch against the API; a 401 asks for the key and retries. Returns the Response. */
export async function api(path, init = {}) {
  for (;;) {
    const res = await fetch(path, { ...init, headers: headers(init.headers) });
    if (res.status !== 401) return res;
    const problem = await res.json().catch(() => ({}));
    await askForKey(problem.detail ?? 'This service needs an API key.');
  }
}

export async function apiJson(path, init) {
  const res = await api(path, init);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.detail ?? body.title ?? `${res.status} ${res.statusText}`);
  return body;
}

/** Downloads a file through fetch, so the API key goes along. */
export async function download(path, filename) {
  const res = await api(path);
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Follows a job's server-sent events from the start (the stream replays what happened), and
 * reconnects with Last-Event-ID after a drop. onEvent(type, data, id). Returns a stop function.
 */
export function followJob(jobId, onEvent, onEnd = () => {}) {
  return followEvents(`/v1/jobs/${encodeURIComponent(jobId)}/events`, onEvent, onEnd);
}

/** The same for any event stream of the API (a sweep's: /v1/sweeps/{id}/events). */
export function followEvents(path, onEvent, onEnd = () => {}) {
  const controller = new AbortController();
  let lastId;
  let stopped = false;
  const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
  (async () => {
    for (let attempt = 0; !stopped && attempt < 30; attempt++) {
      try {
        const res = await api(path, { signal: controller.signal, headers: lastId ? { 'last-event-id': lastId } : {} });
        if (!res.ok) throw new Error(`${res.status}`);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            let type = 'message';
            let id;
            const data = [];
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) continue;
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'event') type = val;
              else if (field === 'data') data.push(val);
              else if (field === 'id') id = val;
            }
            if (!data.length) continue;
            if (id) lastId = id;
            attempt = 0;
            if (type === 'reconnect') continue;
            onEvent(type, JSON.parse(data.join('\n')), id);
            if (TERMINAL.has(type)) {
              stopped = true;
              onEnd(type);
              return;
            }
          }
        }
      } catch (err) {
        if (stopped || err.name === 'AbortError') return;
      }
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
    }
  })();
  return () => {
    stopped = true;
    controller.abort();
  };
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  node.append(...children.filter((c) => c !== undefined && c !== null));
  return node;
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

export function fmt(value) {
  if (typeof value !== 'number') return String(value);
  return Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toExponential(3) : value.toFixed(4);
}

export const KEY_DIALOG = `
<dialog id="key-dialog">
  <form method="dialog">
    <h2>API key</h2>
    <p class="why"></p>
    <label>Key <input name="key" type="password" autocomplete="off" required></label>
    <p class="note">Kept in this tab's session storage only.</p>
    <button type="submit">Use key</button>
  </form>
</dialog>`;
