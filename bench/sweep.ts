/**
 * `npm run bench:sweep [-- TRIALS EPOCHS SAMPLES [ASHA|MedianStoppingRule]]` (default 16 5 1000): a RandomSearch sweep of the
 * tutorial's MLP (section 1: units of both hidden layers and the learning rate searched) through
 * the whole service — API, sweep controller, BullMQ, two worker processes — once with
 * max_parallel_trials 2 and once with 1 (trials one after another), same seed, so the same trials.
 * Prints wall time, trials/min, the trials' summed job time (started → finished) and the best.
 * Naming an early_stopping policy adds a third run: 2 at once with that policy (ASHA with
 * reduction_factor 2), and how many trials it stopped.
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
const EPOCHS = Number(process.argv[3] ?? 5);
const SAMPLES = Number(process.argv[4] ?? 1000);
const POLICY = process.argv[5];
const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kj-sweep-'));
const config = loadConfig({ ...process.env, REDIS_PREFIX: `kjsweep-${randomUUID().slice(0, 8)}`, DATA_DIR: dataDir, LOG_LEVEL: 'error', API_KEYS: '' });
const app = await buildApp({ config, logger: false });
await app.listen({ host: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
const workers = [spawnWorker(config), spawnWorker(config)];
await Promise.all(workers.map((w) => workerReady(w, 120_000)));

/** The tutorial's model and data (section 1: 1000 × 32 digits, 10 classes, 5 epochs, validation). */
function sweepBody(parallel: number, earlyStopping?: string) {
  const job = seedMlpJob({ epochs: EPOCHS, samples: SAMPLES }) as any;
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
    ...(earlyStopping ? { early_stopping: { class_name: earlyStopping, ...(earlyStopping === 'ASHA' ? { config: { reduction_factor: 2 } } : {}) } } : {}),
  };
}

async function run(parallel: number, earlyStopping?: string) {
  const started = performance.now();
  const res = await fetch(`${base}/v1/sweeps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sweepBody(parallel, earlyStopping)) });
  const { id } = (await res.json()) as { id: string };
  if (res.status !== 202) throw new Error(`sweep refused: ${res.status}`);
  for (;;) {
    const sweep = (await (await fetch(`${base}/v1/sweeps/${id}`)).json()) as any;
    if (sweep.state !== 'running') {
      const seconds = (performance.now() - started) / 1000;
      const failed = sweep.trials.filter((t: any) => t.state !== 'completed' && t.state !== 'stopped').length;
      const stopped = sweep.trials.filter((t: any) => t.state === 'stopped').length;
      const jobs = await Promise.all(sweep.trials.map(async (t: any) => (await fetch(`${base}/v1/jobs/${t.job_id}`)).json() as any));
      const jobSeconds = jobs.reduce((sum, j) => sum + (Date.parse(j.finished_at) - Date.parse(j.started_at)) / 1000, 0);
      const points = sweep.trials.map((t: any) => JSON.stringify(t.hyperparameters)).sort();
      return { seconds, jobSeconds, trials: sweep.trials.length, failed, stopped, best: sweep.best, points };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const rows: string[][] = [];
const runs: Awaited<ReturnType<typeof run>>[] = [];
for (const [parallel, policy] of [[2], [1], ...(POLICY ? [[2, POLICY]] : [])] as Array<[number, string?]>) {
  const r = await run(parallel, policy);
  runs.push(r);
  rows.push([policy ? `${parallel}, ${policy}` : String(parallel), String(r.trials), String(r.failed), String(r.stopped), r.seconds.toFixed(1), ((r.trials / r.seconds) * 60).toFixed(1), r.jobSeconds.toFixed(1), r.best ? `${r.best.objective.toFixed(4)} ${JSON.stringify(r.best.hyperparameters)}` : '-']);
  console.error(`max_parallel_trials ${parallel}${policy ? ` with ${policy}` : ''} done`);
}
// Same seed, same trials: the runs differ only in how many run at once (and the policy).
if (runs.some((r) => JSON.stringify(r.points) !== JSON.stringify(runs[0].points))) throw new Error('the sweeps drew different trials');
const head = ['max_parallel_trials', 'trials', 'failed', 'stopped', 'wall s', 'trials/min', 'summed job s', 'best val_loss, hyperparameters'];
console.log(`bench:sweep on ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GB; 2 worker processes; RandomSearch(seed 2026) of the tutorial MLP, ${EPOCHS} epochs of ${SAMPLES} samples each (the same ${TRIALS} trials in every run)`);
console.log(`| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(`speed-up from 2 trials at once: ${(runs[1].seconds / runs[0].seconds).toFixed(2)}×`);
for (const w of workers) w.child.kill('SIGTERM');
await Promise.all(workers.map((w) => w.exited));
await app.close();
await fs.rm(dataDir, { recursive: true, force: true });
process.exit(0);
