/**
 * Early stopping of trials. The policies against Ray Tune's decisions (a transcription of its
 * MedianStoppingRule and ASHA, test/fixtures/early-stopping/generator.py), then through the service:
 * a lagging trial's job is cancelled while it runs, with the reason in its events.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { ashaRungs, percentile, stopReason, type Curve } from '../src/sweeps/early-stopping.ts';
import type { EarlyStoppingPolicy } from '../src/sweeps/schema.ts';
import { SweepController } from '../src/sweeps/controller.ts';
import { SweepStore } from '../src/sweeps/sweep-store.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { del, getJson, post, waitForState } from './helpers/http.ts';
import { readEvents } from './helpers/sse.ts';

interface Scenario {
  policy: EarlyStoppingPolicy;
  direction: 'min' | 'max';
  epochs: number;
  curves: number[][];
  reports: number[];
  stopped: Record<string, number>;
}
const { scenarios } = JSON.parse(readFileSync(new URL('./fixtures/early-stopping/decisions.json', import.meta.url), 'utf8')) as { scenarios: Scenario[] };

/** Replays the reports in order, as the controller does: each trial's curve so far, a stopped trial reports no more. */
function replay(s: Scenario): Record<string, number> {
  const seen: number[][] = s.curves.map(() => []);
  const stopped: Record<string, number> = {};
  for (const t of s.reports) {
    if (stopped[t] !== undefined) continue;
    seen[t].push(s.curves[t][seen[t].length]);
    const curve: Curve = { id: String(t), values: seen[t] };
    const others = seen.flatMap((values, i) => (i === t || values.length === 0 ? [] : [{ id: String(i), values }]));
    if (stopReason(s.policy, { name: 'val_loss', direction: s.direction }, curve, others, s.epochs)) stopped[t] = seen[t].length;
  }
  return stopped;
}

describe('early-stopping policies', () => {
  test('numpy percentile and ASHA rungs', () => {
    assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
    assert.equal(percentile([4, 1, 3], 75), 3.5);
    assert.equal(percentile([-Infinity, 2], 0), -Infinity);
    assert.deepEqual(ashaRungs(1, 16, 4), [1, 4, 16]);
    assert.deepEqual(ashaRungs(2, 27, 3), [2, 6, 18]);
  });

  test(`${scenarios.length} scenarios stop the same trials at the same epochs as Ray Tune's rules`, () => {
    let stops = 0;
    for (const [i, s] of scenarios.entries()) {
      assert.deepEqual(replay(s), s.stopped, `scenario ${i}: ${s.policy.class_name} ${JSON.stringify(s.policy.config)} ${s.direction}`);
      stops += Object.keys(s.stopped).length;
    }
    assert.ok(stops > 50, `the fixtures stop trials (${stops})`);
  });

  test('the reasons name the rule, the numbers and the epoch', () => {
    const objective = { name: 'val_loss', direction: 'min' as const };
    const others = [1, 2, 3].map((i) => ({ id: String(i), values: [1.0, 0.5, 0.4] }));
    const median = stopReason({ class_name: 'MedianStoppingRule' }, objective, { id: '0', values: [2, 1.9] }, others, 3);
    assert.equal(median, "MedianStoppingRule: its best val_loss in 2 epochs (1.9) is worse than the median (0.75) of the mean val_loss over epochs 1-2 of the 3 other trials that reached epoch 2");
    // Equal to the median is not worse: it goes on.
    assert.equal(stopReason({ class_name: 'MedianStoppingRule' }, objective, { id: '0', values: [0.75, 0.8] }, others, 3), undefined);
    const asha = stopReason({ class_name: 'ASHA', config: { reduction_factor: 2 } }, objective, { id: '0', values: [0.9, 0.6] }, others, 4);
    assert.equal(asha, 'ASHA: its val_loss at epoch 2 (0.6) is not in the top 1/2 of the 3 trials that reached epoch 2 before it (cutoff 0.5)');
    // Not a rung (3), or the last epoch (4): never judged.
    assert.equal(stopReason({ class_name: 'ASHA', config: { reduction_factor: 2 } }, objective, { id: '0', values: [0.9, 0.6, 9] }, others, 4), undefined);
    // A diverged value is the worst one.
    assert.match(stopReason({ class_name: 'ASHA' }, objective, { id: '0', values: [null] }, others, 4)!, /at epoch 1 \(Infinity\)/);
  });
});

/** y = x·w on 4 features: learnable in a few epochs with a good learning rate, not with a tiny one. */
function regressionBase(epochs: number) {
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const w = [0.8, -0.5, 0.3, 1.1];
  const x = Array.from({ length: 2000 }, () => w.map(() => rand()));
  const y = x.map((row) => [row.reduce((s, v, i) => s + v * w[i], 0)]);
  return {
    type: 'fit',
    model: { inputs: [{ name: 'x', shape: [4] }], layers: [{ name: 'out', class_name: 'Dense', config: { units: 1 }, inbound: ['x'] }], outputs: ['out'] },
    compile: { optimizer: { class_name: 'SGD', config: { learning_rate: { $hp: 'learning_rate' } } }, loss: 'mse' },
    fit: { x, y, batch_size: 32, epochs, shuffle: false },
  };
}

describe('early stopping through the service', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.close();
  });

  /** Runs a grid over learning rates, one trial at a time: the tiny rate lags from its first epoch. */
  async function sweepWith(early_stopping: unknown, epochs: number) {
    const res = await post(stack, '/v1/sweeps', {
      base: regressionBase(epochs),
      search_space: { learning_rate: { type: 'choice', values: [0.1, 1e-6, 0.12] } },
      algorithm: { class_name: 'GridSearch' },
      objective: { name: 'loss', direction: 'min' },
      max_trials: 3,
      early_stopping,
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const deadline = Date.now() + 240_000;
    for (;;) {
      const { body } = await getJson(stack, `/v1/sweeps/${res.body.id}`);
      if (body.state !== 'running') return body;
      assert.ok(Date.now() < deadline, 'the sweep ends');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  for (const [policy, pattern] of [
    [{ class_name: 'MedianStoppingRule', config: { min_samples_required: 1 } }, /^MedianStoppingRule: its best loss in (\d+) epochs? \(\S+\) is worse than the median \(\S+\) of the mean loss over epochs 1-(\d+) of the 1 other trials that reached epoch (\d+)$/],
    [{ class_name: 'ASHA', config: { reduction_factor: 2 } }, /^ASHA: its loss at epoch (\d+) \(\S+\) is not in the top 1\/2 of the 1 trial that reached epoch (\d+) before it \(cutoff \S+\)$/],
  ] as const) {
    test(`${policy.class_name}: the lagging trial's job is cancelled while it runs, with the reason in its events and the sweep's`, { timeout: 300_000 }, async () => {
      const epochs = 150;
      const sweep = await sweepWith(policy, epochs);
      assert.equal(sweep.state, 'completed');
      const [first, slow] = sweep.trials;
      assert.equal(first.state, 'completed', 'nothing to compare the first trial with');
      assert.equal(first.epochs_run, epochs);
      assert.deepEqual(first.curve.length, epochs);

      assert.equal(slow.state, 'stopped', JSON.stringify(slow));
      // Which epoch it lags at first depends on both trials' random initial weights; the reason names that epoch throughout.
      const reason = pattern.exec(slow.stopped_reason);
      assert.ok(reason, `${slow.stopped_reason} matches ${pattern}`);
      for (const epoch of reason.slice(1)) assert.equal(Number(epoch), slow.stopped_at_epoch, slow.stopped_reason);
      assert.ok(slow.epochs_run < epochs, `stopped early (${slow.epochs_run} of ${epochs} epochs)`);
      assert.ok(slow.curve.length >= slow.stopped_at_epoch, 'its curve goes on to where the cancel reached the job');
      assert.equal(slow.objective, Math.min(...slow.curve), "a stopped trial's objective is its best epoch");
      const job = (await getJson(stack, `/v1/jobs/${slow.job_id}`)).body;
      assert.equal(job.state, 'cancelled');
      const jobEvents = await readEvents(`${stack.baseUrl}/v1/jobs/${slow.job_id}/events`);
      const cancelled = JSON.parse(jobEvents.at(-1)!.data);
      assert.ok(cancelled.reason.startsWith(`stopped by the sweep's early_stopping: ${slow.stopped_reason} (cancelled after`), cancelled.reason);

      // Every trial's fate is the policy's on the curves the trials before it left (they ran one
      // at a time): stopped at the first epoch it says so, for that reason, or not at all.
      for (const [k, trial] of sweep.trials.entries()) {
        const others = sweep.trials.slice(0, k).map((t: any) => ({ id: t.id, values: t.curve.slice(0, t.stopped_at_epoch) }));
        let expected: { epoch: number; reason: string } | undefined;
        for (let t = 1; t <= trial.curve.length && !expected; t++) {
          const reason = stopReason(policy, { name: 'loss', direction: 'min' }, { id: trial.id, values: trial.curve.slice(0, t) }, others, epochs);
          if (reason) expected = { epoch: t, reason };
        }
        assert.deepEqual(trial.stopped_reason && { epoch: trial.stopped_at_epoch, reason: trial.stopped_reason }, expected, `trial ${k}`);
        assert.equal(trial.state, expected ? 'stopped' : 'completed', `trial ${k}`);
      }
      assert.notEqual(sweep.best.trial_id, slow.id);
      const events = await readEvents(`${stack.baseUrl}/v1/sweeps/${sweep.id}/events`);
      const stopped = events.filter((e) => e.event === 'trial_stopped').map((e) => JSON.parse(e.data));
      const stoppedTrials = sweep.trials.filter((t: any) => t.stopped_reason);
      assert.deepEqual(stopped, stoppedTrials.map((t: any) => ({ trial_id: t.id, job_id: t.job_id, epoch: t.stopped_at_epoch, reason: t.stopped_reason })));
      assert.equal(slow.stopped_at_epoch, 1);
      const ended = events.filter((e) => e.event === 'trial_ended').map((e) => JSON.parse(e.data)).find((d) => d.trial_id === slow.id);
      assert.equal(ended.state, 'stopped');
      assert.equal(ended.stopped_reason, slow.stopped_reason);
    });
  }

  test('policies that could not work are refused at submit, naming the field', async () => {
    const base = regressionBase(10);
    const body = (early_stopping: unknown, extra: Record<string, unknown> = {}) => ({ base, search_space: { learning_rate: { type: 'choice', values: [0.1, 0.01] } }, algorithm: { class_name: 'RandomSearch' }, objective: { name: 'loss', direction: 'min' }, max_trials: 2, early_stopping, ...extra });
    /** What the schema cannot take is a 400, what the sweep cannot honour a 422: both name the field. */
    const refused = async (payload: unknown, pointer: string, message: RegExp, status = 422) => {
      const res = await post(stack, '/v1/sweeps', payload);
      assert.equal(res.status, status, JSON.stringify(res.body));
      const issue = res.body.errors?.find((i: { pointer: string }) => i.pointer === pointer);
      assert.ok(issue, `${pointer} in ${JSON.stringify(res.body)}`);
      assert.match(issue.message, message, JSON.stringify(res.body));
    };
    await refused(body({ class_name: 'ASHA' }, { algorithm: { class_name: 'Hyperband', config: { max_epochs: 9 } }, base: { ...base, fit: { ...base.fit, epochs: undefined } } }), '/early_stopping', /Hyperband stops trials itself/);
    await refused(body({ class_name: 'ASHA' }, { base: { ...base, fit: { ...base.fit, epochs: { $hp: 'epochs' } } }, search_space: { learning_rate: { type: 'choice', values: [0.1] }, epochs: { type: 'choice', values: [5, 10] } } }), '/base/fit/epochs', /must be a number here/);
    await refused(body({ class_name: 'MedianStoppingRule', config: { grace_period: 10 } }), '/early_stopping/config/grace_period', /leaves no epoch to stop a trial at: trials run 10 epochs/);
    await refused(body({ class_name: 'ASHA', config: { reduction_factor: 1.5 } }), '/early_stopping/config/reduction_factor', /2/, 400);
    await refused(body({ class_name: 'PopulationBasedTraining' }), '/early_stopping/class_name', /must be one of: MedianStoppingRule, ASHA/, 400);
  });
});

describe('an early stop decided by a controller that died before cancelling', () => {
  let stack: Stack;
  before(async () => {
    // This API's own controller sleeps: a stand-in plays the successor.
    stack = await startStack({ env: { SWEEP_INTERVAL_MS: '3600000' } });
  });
  after(async () => {
    await stack.close();
  });

  test('the successor finds the saved decision and cancels the job, with its reason', { timeout: 120_000 }, async () => {
    const res = await post(stack, '/v1/sweeps', {
      base: regressionBase(2000),
      search_space: { learning_rate: { type: 'choice', values: [0.1, 0.05] } },
      algorithm: { class_name: 'GridSearch' },
      objective: { name: 'loss', direction: 'min' },
      max_trials: 2,
      early_stopping: { class_name: 'MedianStoppingRule', config: { min_samples_required: 1 } },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const { services } = stack.app;
    const store = new SweepStore(services.redis, services.keys);
    const successor = new SweepController(services, store, pino({ level: 'warn' }));
    await successor.tick();
    const jobId = (await store.get(res.body.id))!.trials[0].job_id!;
    await waitForState(stack, jobId, ['running']);
    // What the dead controller saved before it could cancel.
    const sweep = (await store.get(res.body.id))!;
    sweep.trials[0].stopped_reason = 'MedianStoppingRule: decided before a crash';
    await store.save(sweep);

    await successor.tick();
    const job = await waitForState(stack, jobId, ['cancelled', 'completed', 'failed']);
    assert.equal(job.state, 'cancelled');
    const events = await readEvents(`${stack.baseUrl}/v1/jobs/${jobId}/events`);
    assert.match(JSON.parse(events.at(-1)!.data).reason, /^stopped by the sweep's early_stopping: MedianStoppingRule: decided before a crash \(cancelled after \d+ epoch/);
    await successor.tick();
    const after = (await store.get(res.body.id))!;
    assert.equal(after.trials[0].state, 'stopped');
    assert.ok(after.trials[0].epochs_run! < 2000);
    await del(stack, `/v1/sweeps/${res.body.id}`);
    await successor.tick();
  });
});
