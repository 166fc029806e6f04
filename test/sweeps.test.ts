/**
 * Hyperparameter sweeps (issue 18): the search space and the grid/random algorithms on their own,
 * then whole sweeps through the real service — trials as fit jobs on two workers at once, the
 * best trial, the event stream, cancel, refusals at submit, and a controller that dies mid-sweep.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { nextGrid, nextRandom } from '../src/sweeps/algorithms.ts';
import { hyperbandSchedule } from '../src/sweeps/hyperband.ts';
import { SweepController } from '../src/sweeps/controller.ts';
import type { TrialRecord } from '../src/sweeps/oracle.ts';
import { gridPoints, pointKey, type SearchSpace } from '../src/sweeps/search-space.ts';
import { SweepStore } from '../src/sweeps/sweep-store.ts';
import { startWorker, type RunningWorker } from '../workers/start-worker.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { del, getJson, post, waitForState, waitForSweep } from './helpers/http.ts';
import { seedMlpJob } from './helpers/specs.ts';

const SPACE: SearchSpace = {
  units: { type: 'choice', values: [8, 16, 32] },
  layers: { type: 'int', min: 1, max: 2 },
  dropout: { type: 'boolean' },
  rate: { type: 'float', min: 0.1, max: 0.3, step: 0.1, parent: { name: 'dropout', values: [true] } },
};

/** Runs an algorithm to its end, every trial completing with its index as objective. */
function runToEnd(next: (trials: TrialRecord[]) => ReturnType<typeof nextGrid>) {
  const trials: TrialRecord[] = [];
  for (let guard = 0; guard < 1000; guard++) {
    const d = next(trials);
    if (d.kind !== 'trial') break;
    trials.push({ id: String(trials.length), values: d.trial.values, state: 'completed', objective: trials.length });
  }
  return trials;
}

describe('sweep algorithms', () => {
  test("GridSearch's trials are exactly the product of the active values, conditions included, each once", () => {
    const trials = runToEnd((t) => nextGrid({ space: SPACE, config: {}, direction: 'min', trials: t, maxTrials: 1000 }));
    // 3 units × 2 layers × (dropout off, or on with 3 rates).
    assert.equal(trials.length, 3 * 2 * (1 + 3));
    const expected = new Set<string>();
    for (const units of [8, 16, 32]) for (const layers of [1, 2]) {
      expected.add(pointKey({ units, layers, dropout: false }));
      for (const rate of [0.1, 0.2, 0.30000000000000004]) expected.add(pointKey({ units, layers, dropout: true, rate }));
    }
    assert.deepEqual(new Set(trials.map((t) => pointKey(t.values))), expected);
    assert.equal(gridPoints(SPACE).length, 24);
    assert.equal(runToEnd((t) => nextGrid({ space: SPACE, config: {}, direction: 'min', trials: t, maxTrials: 5 })).length, 5, 'max_trials caps the grid');
  });

  test('RandomSearch with a seed is reproducible, never repeats a point, and stops when the space is exhausted', () => {
    const run = (seed: number, maxTrials: number) => runToEnd((t) => nextRandom({ space: SPACE, config: { seed }, direction: 'min', trials: t, maxTrials })).map((t) => t.values);
    assert.deepEqual(run(42, 10), run(42, 10));
    assert.notDeepEqual(run(42, 10), run(43, 10));
    const all = run(7, 1000);
    assert.equal(new Set(all.map(pointKey)).size, all.length, 'no point twice');
    assert.ok(all.length <= 24 && all.length >= 20, `exhausted the 24 points: ${all.length}`);
    for (const v of all) assert.equal('rate' in v, v.dropout === true, 'rate only where dropout is on');
  });
});

/** The tutorial MLP with its first layer's units and the learning rate as hyperparameters. */
function tutorialBase(epochs = 2) {
  const job = seedMlpJob({ epochs, samples: 300 }) as any;
  job.model.layers[0].config.units = { $hp: 'units' };
  job.compile.optimizer.config.learning_rate = { $hp: 'learning_rate' };
  return job;
}
const space = { units: { type: 'choice', values: [8, 32] }, learning_rate: { type: 'choice', values: [0.001, 0.01] } };

describe('sweeps through the API', () => {
  let stack: Stack;
  let second: RunningWorker;
  before(async () => {
    stack = await startStack();
    second = await startWorker(stack.config, pino({ level: 'warn' }));
  });
  after(async () => {
    await second.close();
    await stack.close();
  });

  const base = tutorialBase;

  test('a grid sweep runs every point as a fit job, two at a time on two workers, and names the best', async () => {
    const res = await post(stack, '/v1/sweeps', { base: base(), search_space: space, algorithm: { class_name: 'GridSearch' }, objective: { name: 'val_loss', direction: 'min' }, max_trials: 10, max_parallel_trials: 2 });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const sweep = await waitForSweep(stack, res.body.id, ['completed', 'failed', 'cancelled']);
    assert.equal(sweep.state, 'completed');
    assert.equal(sweep.trials.length, 4);
    assert.deepEqual(new Set(sweep.trials.map((t: any) => `${t.hyperparameters.units}/${t.hyperparameters.learning_rate}`)), new Set(['8/0.001', '8/0.01', '32/0.001', '32/0.01']));
    const jobs = await Promise.all(sweep.trials.map(async (t: any) => (await getJson(stack, `/v1/jobs/${t.job_id}`)).body));
    for (const [i, job] of jobs.entries()) {
      assert.equal(job.state, 'completed');
      const trial = sweep.trials[i];
      assert.equal(trial.objective, Math.min(...job.history.val_loss), 'the objective is the best epoch');
      assert.equal(trial.epochs_run, 2);
    }
    const best = sweep.trials.reduce((a: any, b: any) => (b.objective < a.objective ? b : a));
    assert.equal(sweep.best.trial_id, best.id);
    assert.equal(sweep.best.objective, best.objective);
    assert.equal((await getJson(stack, `/v1/models/${sweep.best.model_id}`)).status, 200);
    // Two workers, max_parallel_trials 2: some trials trained at the same time.
    const overlap = jobs.some((a: any, i: number) => jobs.some((b: any, j: number) => i !== j && Date.parse(a.started_at) < Date.parse(b.finished_at) && Date.parse(b.started_at) < Date.parse(a.finished_at)));
    assert.ok(overlap, `trials ran concurrently: ${jobs.map((j: any) => `${j.started_at}..${j.finished_at}`).join(' ')}`);

    // The event stream, replayed from the start and from the middle.
    const text = await (await fetch(`${stack.baseUrl}/v1/sweeps/${res.body.id}/events`)).text();
    const types = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    assert.equal(types.filter((t) => t === 'trial_started').length, 4);
    assert.equal(types.filter((t) => t === 'trial_ended').length, 4);
    assert.ok(types.includes('new_best'));
    assert.equal(types.at(-1), 'completed');
    const ids = [...text.matchAll(/^id: (.+)$/gm)].map((m) => m[1]);
    const rest = await (await fetch(`${stack.baseUrl}/v1/sweeps/${res.body.id}/events`, { headers: { 'last-event-id': ids[2] } })).text();
    assert.deepEqual([...rest.matchAll(/^id: (.+)$/gm)].map((m) => m[1]), ids.slice(3));

    const list = await getJson(stack, '/v1/sweeps');
    assert.ok(list.body.sweeps.some((s: any) => s.id === res.body.id));
  });

  test("Hyperband runs KerasTuner's brackets, and a promoted trial continues its parent's model from the parent's last epoch", async () => {
    const config = { max_epochs: 3, factor: 3, seed: 5 };
    const body = { base: { ...base(), fit: { ...base().fit, epochs: undefined } }, search_space: space, algorithm: { class_name: 'Hyperband', config }, objective: { name: 'val_loss', direction: 'min' }, max_trials: 100, max_parallel_trials: 2 };
    const res = await post(stack, '/v1/sweeps', body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const sweep = await waitForSweep(stack, res.body.id, ['completed', 'failed', 'cancelled'], 300_000);
    assert.equal(sweep.state, 'completed', JSON.stringify(sweep.trials));
    const schedule = hyperbandSchedule(config);
    assert.equal(sweep.trials.length, schedule.total_trials);
    const planned = schedule.brackets.flatMap((b) => b.rounds.flatMap((r) => Array.from({ length: r.trials }, () => `${b.bracket}/${r.round}/${r.epochs}/${r.initial_epoch}`))).sort();
    assert.deepEqual(sweep.trials.map((t: any) => `${t.bracket}/${t.round}/${t.epochs}/${t.initial_epoch ?? 0}`).sort(), planned);
    const continued = sweep.trials.filter((t: any) => t.parent !== undefined);
    assert.ok(continued.length >= 1);
    for (const t of continued) {
      const parent = sweep.trials.find((p: any) => p.id === t.parent);
      assert.deepEqual(t.hyperparameters, parent.hyperparameters);
      const [job, parentJob] = await Promise.all([t.job_id, parent.job_id].map(async (id: string) => (await getJson(stack, `/v1/jobs/${id}`)).body));
      // The continuation's history starts with its parent's epochs: it trained on from them.
      assert.equal(job.history.loss.length, t.epochs);
      assert.deepEqual(job.history.loss.slice(0, t.initial_epoch), parentJob.history.loss);
      assert.equal(t.objective, Math.min(...job.history.val_loss.slice(t.initial_epoch)), "the objective counts the trial's own epochs");
    }
  });

  test('cancelling a sweep cancels its queued and running trials', async () => {
    const res = await post(stack, '/v1/sweeps', { base: base(200), search_space: space, algorithm: { class_name: 'RandomSearch', config: { seed: 3 } }, objective: { name: 'val_loss', direction: 'min' }, max_trials: 4, max_parallel_trials: 3 });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    for (let i = 0; i < 600; i++) {
      const { body } = await getJson(stack, `/v1/sweeps/${res.body.id}`);
      if (body.trials.some((t: any) => t.state === 'running')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const cancelled = await del(stack, `/v1/sweeps/${res.body.id}`);
    assert.equal(cancelled.status, 202);
    const sweep = await waitForSweep(stack, res.body.id, ['cancelled', 'completed']);
    assert.equal(sweep.state, 'cancelled');
    assert.ok(sweep.trials.length >= 2);
    for (const t of sweep.trials) {
      const job = await waitForState(stack, t.job_id, ['cancelled', 'completed', 'failed']);
      assert.equal(job.state, 'cancelled', `trial ${t.id}`);
    }
    assert.equal((await del(stack, `/v1/sweeps/${res.body.id}`)).status, 409);
  });

  test('what a sweep cannot honour is refused at submit, naming the field', async () => {
    const ok = { base: base(), search_space: space, algorithm: { class_name: 'GridSearch' }, objective: { name: 'val_loss', direction: 'min' }, max_trials: 2 };
    const cases: Array<[unknown, string]> = [
      [{ ...ok, base: { ...base(), fit: { ...base().fit, batch_size: { $hp: 'batch' } } } }, '/base/fit/batch_size'],
      [{ ...ok, search_space: { ...space, unused: { type: 'boolean' } } }, '/search_space/unused'],
      [{ ...ok, search_space: { ...space, learning_rate: { type: 'float', min: 0.001, max: 0.1 } } }, '/search_space/learning_rate/step'],
      [{ ...ok, algorithm: { class_name: 'Hyperband', config: { max_epochs: 9 } } }, '/base/fit/epochs'],
      [{ ...ok, search_space: { ...space, units: { type: 'choice', values: [-4, 8] } } }, '/base/model/layers/0/config/units'],
      [{ ...ok, search_space: { ...space, units: { type: 'int', min: 8, max: 4 } } }, '/search_space/units/max'],
    ];
    for (const [body, pointer] of cases) {
      const res = await post(stack, '/v1/sweeps', body);
      assert.equal(res.status, 422, `${pointer}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.errors[0].pointer, pointer, JSON.stringify(res.body));
    }
    const missing = await post(stack, '/v1/sweeps', { ...ok, objective: { name: 'val_loss' } });
    assert.ok([400, 422].includes(missing.status), 'direction is required, never guessed');
    const early = await post(stack, '/v1/sweeps', { ...ok, early_stopping: { class_name: 'MedianStopping' } });
    assert.equal(early.status, 400, 'an early_stopping policy the service does not have is refused, not ignored');
    assert.equal(early.body.errors[0].pointer, '/early_stopping/class_name');
  });
});

describe('a sweep whose controller dies', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { SWEEP_INTERVAL_MS: '3600000' } });
  });
  after(async () => {
    await stack.close();
  });

  test('a controller that dies mid-sweep is replaced: finished trials are not rerun, none is run twice', async () => {
    const res = await post(stack, '/v1/sweeps', { base: tutorialBase(1), search_space: space, algorithm: { class_name: 'RandomSearch', config: { seed: 11 } }, objective: { name: 'loss', direction: 'min' }, max_trials: 3, max_parallel_trials: 1 });
    assert.equal(res.status, 202);
    const id = res.body.id;
    const services = stack.app.services;
    const store = new SweepStore(services.redis, services.keys);
    const log = pino({ level: 'warn' });
    // This API's own controller sleeps (SWEEP_INTERVAL_MS); two stand-ins play a controller that crashes and its successor.
    const first = new SweepController(services, store, log, { leaseMs: 1500 });
    const successor = new SweepController(services, store, log, { leaseMs: 1500 });
    {
      // The first advances until its first trial has ended, then dies without a word (no stop()).
      for (let i = 0; i < 600; i++) {
        await first.tick();
        const s = (await store.get(id))!;
        if (s.trials.some((t) => t.state === 'completed')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const before = (await store.get(id))!;
      const ended = before.trials.filter((t) => t.state === 'completed').map((t) => t.job_id);
      assert.ok(ended.length >= 1);
      // Its lease still holds: the successor waits for it to lapse.
      await successor.tick();
      assert.deepEqual((await store.get(id))!.trials.length, before.trials.length);
      await new Promise((r) => setTimeout(r, 1600));
      for (let i = 0; i < 1200 && (await store.get(id))!.state === 'running'; i++) {
        await successor.tick();
        await new Promise((r) => setTimeout(r, 100));
      }
      const after = (await store.get(id))!;
      assert.equal(after.state, 'completed');
      assert.equal(after.trials.length, 3);
      assert.equal(new Set(after.trials.map((t) => t.job_id)).size, 3, 'every trial its own job, none submitted twice');
      for (const jobId of ended) assert.equal(after.trials.find((t) => t.job_id === jobId)?.state, 'completed', 'a finished trial keeps its result');
    }
  });
});
