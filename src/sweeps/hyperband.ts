/**
 * KerasTuner's Hyperband (HyperbandOracle in keras-team/keras-tuner keras_tuner/tuners/hyperband.py,
 * read at commit 02ce2cbafbd5738fdd4a763e8aec552c95744099) as a pure function of the trials so far.
 * test/fixtures/hyperband/generator.py transcribes that oracle and records what it does;
 * test/sweep-hyperband.test.ts holds this module to it.
 *
 * KerasTuner keeps its brackets in the oracle's state; here they are rebuilt from the trials on
 * every call (each trial carries its bracket, round and parent), so a restarted controller decides
 * the same again. Where this departs from KerasTuner, the comment at the spot says why.
 */
import { score, type Decision, type Direction, type OracleInput, type TrialPlan, type TrialRecord } from './oracle.ts';
import { pointKey, randomValues, seededRandom, type SearchSpace } from './search-space.ts';

export interface HyperbandConfig {
  max_epochs: number;
  factor?: number;
  hyperband_iterations?: number;
  seed?: number;
}

/** KerasTuner's defaults, except seed: it draws one when absent; a pure oracle needs a fixed one. */
export const HYPERBAND_DEFAULTS = { factor: 3, hyperband_iterations: 1, seed: 0 } as const;

/** KerasTuner's Oracle._max_collisions: draws of an already-tried point before taking it anyway. */
const MAX_COLLISIONS = 20;

export interface HyperbandRound {
  round: number;
  /** Models trained in this round (KerasTuner's _get_size). */
  trials: number;
  /** tuner/epochs: the epoch each trains to. */
  epochs: number;
  /** tuner/initial_epoch: where each continues from (the previous round's epochs; 0 in round 0). */
  initial_epoch: number;
}
export interface HyperbandBracket {
  iteration: number;
  /** KerasTuner's bracket_num: bracket b has b + 1 rounds of successive halving. */
  bracket: number;
  rounds: HyperbandRound[];
}
export interface HyperbandSchedule {
  num_brackets: number;
  /** In the order KerasTuner opens them: most aggressive (highest) bracket first, per iteration. */
  brackets: HyperbandBracket[];
  total_trials: number;
  /** Epochs trained over the whole search (a continuation trains epochs - initial_epoch). */
  total_epochs: number;
}

interface Shape {
  maxEpochs: number;
  factor: number;
  iterations: number;
  numBrackets: number;
  /** KerasTuner's bracket0_end_size. */
  endSize: number;
}

function shape(config: HyperbandConfig): Shape {
  const maxEpochs = config.max_epochs;
  const factor = config.factor ?? HYPERBAND_DEFAULTS.factor;
  const iterations = config.hyperband_iterations ?? HYPERBAND_DEFAULTS.hyperband_iterations;
  if (!Number.isInteger(maxEpochs) || maxEpochs < 1) throw new RangeError(`max_epochs must be an integer >= 1, not ${maxEpochs}`);
  if (!Number.isInteger(factor) || factor < 2) throw new RangeError(`factor needs to be an integer larger than 1, not ${factor}`);
  // KerasTuner reads 0 as "iterate forever"; a schedule has to end.
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`hyperband_iterations must be an integer >= 1, not ${iterations}`);
  // _get_num_brackets, with the same float divisions.
  let numBrackets = 0;
  for (let epochs = maxEpochs; epochs >= 1; epochs /= factor) numBrackets++;
  // ceil(1 + math.log(max_epochs, factor)), from an integer log: V8's Math.log is not glibc's
  // (Math.log(9) / Math.log(3) is 2.0000000000000004, Python's math.log(9, 3) is 2.0), so the float
  // formula would give 4 where KerasTuner gives 3. The integer form agrees with Python at every
  // max_epochs <= 10000 (the schema's cap; schedules.json checks all exact powers there). Beyond
  // it Python's own rounding tips some exact powers up (math.log(15625, 5) is 6.000000000000001).
  let k = 0;
  let power = 1;
  while (power * factor <= maxEpochs) {
    power *= factor;
    k++;
  }
  return { maxEpochs, factor, iterations, numBrackets, endSize: power === maxEpochs ? k + 1 : k + 2 };
}

/** factor ** n by multiplying: exact, where a pow() need not be. */
function pow(factor: number, n: number): number {
  let x = 1;
  for (let i = 0; i < n; i++) x *= factor;
  return x;
}

/** _get_size: trials in a bracket's round, so that every bracket costs about the same. */
const sizeOf = (s: Shape, bracket: number, round: number) => Math.ceil((s.endSize / (bracket + 1)) * pow(s.factor, bracket - round));
/** _get_epochs. */
const epochsOf = (s: Shape, bracket: number, round: number) => Math.ceil(s.maxEpochs / pow(s.factor, bracket - round));
/** The bracket KerasTuner opens n-th (counting from 0): _increment_bracket_num counts down and wraps. */
const bracketAt = (s: Shape, n: number) => s.numBrackets - 1 - (n % s.numBrackets);

export function hyperbandSchedule(config: HyperbandConfig): HyperbandSchedule {
  const s = shape(config);
  const brackets = Array.from({ length: s.numBrackets * s.iterations }, (_, n): HyperbandBracket => {
    const bracket = bracketAt(s, n);
    const rounds = Array.from({ length: bracket + 1 }, (_, round) => ({
      round,
      trials: sizeOf(s, bracket, round),
      epochs: epochsOf(s, bracket, round),
      initial_epoch: round ? epochsOf(s, bracket, round - 1) : 0,
    }));
    return { iteration: Math.floor(n / s.numBrackets), bracket, rounds };
  });
  const rounds = brackets.flatMap((b) => b.rounds);
  return {
    num_brackets: s.numBrackets,
    brackets,
    total_trials: rounds.reduce((sum, r) => sum + r.trials, 0),
    total_epochs: rounds.reduce((sum, r) => sum + r.trials * (r.epochs - r.initial_epoch), 0),
  };
}

interface OpenBracket {
  bracket: number;
  rounds: TrialRecord[][];
}

/**
 * KerasTuner's self._brackets, rebuilt: every bracket opened so far, in order, with its rounds'
 * trials. A continuation belongs to its parent's bracket; a round-0 trial to the newest bracket
 * while that one's round 0 is filling (KerasTuner opens a bracket only once every open one has
 * its round 0 created), else it opened a new one.
 */
function replay(s: Shape, trials: readonly TrialRecord[]): OpenBracket[] {
  const brackets: OpenBracket[] = [];
  const home = new Map<string, OpenBracket>();
  for (const t of trials) {
    if (t.bracket === undefined || t.round === undefined) continue;
    let b: OpenBracket | undefined;
    if (t.round === 0) {
      const last = brackets.at(-1);
      b = last && last.bracket === t.bracket && last.rounds[0].length < sizeOf(s, t.bracket, 0) ? last : undefined;
      if (!b) brackets.push((b = { bracket: t.bracket, rounds: Array.from({ length: t.bracket + 1 }, () => []) }));
    } else if (t.parent !== undefined) b = home.get(t.parent);
    if (!b?.rounds[t.round]) continue; // not a trial this oracle made: it takes no part
    b.rounds[t.round].push(t);
    home.set(t.id, b);
  }
  return brackets;
}

const FINISHED = new Set<TrialRecord['state']>(['completed', 'failed', 'cancelled', 'stopped']);
const ACTIVE = new Set<TrialRecord['state']>(['queued', 'running']);

/** Lower is better; a trial that ended without an objective ranks last. */
const rankOf = (t: TrialRecord, direction: Direction) =>
  t.state === 'completed' && Number.isFinite(t.objective) ? score(t.objective!, direction) : Infinity;

/** Trial n's stream: from the seed and n only, unrelated for neighbouring seeds. */
const streamSeed = (seed: number, n: number) => (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(n + 1, 0x85ebca6b)) >>> 0;

export function nextHyperband({ space, config, direction, trials, maxTrials }: OracleInput<HyperbandConfig>): Decision {
  // Oracle.create_trial: max_trials caps the trials created, before Hyperband is asked.
  if (trials.length >= maxTrials) return { kind: 'done' };
  const s = shape(config);
  const brackets = replay(s, trials);
  const random = (b: OpenBracket): Decision => randomTrial(s, space, seededRandom(streamSeed(config.seed ?? HYPERBAND_DEFAULTS.seed, trials.length)), b);

  // populate_space: the first open bracket with something to run.
  for (const b of brackets) {
    const { bracket, rounds } = b;
    if (rounds[bracket].length === sizeOf(s, bracket, bracket)) continue; // _remove_completed_brackets
    if (rounds[0].length < sizeOf(s, bracket, 0)) return random(b);
    for (let round = 1; round <= bracket; round++) {
      const promoted = new Set(rounds[round].map((t) => t.parent));
      // KerasTuner promotes as soon as more of the last round has ended than will be thrown out:
      // the best of those is then in that round's top `size` whatever the rest score. It counts
      // only COMPLETED trials, so one failure stalls the bracket for good; here a trial that ended
      // without an objective counts as ended, ranked last, and the bracket runs to its end.
      const ended = rounds[round - 1].filter((t) => !promoted.has(t.id) && FINISHED.has(t.state));
      if (ended.length <= sizeOf(s, bracket, round - 1) - sizeOf(s, bracket, round)) continue;
      // The first of equals, as Python's stable sort takes.
      const best = ended.reduce((a, t) => (rankOf(t, direction) < rankOf(a, direction) ? t : a));
      const trial: TrialPlan = {
        values: { ...best.values },
        epochs: epochsOf(s, bracket, round),
        initialEpoch: epochsOf(s, bracket, round - 1),
        parent: best.id,
        // KerasTuner writes its *current* bracket into tuner/bracket, which is another one when
        // brackets overlap; this is the bracket the trial is part of.
        bracket,
        round,
      };
      return { kind: 'trial', trial };
    }
  }
  // Nothing in the open brackets can run now. KerasTuner then opens the next bracket rather than
  // wait (parallel workers keep busy), and waits only once the last one of the last iteration is open.
  if (brackets.length < s.numBrackets * s.iterations) {
    const bracket = bracketAt(s, brackets.length);
    return random({ bracket, rounds: [[]] });
  }
  return trials.some((t) => ACTIVE.has(t.state)) ? { kind: 'wait' } : { kind: 'done' };
}

/**
 * _random_trial: a new model for round 0. KerasTuner skips points tried anywhere in the search and
 * gives up (waits or stops) after 20 collisions; here only points of the same bracket are skipped
 * (another bracket trains them on another budget), and a small space takes a repeat rather than
 * leave a bracket unfilled.
 */
function randomTrial(s: Shape, space: SearchSpace, random: () => number, b: OpenBracket): Decision {
  const tried = new Set(b.rounds[0].map((t) => pointKey(t.values)));
  let values = randomValues(space, random);
  for (let i = 1; i < MAX_COLLISIONS && tried.has(pointKey(values)); i++) values = randomValues(space, random);
  return { kind: 'trial', trial: { values, epochs: epochsOf(s, b.bracket, 0), initialEpoch: 0, bracket: b.bracket, round: 0 } };
}
