/**
 * The Bayesian optimization oracle: deterministic from its seed, random for its first trials, better
 * than random search on a smooth objective (either direction), and valid values for every kind of
 * hyperparameter.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nextBayesian, numInitialPoints, type BayesianConfig } from '../src/sweeps/bayesian.ts';
import type { Direction, TrialRecord } from '../src/sweeps/oracle.ts';
import { isActive, pointKey, randomValues, seededRandom, type HpValues, type SearchSpace } from '../src/sweeps/search-space.ts';

const BRANIN_SPACE: SearchSpace = {
  x1: { type: 'float', min: -5, max: 10 },
  x2: { type: 'float', min: 0, max: 15 },
};
/** Branin: minimum 0.397887 at three points. */
function branin(v: HpValues): number {
  const x1 = Number(v.x1);
  const x2 = Number(v.x2);
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
}

/** Runs a sweep to maxTrials, one trial at a time, each completing before the next is decided. */
function runSequential(space: SearchSpace, objective: (v: HpValues) => number, config: BayesianConfig, maxTrials: number, direction: Direction = 'min') {
  const trials: TrialRecord[] = [];
  for (;;) {
    const d = nextBayesian({ space, config, direction, trials, maxTrials });
    if (d.kind === 'done') return trials;
    assert.equal(d.kind, 'trial');
    if (d.kind !== 'trial') throw new Error('unreachable');
    trials.push({ id: String(trials.length), values: d.trial.values, state: 'completed', objective: objective(d.trial.values) });
  }
}

describe('Bayesian optimization oracle', () => {
  test('defaults: 3 × the number of hyperparameters as initial points (0 means the default)', () => {
    assert.equal(numInitialPoints(BRANIN_SPACE, {}), 6);
    assert.equal(numInitialPoints(BRANIN_SPACE, { num_initial_points: 0 }), 6);
    assert.equal(numInitialPoints(BRANIN_SPACE, { num_initial_points: 2 }), 2);
  });

  test('deterministic: the same trials and seed give the same proposal', () => {
    const history = runSequential(BRANIN_SPACE, branin, { seed: 7 }, 12);
    const input = { space: BRANIN_SPACE, config: { seed: 7 }, direction: 'min' as const, trials: history, maxTrials: 20 };
    const a = nextBayesian(input);
    const b = nextBayesian(structuredClone(input));
    assert.equal(a.kind, 'trial');
    assert.deepEqual(a, b);
    // And a whole sweep replays identically.
    assert.deepEqual(runSequential(BRANIN_SPACE, branin, { seed: 7 }, 15), runSequential(BRANIN_SPACE, branin, { seed: 7 }, 15));
    assert.notDeepEqual(nextBayesian({ ...input, config: { seed: 8 } }), a);
  });

  test('the first num_initial_points trials are random, reproducible from the seed', () => {
    const n = numInitialPoints(BRANIN_SPACE, {});
    const a = runSequential(BRANIN_SPACE, branin, { seed: 3 }, n).map((t) => t.values);
    // Other objectives (even none yet) do not change them: they do not come from the model.
    const b = runSequential(BRANIN_SPACE, (v) => -Number(v.x1), { seed: 3 }, n).map((t) => t.values);
    assert.deepEqual(a, b);
    for (let i = 0; i < n; i++) {
      const running: TrialRecord[] = a.slice(0, i).map((values, j) => ({ id: String(j), values, state: 'running' }));
      assert.deepEqual(nextBayesian({ space: BRANIN_SPACE, config: { seed: 3 }, direction: 'min', trials: running, maxTrials: 50 }), { kind: 'trial', trial: { values: a[i] } });
    }
    const c = runSequential(BRANIN_SPACE, branin, { seed: 4 }, n).map((t) => t.values);
    assert.notDeepEqual(a, c);
    assert.equal(new Set(a.map(pointKey)).size, n);
  });

  test('waits for a completed trial, ignores failed ones, stops at max_trials', () => {
    const config = { num_initial_points: 2, seed: 1 };
    const values = runSequential(BRANIN_SPACE, branin, config, 2).map((t) => t.values);
    const running: TrialRecord[] = values.map((v, i) => ({ id: String(i), values: v, state: 'running' }));
    const input = { space: BRANIN_SPACE, config, direction: 'min' as const, maxTrials: 10 };
    assert.deepEqual(nextBayesian({ ...input, trials: running }), { kind: 'wait' });
    // Every trial failed and none is in flight: waiting would never end, so another random one.
    const failed = running.map((t) => ({ ...t, state: 'failed' as const }));
    assert.equal(nextBayesian({ ...input, trials: failed }).kind, 'trial');
    // A failed trial with a stray objective is not fitted: the proposal is the one without it.
    const one = [{ ...running[0], state: 'completed' as const, objective: 3 }];
    const withFailed = [...one, { ...running[1], state: 'failed' as const, objective: -1e9 }];
    const withRunning = [...one, running[1]];
    assert.deepEqual(nextBayesian({ ...input, trials: withFailed }), nextBayesian({ ...input, trials: withRunning }));
    assert.deepEqual(nextBayesian({ ...input, trials: withRunning, maxTrials: 2 }), { kind: 'done' });
  });

  const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
  const TRIALS = 25;
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const randomBest = (seed: number) => {
    const random = seededRandom(seed);
    return Math.min(...Array.from({ length: TRIALS }, () => branin(randomValues(BRANIN_SPACE, random))));
  };

  test('beats random search on Branin (25 trials, mean best over 8 seeds)', () => {
    const bo = mean(SEEDS.map((seed) => Math.min(...runSequential(BRANIN_SPACE, branin, { seed }, TRIALS).map((t) => t.objective!))));
    const rs = mean(SEEDS.map(randomBest));
    console.log(`Branin, ${TRIALS} trials, mean best over ${SEEDS.length} seeds: bayesian ${bo.toFixed(4)}, random ${rs.toFixed(4)} (optimum 0.3979)`);
    assert.ok(bo < rs, `bayesian ${bo} should beat random ${rs}`);
  });

  test("direction 'max' on the negated objective searches the same way", () => {
    const neg = (v: HpValues) => -branin(v);
    const bests = SEEDS.map((seed) => {
      const max = runSequential(BRANIN_SPACE, neg, { seed }, TRIALS, 'max');
      const min = runSequential(BRANIN_SPACE, branin, { seed }, TRIALS, 'min');
      // score(-f, 'max') is exactly f, so the two sweeps propose the same points.
      assert.deepEqual(max.map((t) => t.values), min.map((t) => t.values));
      return -Math.max(...max.map((t) => t.objective!));
    });
    assert.ok(mean(bests) < mean(SEEDS.map(randomBest)));
  });

  test('choice, int, boolean, stepped and conditional hyperparameters get valid values', () => {
    const space: SearchSpace = {
      optimizer: { type: 'choice', values: ['adam', 'sgd', 'rmsprop'] },
      units: { type: 'int', min: 16, max: 128, step: 16 },
      layers: { type: 'int', min: 1, max: 4 },
      filters: { type: 'int', min: 8, max: 64, step: 2, sampling: 'log' },
      dropout: { type: 'float', min: 0, max: 0.5, step: 0.1 },
      lr: { type: 'float', min: 1e-4, max: 1e-1, sampling: 'log' },
      batchnorm: { type: 'boolean' },
      momentum: { type: 'float', min: 0, max: 0.99, parent: { name: 'optimizer', values: ['sgd'] } },
    };
    // A made-up objective every hyperparameter matters to.
    const objective = (v: HpValues) =>
      (Math.log10(Number(v.lr)) + 2.5) ** 2 + (Number(v.units) - 96) ** 2 / 1e3 + Number(v.layers) / 4 + (v.batchnorm ? 0 : 0.5) +
      (v.optimizer === 'sgd' ? (Number(v.momentum) - 0.9) ** 2 : v.optimizer === 'adam' ? 0.1 : 0.3) + Math.abs(Number(v.dropout) - 0.2) + 32 / Number(v.filters);
    const trials = runSequential(space, objective, { seed: 11 }, 60);
    assert.equal(trials.length, 60);
    assert.equal(new Set(trials.map((t) => pointKey(t.values))).size, trials.length, 'no point proposed twice');
    const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;
    for (const { values: v } of trials) {
      assert.ok(['adam', 'sgd', 'rmsprop'].includes(v.optimizer as string));
      assert.ok([16, 32, 48, 64, 80, 96, 112, 128].includes(v.units as number), `units ${v.units}`);
      assert.ok(Number.isInteger(v.layers) && (v.layers as number) >= 1 && (v.layers as number) <= 4);
      assert.ok([8, 16, 32, 64].includes(v.filters as number), `filters ${v.filters}`);
      assert.ok([0, 0.1, 0.2, 0.3, 0.4, 0.5].some((d) => close(d, v.dropout as number)), `dropout ${v.dropout}`);
      assert.ok((v.lr as number) >= 1e-4 && (v.lr as number) <= 1e-1);
      assert.equal(typeof v.batchnorm, 'boolean');
      assert.equal(Object.hasOwn(v, 'momentum'), isActive(space.momentum, v));
      if (Object.hasOwn(v, 'momentum')) assert.ok((v.momentum as number) >= 0 && (v.momentum as number) <= 0.99);
    }
    // The model-based trials do better than the random ones they started from.
    const n = numInitialPoints(space, {});
    const best = (ts: TrialRecord[]) => Math.min(...ts.map((t) => t.objective!));
    assert.ok(best(trials.slice(n)) < best(trials.slice(0, n)));
  });

  test('a small discrete space is exhausted, then done', () => {
    const space: SearchSpace = { a: { type: 'boolean' }, b: { type: 'choice', values: [1, 2, 3] } };
    const trials = runSequential(space, (v) => Number(v.b) + (v.a ? 1 : 0), { num_initial_points: 2, seed: 5 }, 20);
    assert.ok(trials.length <= 6);
    assert.equal(new Set(trials.map((t) => pointKey(t.values))).size, trials.length);
  });
});
