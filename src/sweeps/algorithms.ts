/**
 * The search algorithms by KerasTuner tuner name, each a pure function of the trials so far (see
 * oracle.ts). GridSearch and RandomSearch live here; Hyperband and BayesianOptimization have
 * their own modules.
 */
import { nextBayesian } from './bayesian.ts';
import { nextHyperband } from './hyperband.ts';
import type { Decision, OracleInput } from './oracle.ts';
import type { SweepAlgorithm } from './schema.ts';
import { gridPoints, pointKey, randomValues, seededRandom, type SearchSpace } from './search-space.ts';

/** GridSearch: the grid's points in order, one trial each, up to max_trials. */
export function nextGrid({ space, trials, maxTrials }: OracleInput<unknown>): Decision {
  const points = gridPoints(space);
  const k = trials.length;
  if (k >= Math.min(maxTrials, points.length)) return { kind: 'done' };
  return { kind: 'trial', trial: { values: points[k] } };
}

/** Attempts at an untried point before RandomSearch calls the space exhausted (KerasTuner's 100). */
const MAX_COLLISIONS = 100;

/** RandomSearch: trial k's values from the seed, k and the attempt, skipping points already tried. */
export function nextRandom({ space, config, trials, maxTrials }: OracleInput<{ seed?: number }>): Decision {
  if (trials.length >= maxTrials) return { kind: 'done' };
  const tried = new Set(trials.map((t) => pointKey(t.values)));
  for (let attempt = 0; attempt < MAX_COLLISIONS; attempt++) {
    const values = randomValues(space, seededRandom(Math.imul((config.seed ?? 0) + 1, 0x9e3779b1) ^ (trials.length * MAX_COLLISIONS + attempt)));
    if (!tried.has(pointKey(values))) return { kind: 'trial', trial: { values } };
  }
  return { kind: 'done' };
}

/** The next decision of a sweep's algorithm. */
export function nextDecision(algorithm: SweepAlgorithm, input: Omit<OracleInput<unknown>, 'config'>): Decision {
  const config = (algorithm.config ?? {}) as never;
  switch (algorithm.class_name) {
    case 'GridSearch':
      return nextGrid({ ...input, config });
    case 'RandomSearch':
      return nextRandom({ ...input, config });
    case 'Hyperband':
      return nextHyperband({ ...input, config });
    case 'BayesianOptimization':
      return nextBayesian({ ...input, config });
  }
}

/** How many trials a sweep can create at most (a grid is finite). */
export function trialBudget(algorithm: SweepAlgorithm, space: SearchSpace, maxTrials: number): number {
  return algorithm.class_name === 'GridSearch' ? Math.min(maxTrials, gridPoints(space).length) : maxTrials;
}
