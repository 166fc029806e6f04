/**
 * `npm run bench:data [-- ROWS,ROWS,...]` (default 500000,2000000,8000000): the same model trained
 * for one epoch on uploaded datasets of ROWS × 32 float32 (and a float32 target), each against a
 * fresh worker process. Prints, per size: the .npy bytes, the peak RSS of the worker and of its
 * trainer process (VmHWM, the kernel's high-water mark), and training samples/s — or why the
 * service refused the job. Peak memory that grows with the rows is data held in memory.
 *
 * Then the engine alone, in this process (`-- ROWS,... ENGINE_ROWS,...`, default 500000,2000000):
 * the same fit's second epoch from the arrays in memory and streamed from the same .npy files,
 * shuffled both ways, so the streaming's cost in samples/s is measured against the in-memory path.
 */
import fs from 'node:fs/promises';
import { openAsBlob } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { npyHeader } from '../src/datasets/npy.ts';
import { spawnWorker, workerReady } from '../test/helpers/worker-process.ts';
import { DatasetStore } from '../src/datasets/dataset-store.ts';
import { initBackend } from '../src/engine/backend.ts';
import { HostRows, type ArrayRows } from '../src/engine/data-source.ts';
import { KerasModel } from '../src/engine/model.ts';
import { Trainer } from '../src/engine/trainer.ts';
import { resolveCompile } from '../src/spec/compile.ts';
import { checkGraph, normalizeModel } from '../src/spec/graph.ts';

const SIZES = (process.argv[2] ?? '500000,2000000,8000000').split(',').map(Number);
const ENGINE_SIZES = (process.argv[3] ?? '500000,2000000').split(',').map(Number);
const COLUMNS = 32;
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kj-data-'));
const config = loadConfig({ ...process.env, REDIS_PREFIX: `kjdata-${randomUUID().slice(0, 8)}`, DATA_DIR: dataDir, LOG_LEVEL: 'error', API_KEYS: '', DATASET_MAX_BYTES: String(8 * 1024 ** 3) });
process.env.DATASET_MAX_BYTES = String(8 * 1024 ** 3);
const app = await buildApp({ config, logger: false });
await app.listen({ host: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

/** A rows × cols float32 .npy written in chunks (never whole in memory); values from a cheap LCG. */
async function writeNpyFile(file: string, rows: number, cols: number, seed: number): Promise<number> {
  const handle = await fs.open(file, 'w');
  const header = npyHeader(cols === 1 ? [rows] : [rows, cols], 'float32');
  await handle.write(header);
  let state = seed >>> 0;
  const chunkRows = 65_536;
  for (let r = 0; r < rows; r += chunkRows) {
    const n = Math.min(chunkRows, rows - r) * cols;
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      values[i] = state / 2 ** 32;
    }
    await handle.write(new Uint8Array(values.buffer));
  }
  await handle.close();
  return header.length + rows * cols * 4;
}

/** VmHWM (peak resident set) of a process and of its descendants, in MB. */
function peaks(pid: number): number[] {
  const hwm = (p: number) => {
    try {
      return Number(/VmHWM:\s+(\d+) kB/.exec(execFileSync('cat', [`/proc/${p}/status`], { encoding: 'utf8' }))?.[1] ?? 0) / 1024;
    } catch {
      return 0;
    }
  };
  const children = (p: number): number[] => {
    try {
      return execFileSync('ps', ['-o', 'pid=', '--ppid', String(p)], { encoding: 'utf8' }).split('\n').map(Number).filter(Boolean);
    } catch {
      return [];
    }
  };
  return [pid, ...children(pid).flatMap((c) => [c, ...children(c)])].map(hwm);
}

const MODEL = { sequential: [{ class_name: 'InputLayer', config: { shape: [COLUMNS] } }, { class_name: 'Dense', config: { units: 64, activation: 'relu' } }, { class_name: 'Dense', config: { units: 1 } }] };
const COMPILE = { optimizer: 'adam', loss: 'mse' };

/** Samples/s of the second epoch of a fit on these arrays (the first one traces the graph step). */
async function engineSamplesPerS(x: ArrayRows, y: ArrayRows): Promise<number> {
  const graph = checkGraph(normalizeModel(MODEL as any));
  const model = new KerasModel(graph);
  const trainer = new Trainer(model, resolveCompile(COMPILE as any, graph.outputs));
  let began = 0;
  let seconds = 0;
  try {
    await trainer.fit({ x: [x], y: [y] }, { batchSize: 1024, epochs: 2, callbacks: [{ onEpochBegin: () => void (began = performance.now()), onEpochEnd: () => void (seconds = (performance.now() - began) / 1000) }] });
  } finally {
    trainer.dispose();
    model.dispose();
  }
  return x.shape[0] / seconds;
}

const rowsOut: string[][] = [];
for (const rows of SIZES) {
  const x = path.join(dataDir, 'x.npy');
  const y = path.join(dataDir, 'y.npy');
  const bytes = (await writeNpyFile(x, rows, COLUMNS, 1)) + (await writeNpyFile(y, rows, 1, 2));
  const form = new FormData();
  form.append('file', await openAsBlob(x), 'x.npy');
  form.append('file', await openAsBlob(y), 'y.npy');
  const uploaded = await fetch(`${base}/v1/datasets`, { method: 'POST', body: form });
  const dataset = (await uploaded.json()) as any;
  await fs.rm(x);
  await fs.rm(y);
  if (uploaded.status !== 201) {
    rowsOut.push([String(rows), (bytes / 1e6).toFixed(0), '-', '-', '-', `upload ${uploaded.status}: ${dataset.detail}`]);
    continue;
  }
  const worker = spawnWorker(config, { DATASET_MAX_BYTES: String(8 * 1024 ** 3) });
  await workerReady(worker, 120_000);
  const res = await fetch(`${base}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'fit',
      model: MODEL,
      compile: COMPILE,
      fit: { x: { dataset: dataset.id, array: 'x' }, y: { dataset: dataset.id, array: 'y' }, batch_size: 1024, epochs: 1 },
    }),
  });
  const job = (await res.json()) as any;
  let note = '';
  let samplesPerS = '-';
  let peak: number[] = [];
  if (res.status !== 202) note = `refused ${res.status}: ${job.detail}`;
  else {
    for (;;) {
      const record = (await (await fetch(`${base}/v1/jobs/${job.id}`)).json()) as any;
      peak = peaks(worker.child.pid!).map((v, i) => Math.max(v, peak[i] ?? 0));
      if (['completed', 'failed'].includes(record.state)) {
        if (record.state === 'failed') note = `failed: ${record.error?.message}`;
        samplesPerS = record.progress.samples_per_s ? Math.round(record.progress.samples_per_s).toLocaleString('en') : '-';
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  worker.child.kill('SIGTERM');
  await worker.exited;
  await fetch(`${base}/v1/datasets/${dataset.id}`, { method: 'DELETE' });
  rowsOut.push([rows.toLocaleString('en'), (bytes / 1e6).toFixed(0), peak[0] ? peak[0].toFixed(0) : '-', peak[1] ? peak[1].toFixed(0) : '-', samplesPerS, note]);
  console.error(`${rows} rows done`);
}

await initBackend();
const engineOut: string[][] = [];
for (const rows of ENGINE_SIZES) {
  const store = new DatasetStore(path.join(dataDir, 'engine'), { maxBytes: 0 });
  const x = { dtype: 'float32' as const, shape: [rows, COLUMNS], values: new Float32Array(rows * COLUMNS) };
  const y = { dtype: 'float32' as const, shape: [rows], values: new Float32Array(rows) };
  let state = 1;
  for (const a of [x.values, y.values]) for (let i = 0; i < a.length; i++) a[i] = (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  await store.stage('bench', { x, y });
  const inMemory = await engineSamplesPerS(new HostRows(x), new HostRows(y));
  const [sx, sy] = [await store.openRows('bench', 'x'), await store.openRows('bench', 'y')];
  const streamed = await engineSamplesPerS(sx, sy);
  await Promise.all([sx.close(), sy.close()]);
  await store.remove('bench');
  engineOut.push([rows.toLocaleString('en'), Math.round(inMemory).toLocaleString('en'), Math.round(streamed).toLocaleString('en'), (streamed / inMemory).toFixed(2)]);
  console.error(`engine ${rows} rows done`);
}

const head = ['rows × 32', 'data MB', 'worker peak MB', 'trainer peak MB', 'samples/s', 'note'];
console.log(`bench:data on ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GB; one epoch, batch 1024, Dense(64)-Dense(1), mse`);
console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
for (const r of rowsOut) console.log(`| ${r.join(' | ')} |`);
const engineHead = ['rows × 32', 'in memory samples/s', 'streamed samples/s', 'streamed / in memory'];
console.log(`\nThe engine in one process, epoch 2 of 2, shuffled:\n| ${engineHead.join(' | ')} |\n|${engineHead.map(() => '---').join('|')}|`);
for (const r of engineOut) console.log(`| ${r.join(' | ')} |`);
await app.close();
await fs.rm(dataDir, { recursive: true, force: true });
process.exit(0);
