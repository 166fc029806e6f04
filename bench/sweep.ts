/**
 * `npm run bench:sweep [-- TRIALS]` (default 16): a RandomSearch sweep of the tutorial's MLP
 * (section 1: units of both hidden layers and the learning rate searched) through the whole
 * service — API, sweep controller, BullMQ, two worker processes — once with max_parallel_trials 2
 * and once with 1 (trials one after another), same seed, so the same trials. Prints wall time,
 * trials/min and the best trial of each.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { seedMlpJob } from '../test/helpers/specs.ts';
import { spawnWorker, workerReady } from '../test/helpers/worker-process.ts';

const TRIALS = Number(process.argv[2] ?? 16);
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kj-sweep-'));
const config = loadConfig({ ...process.env, REDIS_PREFIX: `kjsweep-${randomUUID().slice(0, 8)}`, DATA_DIR: dataDir, LOG_LEVEL: 'error', API_KEYS: '', SWEEP_INTERVAL_MS: '200' });
const app = await buildApp({ config, logger: false });
await app.listen({ host: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
const workers = [spawnWorker(config), spawnWorker(config)];
await Promise.all(workers.map((w) => workerReady(w, 120_000)));

/** The tutorial's model and data (section 1: 1000 × 32 digits, 10 classes, 5 epochs, validation). */
function sweepBody(parallel: number) {
  const job = seedMlpJob({ epochs: 5 }) as any;
  job.model.layers[0].config.units = { $hp: 'units_1' };
  job.model.layers[1].config.units = { $hp: 'units_2' };
  job.compile.optimizer.config.learning_rate = { $hp: 'learning_rate' };
  return {
    base: job,
    search_space: {
      units_1: { type: 'int', min: 32, max: 256, step: 32 },
      units_2: { type: 'int', min: 32, max: 256, step: 32 },
      learning_rate: { type: 'float', min: 1e-4, max: 1e-2, sampling: 'log' },
    },
    algorithm: { class_name: 'RandomSearch', config: { seed: 2026 } },
    objective: { name: 'val_loss', direction: 'min' },
    max_trials: TRIALS,
    max_parallel_trials: parallel,
  };
}

async function run(parallel: number) {
  const started = performance.now();
  const res = await fetch(`${base}/v1/sweeps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sweepBody(parallel)) });
  const { id } = (await res.json()) as { id: string };
  if (res.status !== 202) throw new Error(`sweep refused: ${res.status}`);
  for (;;) {
    const sweep = (await (await fetch(`${base}/v1/sweeps/${id}`)).json()) as any;
    if (sweep.state !== 'running') {
      const seconds = (performance.now() - started) / 1000;
      const failed = sweep.trials.filter((t: any) => t.state !== 'completed').length;
      return { seconds, trials: sweep.trials.length, failed, best: sweep.best };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const rows: string[][] = [];
for (const parallel of [2, 1]) {
  const r = await run(parallel);
  rows.push([String(parallel), String(r.trials), String(r.failed), r.seconds.toFixed(1), ((r.trials / r.seconds) * 60).toFixed(1), r.best ? `${r.best.objective.toFixed(4)} ${JSON.stringify(r.best.hyperparameters)}` : '-']);
  console.error(`max_parallel_trials ${parallel} done`);
}
const head = ['max_parallel_trials', 'trials', 'not completed', 'wall s', 'trials/min', 'best val_loss, hyperparameters'];
console.log(`bench:sweep on ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GB; 2 worker processes; RandomSearch(seed 2026) of the tutorial MLP, 5 epochs each`);
console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
for (const w of workers) w.child.kill('SIGTERM');
await Promise.all(workers.map((w) => w.exited));
await app.close();
await fs.rm(dataDir, { recursive: true, force: true });
process.exit(0);
