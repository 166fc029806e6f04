/**
 * Hyperband against KerasTuner: the schedule equals what test/fixtures/hyperband/generator.py (a
 * transcription of KerasTuner's HyperbandOracle) computes, and whole sweeps driven through
 * nextHyperband create the trials KerasTuner's oracle creates, one by one, with one worker and
 * with several. Pure: no service, no Redis.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { hyperbandSchedule, nextHyperband, type HyperbandConfig, type HyperbandSchedule } from '../src/sweeps/hyperband.ts';
import type { Decision, Direction, TrialRecord } from '../src/sweeps/oracle.ts';
import type { SearchSpace } from '../src/sweeps/search-space.ts';

interface Fixture {
  schedules: Array<{ config: Required<Omit<HyperbandConfig, 'seed'>>; schedule: HyperbandSchedule }>;
  /** Rows: id, iteration, bracket, round, epochs, initial_epoch, parent, KerasTuner's bracket label. */
  traces: Array<{ config: HyperbandConfig; workers: number; max_trials: number | null; trials: Array<[number, number, number, number, number, number, number | null, number]> }>;
  end_sizes: Array<[number, number, number]>;
}
const fixture: Fixture = JSON.parse(fs.readFileSync(new URL('./fixtures/hyperband/schedules.json', import.meta.url), 'utf8'));

const space: SearchSpace = {
  lr: { type: 'float', min: 1e-4, max: 1e-1, sampling: 'log' },
  units: { type: 'int', min: 8, max: 512, step: 8 },
  act: { type: 'choice', values: ['relu', 'tanh', 'gelu'] },
};

/** The generator's score_of: an objective from the trial's number alone. */
const scoreOfId = (t: TrialRecord) => (Number(t.id) * 37 + 11) % 17;
/** An objective of the values and the budget, as a training run would give. */
const scoreOfValues = (t: TrialRecord) => {
  const v = t.values as { lr: number; units: number; act: string };
  return (Math.log10(v.lr) + 2.5) ** 2 + Math.abs(v.units - 200) / 500 + (v.act === 'relu' ? 0 : 0.05) + 1 / t.epochs!;
};

interface Sim {
  config: HyperbandConfig;
  workers?: number;
  maxTrials?: number;
  direction?: Direction;
  objective?: (t: TrialRecord) => number;
  fails?: (t: TrialRecord) => boolean;
}

/**
 * A tuner with `workers` parallel workers, as the generator drives KerasTuner's oracle: free workers
 * ask for trials; when the oracle has none now, the oldest running trial ends.
 */
function simulate({ config, workers = 1, maxTrials = 1e9, direction = 'min', objective = scoreOfValues, fails }: Sim): TrialRecord[] {
  const trials: TrialRecord[] = [];
  const running: TrialRecord[] = [];
  for (let step = 0; step < 100_000; step++) {
    let decision: Decision | undefined;
    while (running.length < workers) {
      decision = nextHyperband({ space, config, direction, trials, maxTrials });
      if (decision.kind !== 'trial') break;
      const t: TrialRecord = { id: String(trials.length), state: 'running', ...decision.trial };
      trials.push(t);
      running.push(t);
    }
    if (!running.length) {
      assert.equal(decision?.kind, 'done', 'waits with nothing running');
      return trials;
    }
    const t = running.shift()!;
    if (fails?.(t)) t.state = 'failed';
    else Object.assign(t, { state: 'completed', objective: objective(t) });
  }
  throw new Error('the sweep never ended');
}

/** The trials of each bracket opened, by round (a continuation is in its parent's bracket). */
function bracketsOf(trials: TrialRecord[], schedule: HyperbandSchedule): TrialRecord[][][] {
  const out: TrialRecord[][][] = [];
  const home = new Map<string, TrialRecord[][]>();
  for (const t of trials) {
    let b = t.round ? home.get(t.parent!)! : out.at(-1);
    if (!t.round && (!b || b[0].length === schedule.brackets[out.length - 1].rounds[0].trials)) out.push((b = schedule.brackets[out.length].rounds.map(() => [])));
    b![t.round!].push(t);
    home.set(t.id, b!);
  }
  return out;
}

/** What a sweep must have made: the schedule's brackets, and in each round the best of the last. */
function assertFollowsSchedule(trials: TrialRecord[], config: HyperbandConfig, direction: Direction = 'min') {
  const schedule = hyperbandSchedule(config);
  assert.equal(trials.length, schedule.total_trials);
  const brackets = bracketsOf(trials, schedule);
  assert.equal(brackets.length, schedule.brackets.length);
  const rank = (t: TrialRecord) => (t.state !== 'completed' ? Infinity : direction === 'min' ? t.objective! : -t.objective!);
  const byId = new Map(trials.map((t) => [t.id, t]));
  brackets.forEach((rounds, i) => {
    const planned = schedule.brackets[i];
    rounds.forEach((made, r) => {
      const plan = planned.rounds[r];
      assert.equal(made.length, plan.trials, `bracket #${i} round ${r}: trials`);
      for (const t of made) {
        assert.deepEqual([t.bracket, t.round, t.epochs, t.initialEpoch], [planned.bracket, r, plan.epochs, plan.initial_epoch]);
        if (r === 0) continue;
        const parent = byId.get(t.parent!)!;
        assert.equal(parent.round, r - 1);
        assert.deepEqual(t.values, parent.values);
        assert.equal(t.initialEpoch, parent.epochs);
      }
      if (r === 0) return;
      // The parents are the top `trials` of the last round (earlier first among equals).
      const top = [...rounds[r - 1]].sort((a, b) => rank(a) - rank(b) || Number(a.id) - Number(b.id)).slice(0, plan.trials);
      assert.deepEqual(made.map((t) => t.parent).sort(), top.map((t) => t.id).sort(), `bracket #${i} round ${r}: parents`);
    });
    // Round 0 tries distinct points (the space is large enough).
    assert.equal(new Set(rounds[0].map((t) => JSON.stringify(t.values))).size, rounds[0].length);
  });
}

describe('hyperbandSchedule', () => {
  test('equals KerasTuner’s for every config of schedules.json', () => {
    assert.ok(fixture.schedules.length >= 16);
    for (const { config, schedule } of fixture.schedules) assert.deepEqual(hyperbandSchedule(config), schedule, JSON.stringify(config));
  });

  test('bracket 0 has ceil(1 + math.log(max_epochs, factor)) models as Python computes it, at every exact power up to 10000', () => {
    for (const [max_epochs, factor, endSize] of fixture.end_sizes) {
      assert.equal(hyperbandSchedule({ max_epochs, factor }).brackets.at(-1)!.rounds[0].trials, endSize, `${max_epochs}, ${factor}`);
    }
  });

  test('max_epochs 81, factor 3: the textbook brackets', () => {
    const s = hyperbandSchedule({ max_epochs: 81 });
    assert.deepEqual(
      s.brackets.map((b) => b.rounds.map((r) => [r.trials, r.epochs])),
      [
        [[81, 1], [27, 3], [9, 9], [3, 27], [1, 81]],
        [[34, 3], [12, 9], [4, 27], [2, 81]],
        [[15, 9], [5, 27], [2, 81]],
        [[8, 27], [3, 81]],
        [[5, 81]],
      ],
    );
  });

  test('refuses what KerasTuner refuses, and a schedule without end', () => {
    assert.throws(() => hyperbandSchedule({ max_epochs: 10, factor: 1 }), /factor/);
    assert.throws(() => hyperbandSchedule({ max_epochs: 0 }), /max_epochs/);
    assert.throws(() => hyperbandSchedule({ max_epochs: 10, hyperband_iterations: 0 }), /hyperband_iterations/);
  });
});

describe('nextHyperband', () => {
  for (const trace of fixture.traces) {
    const { config, workers, max_trials } = trace;
    test(`creates KerasTuner's trials one by one: ${JSON.stringify(config)}, ${workers} worker(s)${max_trials ? `, max_trials ${max_trials}` : ''}`, () => {
      const trials = simulate({ config, workers, maxTrials: max_trials ?? undefined, objective: scoreOfId });
      assert.deepEqual(
        trials.map((t) => [Number(t.id), t.bracket, t.round, t.epochs, t.initialEpoch, t.parent === undefined ? null : Number(t.parent)]),
        trace.trials.map(([id, , bracket, round, epochs, initialEpoch, parent]) => [id, bracket, round, epochs, initialEpoch, parent]),
      );
    });
  }

  for (const config of [{ max_epochs: 81 }, { max_epochs: 27, hyperband_iterations: 2 }, { max_epochs: 20, factor: 2 }, { max_epochs: 50, factor: 4 }, { max_epochs: 1 }, { max_epochs: 2 }]) {
    for (const workers of [1, 4]) {
      test(`a whole sweep follows the schedule, the best going on: ${JSON.stringify(config)}, ${workers} worker(s)`, () => {
        assertFollowsSchedule(simulate({ config, workers }), config);
      });
    }
  }

  test('direction max promotes the highest objectives', () => {
    const config = { max_epochs: 27, seed: 3 };
    const trials = simulate({ config, direction: 'max', objective: (t) => -scoreOfValues(t) });
    assertFollowsSchedule(trials, config, 'max');
    // The same ranking as minimizing the negation: the same sweep.
    assert.deepEqual(trials.map((t) => t.parent), simulate({ config }).map((t) => t.parent));
  });

  test('a trial that ends without an objective ranks last and the bracket still runs to its end', () => {
    const config = { max_epochs: 27 };
    const fails = (t: TrialRecord) => Number(t.id) % 4 === 0;
    const trials = simulate({ config, fails });
    assertFollowsSchedule(trials, config);
    const failed = new Set(trials.filter((t) => t.state === 'failed').map((t) => t.id));
    assert.ok(failed.size > 10);
    // Round 1 of bracket 3 (9 of 27) is all completed trials: 3/4 of its round 0 completed.
    assert.ok(trials.filter((t) => t.bracket === 3 && t.round === 1).every((t) => !failed.has(t.parent!)));
  });

  test('the same seed gives the same trials, another seed other ones', () => {
    const values = (seed: number) => simulate({ config: { max_epochs: 27, seed } }).map((t) => t.values);
    const a = values(7);
    assert.deepEqual(values(7), a);
    const b = values(8);
    assert.equal(b.length, a.length);
    assert.ok(b.filter((v, i) => JSON.stringify(v) === JSON.stringify(a[i])).length < a.length / 10);
  });

  test('a round-0 point is not repeated within its bracket while the space has others', () => {
    const tiny: SearchSpace = { act: { type: 'choice', values: ['relu', 'tanh', 'gelu'] } };
    const trials: TrialRecord[] = [];
    for (let i = 0; i < 3; i++) {
      const d = nextHyperband({ space: tiny, config: { max_epochs: 27 }, direction: 'min', trials, maxTrials: 100 });
      assert.equal(d.kind, 'trial');
      if (d.kind === 'trial') trials.push({ id: String(i), state: 'running', ...d.trial });
    }
    assert.deepEqual(trials.map((t) => t.values.act as string).sort(), ['gelu', 'relu', 'tanh']);
    // A fourth has to repeat one: it is still made (the bracket needs 27).
    assert.equal(nextHyperband({ space: tiny, config: { max_epochs: 27 }, direction: 'min', trials, maxTrials: 100 }).kind, 'trial');
  });

  test('waits only when the last bracket is open and a round is still running; opens the next bracket otherwise', () => {
    const config = { max_epochs: 9 }; // bracket 2: 9, 3, 1 models; bracket 1: 5, 2; bracket 0: 3
    const schedule = hyperbandSchedule(config);
    const trials: TrialRecord[] = [];
    const next = () => nextHyperband({ space, config, direction: 'min', trials, maxTrials: 1000 });
    const take = (d: Decision) => {
      assert.equal(d.kind, 'trial');
      if (d.kind === 'trial') trials.push({ id: String(trials.length), state: 'running', ...d.trial });
    };
    for (let i = 0; i < schedule.brackets[0].rounds[0].trials; i++) take(next());
    // Bracket 2's round 0 is all running: KerasTuner opens bracket 1 rather than wait.
    const d = next();
    assert.ok(d.kind === 'trial' && d.trial.bracket === 1 && d.trial.round === 0);
    take(d);
    while (trials.length < schedule.brackets[0].rounds[0].trials + schedule.brackets[1].rounds[0].trials + schedule.brackets[2].rounds[0].trials) take(next());
    assert.deepEqual(next(), { kind: 'wait' });
    for (const t of trials) Object.assign(t, { state: 'completed', objective: scoreOfValues(t) });
    const promoted = next();
    assert.ok(promoted.kind === 'trial' && promoted.trial.bracket === 2 && promoted.trial.round === 1 && promoted.trial.parent !== undefined);
  });

  test('max_trials caps the trials created', () => {
    const trials = simulate({ config: { max_epochs: 81 }, maxTrials: 30, workers: 3 });
    assert.equal(trials.length, 30);
    assert.deepEqual(nextHyperband({ space, config: { max_epochs: 81 }, direction: 'min', trials, maxTrials: 30 }), { kind: 'done' });
    assert.deepEqual(nextHyperband({ space, config: { max_epochs: 81 }, direction: 'min', trials: [], maxTrials: 0 }), { kind: 'done' });
  });

  test('is pure: the trials it is given are not changed', () => {
    const trials = simulate({ config: { max_epochs: 10 }, maxTrials: 20 });
    const before = structuredClone(trials);
    nextHyperband({ space, config: { max_epochs: 10 }, direction: 'min', trials, maxTrials: 100 });
    assert.deepEqual(trials, before);
  });
});
