/**
 * `npm run bench:soak [-- SECONDS]` (default 180): a mixed load against one API (this process) and
 * one worker process, on their own data folder and Redis key prefix, for minutes. Prints disk use,
 * Redis memory and the API's RSS at the start and the end, and what the load did.
 *
 * The load, in rounds: fit jobs with ~2 MB of inline arrays (staged to disk, out of Redis), long
 * fits of a tiny model (checkpoint retention), predicts on a trained model (result files), dataset
 * uploads and deletes, event streams, cancels, refused deletes of models in use,
 * and deletes of the models it is done with. What stays is what a client keeps: job records and
 * their events (until JOB_TTL_S), the models it did not delete, predictions (with their records).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { writeNpy } from '../src/datasets/npy.ts';
import { spawnWorker, workerReady } from '../test/helpers/worker-process.ts';

const SECONDS = Number(process.argv[2] ?? process.env.SOAK_SECONDS ?? 180);
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kj-soak-'));
const config = loadConfig({ ...process.env, REDIS_PREFIX: `kjsoak-${randomUUID().slice(0, 8)}`, DATA_DIR: dataDir, LOG_LEVEL: 'error', API_KEYS: '', RATE_LIMIT_PER_MINUTE: '100000000' });
const app = await buildApp({ config, logger: false });
await app.listen({ host: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
const worker = spawnWorker(config);
await workerReady(worker, 120_000);
const redis = new Redis(config.redisUrl);

/** Every request of the load gives up after 30 s, so a stall is counted instead of hanging the run. */
const deadline = () => AbortSignal.timeout(30_000);
async function post(url: string, body: unknown) {
  const res = await fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: deadline() });
  return { status: res.status, body: (await res.json()) as any };
}
const get = async (url: string) => (await (await fetch(`${base}${url}`, { signal: deadline() })).json()) as any;
const del = async (url: string) => (await fetch(`${base}${url}`, { method: 'DELETE', signal: deadline() })).status;
async function ended(id: string): Promise<any> {
  for (;;) {
    const job = await get(`/v1/jobs/${id}`);
    if (!job.state) throw new Error(`job ${id}: ${JSON.stringify(job)}`);
    if (['completed', 'failed', 'cancelled'].includes(job.state)) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function measure() {
  let files = 0;
  let bytes = 0;
  for (const e of await fs.readdir(dataDir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += (await fs.stat(path.join(e.parentPath, e.name)).catch(() => ({ size: 0 }))).size;
  }
  const keys = await redis.keys(`${config.redisPrefix}:*`);
  const byKind = new Map<string, number>();
  let redisBytes = 0;
  for (const k of keys) {
    const b = (await redis.memory('USAGE', k)) ?? 0;
    redisBytes += b;
    // job:<uuid>:events → job:*:events, and so on.
    const kind = k.slice(config.redisPrefix.length + 1).replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '*');
    byKind.set(kind, (byKind.get(kind) ?? 0) + b);
  }
  return { files, bytes, redisKeys: keys.length, redisBytes, rss: process.memoryUsage().rss, byKind };
}

const mlp = (units: number) => ({ sequential: [{ class_name: 'InputLayer', config: { shape: [32] } }, { class_name: 'Dense', config: { units, activation: 'relu' } }, { class_name: 'Dense', config: { units: 10 } }] });
const compile = { optimizer: 'adam', loss: { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true } } };
const xs = Array.from({ length: 3000 }, (_, i) => Array.from({ length: 32 }, (_, j) => Math.sin(i * 32 + j)));
const ys = Array.from({ length: 3000 }, (_, i) => i % 10);
const tally: Record<string, number> = {};
const count = (what: string) => (tally[what] = (tally[what] ?? 0) + 1);
const within = <T>(p: Promise<T>, ms: number) => Promise.race([p.catch(() => undefined), new Promise<undefined>((r) => setTimeout(r, ms))]);
const trace = (what: string) => process.env.SOAK_TRACE && process.stderr.write(`${new Date().toISOString()} ${what}\n`);

const base0 = await post('/v1/jobs', { type: 'fit', model: mlp(16), compile, fit: { x: xs.slice(0, 500), y: ys.slice(0, 500), epochs: 1 } });
const trained = (await ended(base0.body.id)).model_id as string;
const start = await measure();
const t0 = Date.now();
let rounds = 0;
while (Date.now() - t0 < SECONDS * 1000) {
  rounds++;
  const jobs: string[] = [];
  // Big inline bodies, and a long fit of a 3-weight model.
  jobs.push((await post('/v1/jobs', { type: 'fit', model: mlp(32), compile, fit: { x: xs, y: ys, epochs: 2, batch_size: 256 } })).body.id);
  jobs.push((await post('/v1/jobs', { type: 'fit', model: { sequential: [{ class_name: 'InputLayer', config: { shape: [2] } }, { class_name: 'Dense', config: { units: 1 } }] }, compile: { optimizer: 'sgd', loss: 'mse' }, fit: { x: { random: { kind: 'uniform', shape: [4, 2] } }, y: { random: { kind: 'uniform', shape: [4, 1] } }, epochs: 300 } })).body.id);
  for (let i = 0; i < 3; i++) jobs.push((await post(`/v1/models/${trained}/predict`, { x: xs.slice(0, 400) })).body.id);
  trace('delete in use');
  // A delete of a model in use is refused; a dataset comes and goes.
  if ((await del(`/v1/models/${trained}`)) === 409) count('refused deletes (409)');
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(writeNpy({ shape: [3000, 32], dtype: 'float32', values: Float32Array.from(xs.flat()) }))]), 'x.npy');
  const dataset = (await (await fetch(`${base}/v1/datasets`, { method: 'POST', body: form, signal: deadline() })).json()) as { id: string };
  trace('uploaded');
  // A stream opened now and read to its end after the job.
  trace('stream open');
  const streamed = await fetch(`${base}/v1/jobs/${jobs[1]}/events`, { signal: AbortSignal.timeout(120_000) }).catch(() => undefined);
  trace('stream answered');
  const reader = streamed?.body?.getReader();
  if (!reader || (await within(reader.read(), 10_000)) === undefined) count('streams not answered in 10 s');
  trace('stream read');
  // One job cancelled while queued or running.
  const submitted = await post('/v1/jobs', { type: 'fit', model: mlp(16), compile, fit: { x: { random: { kind: 'uniform', shape: [2000, 32] } }, y: { random: { kind: 'randint', shape: [2000], high: 10 } }, epochs: 50 } });
  if (submitted.status !== 202) throw new Error(`a submit answered ${submitted.status}: ${JSON.stringify(submitted.body)}`);
  const doomed = submitted.body.id as string;
  await del(`/v1/jobs/${doomed}`);
  trace('cancelled');
  count('cancelled');
  for (const id of jobs) count(`${(await ended(id)).state} jobs`);
  trace('jobs ended');
  await ended(doomed);
  // The job has ended, so the server closes its stream after the last event. A read that waits
  // longer than 10 s is counted as a stalled stream (seen a few times on this VM: the server had
  // closed the stream, the client's reader never reported the end), and the stream is dropped.
  for (;;) {
    const next = reader && (await within(reader.read(), 10_000));
    if (!next) {
      count('stalled streams');
      void reader?.cancel().catch(() => {});
      break;
    }
    if (next.done) break;
  }
  trace('stream closed');
  count('streams');
  await del(`/v1/datasets/${dataset.id}`);
  count('datasets uploaded and deleted');
  // The client keeps the long fit's model and deletes the other.
  const first = await get(`/v1/jobs/${jobs[0]}`);
  if ((await del(`/v1/models/${first.model_id}`)) === 204) count('models deleted');
}
const end = await measure();
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
console.log(`soak: ${rounds} rounds in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${Object.entries(tally).map(([k, v]) => `${v} ${k}`).join(', ')}`);
console.log(`${'figure'.padEnd(22)}${'start'.padStart(12)}${'end'.padStart(12)}`);
for (const [label, a, b] of [
  ['disk (data folder)', mb(start.bytes), mb(end.bytes)],
  ['files', String(start.files), String(end.files)],
  ['Redis keys', String(start.redisKeys), String(end.redisKeys)],
  ['Redis memory (keys)', mb(start.redisBytes), mb(end.redisBytes)],
  ['API RSS', mb(start.rss), mb(end.rss)],
] as const) console.log(`${label.padEnd(22)}${a.padStart(12)}${b.padStart(12)}`);
const top = [...end.byKind].sort((a, b) => b[1] - a[1]).slice(0, 5);
console.log(`Redis at the end, by key: ${top.map(([k, b]) => `${k} ${mb(b)}`).join(', ')}`);
const modelsKept = (await get('/v1/models?limit=100')).total;
console.log(`kept by the client: ${modelsKept} models (the long fits', 21 files each) and ${rounds * 3} predictions with their job records`);

worker.child.kill('SIGTERM');
await worker.exited;
await app.close();
const keys = await redis.keys(`${config.redisPrefix}:*`);
if (keys.length) await redis.del(...keys);
redis.disconnect();
await fs.rm(dataDir, { recursive: true, force: true });
