/**
 * What a search algorithm (KerasTuner's Oracle) decides: the next trial to run, given every trial
 * so far. Algorithms here are pure functions of (search space, config, trials): a sweep's state is
 * its trial list, kept in Redis, so a controller that crashes and restarts decides the same again.
 */
import type { HpValues, SearchSpace } from './search-space.ts';

export type TrialState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'stopped';

export interface TrialRecord {
  /** "0", "1", ...: the order trials were created in. */
  id: string;
  values: HpValues;
  state: TrialState;
  /** The objective as KerasTuner reports it (the best epoch's value), once the trial ended with one. */
  objective?: number;
  /** Epochs the trial trains to (Hyperband's budget; otherwise the base spec's epochs). */
  epochs?: number;
  /** Hyperband: the epoch the trial continues from (KerasTuner's tuner/initial_epoch). */
  initialEpoch?: number;
  /** Hyperband: the trial whose model this one continues (KerasTuner's tuner/trial_id). */
  parent?: string;
  /** Hyperband: the bracket and round the trial belongs to. */
  bracket?: number;
  round?: number;
}

/** A trial to start. */
export interface TrialPlan {
  values: HpValues;
  epochs?: number;
  initialEpoch?: number;
  parent?: string;
  bracket?: number;
  round?: number;
}

/** Start this trial, wait for running ones to end, or stop: the search is over. */
export type Decision = { kind: 'trial'; trial: TrialPlan } | { kind: 'wait' } | { kind: 'done' };

export type Direction = 'min' | 'max';

/** Lower is better: the objective, or its negation for direction max. */
export const score = (objective: number, direction: Direction) => (direction === 'min' ? objective : -objective);

export interface OracleInput<C> {
  space: SearchSpace;
  config: C;
  direction: Direction;
  /** Every trial created so far, in creation order. */
  trials: readonly TrialRecord[];
  /** The sweep's max_trials: trials to create at most. */
  maxTrials: number;
}
