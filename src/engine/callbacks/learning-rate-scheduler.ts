import { checkSchedule } from '../../spec/callback-checks.ts';
import type { Callback, Logs, TrainingContext } from './callback.ts';

/**
 * keras.callbacks.LearningRateScheduler with the schedule as data instead of a Python function:
 * a list (learning rate per epoch, the last one kept after), or a piecewise-constant table
 * {boundaries: [e1, e2, ...], values: [v0, v1, v2, ...]} where v_i applies from epoch e_i on.
 */
export type Schedule = number[] | { boundaries: number[]; values: number[] };

export function scheduledRate(schedule: Schedule, epoch: number): number {
  if (Array.isArray(schedule)) return schedule[Math.min(epoch, schedule.length - 1)];
  let i = 0;
  while (i < schedule.boundaries.length && epoch >= schedule.boundaries[i]) i++;
  return schedule.values[i];
}

export class LearningRateScheduler implements Callback {
  constructor(private readonly schedule: Schedule) {
    const problem = checkSchedule(schedule);
    if (problem) throw new Error(`LearningRateScheduler: ${problem}`);
  }
  onEpochBegin(epoch: number, ctx: TrainingContext) {
    ctx.optimizer.learningRate = scheduledRate(this.schedule, epoch);
  }
  onEpochEnd(_epoch: number, logs: Logs, ctx: TrainingContext) {
    logs.learning_rate = ctx.optimizer.learningRate;
  }
}
