/**
 * Keras-style callbacks. Hooks are optional; the list calls only those a callback defines.
 * Logs are shared by reference, so a callback that adds a key (ReduceLROnPlateau adds
 * learning_rate) is seen by the ones after it and by the history.
 */
import type { KerasModel } from '../model.ts';
import type { Optimizer } from '../optimizers.ts';

export type Logs = Record<string, number>;

export interface TrainingContext {
  model: KerasModel;
  optimizer: Optimizer;
  stopTraining: boolean;
  params: { epochs: number; steps: number; samples: number };
  /** Direction of each compiled metric (by log name without val_), for mode 'auto'. */
  metricDirections: Record<string, 'min' | 'max'>;
}

export interface Callback {
  /** State that must survive a resume (EarlyStopping's wait/best, ...). */
  getState?(): unknown;
  setState?(state: unknown): void;
  onTrainBegin?(ctx: TrainingContext): void | Promise<void>;
  onEpochBegin?(epoch: number, ctx: TrainingContext): void | Promise<void>;
  /** batchLoss reads this batch's loss from the device: only call it when needed. */
  onBatchEnd?(batch: number, ctx: TrainingContext, batchLoss: () => number): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs, ctx: TrainingContext): void | Promise<void>;
  onTrainEnd?(logs: Logs, ctx: TrainingContext): void | Promise<void>;
}

export class CallbackList {
  constructor(readonly callbacks: Callback[]) {}

  async trainBegin(ctx: TrainingContext) {
    for (const c of this.callbacks) await c.onTrainBegin?.(ctx);
  }
  async epochBegin(epoch: number, ctx: TrainingContext) {
    for (const c of this.callbacks) await c.onEpochBegin?.(epoch, ctx);
  }
  hasBatchEnd(): boolean {
    return this.callbacks.some((c) => c.onBatchEnd);
  }
  /**
   * Runs every onBatchEnd; a promise only when one of them returned one. Batches can be ~100 µs
   * as a graph, and an await per batch (two promise hops) is a measurable share of that.
   */
  batchEnd(batch: number, ctx: TrainingContext, batchLoss: () => number): void | Promise<void> {
    for (let i = 0; i < this.callbacks.length; i++) {
      const pending = this.callbacks[i].onBatchEnd?.(batch, ctx, batchLoss);
      if (pending) return pending.then(() => this.batchEndFrom(i + 1, batch, ctx, batchLoss));
    }
  }
  private async batchEndFrom(start: number, batch: number, ctx: TrainingContext, batchLoss: () => number) {
    for (const c of this.callbacks.slice(start)) await c.onBatchEnd?.(batch, ctx, batchLoss);
  }
  async epochEnd(epoch: number, logs: Logs, ctx: TrainingContext) {
    for (const c of this.callbacks) await c.onEpochEnd?.(epoch, logs, ctx);
  }
  async trainEnd(logs: Logs, ctx: TrainingContext) {
    for (const c of this.callbacks) await c.onTrainEnd?.(logs, ctx);
  }
}

export type Mode = 'min' | 'max';

/**
 * Keras's mode resolution: loss-like names are minimized; otherwise the monitored name without
 * `val_` must be a compiled metric, whose direction is used. Anything else is an error, not a guess.
 */
export function resolveMode(mode: string | undefined, monitor: string, ctx: TrainingContext, who: string): Mode {
  if (mode === 'min' || mode === 'max') return mode;
  if (mode !== undefined && mode !== 'auto') throw new Error(`${who}: mode must be "auto", "min" or "max", got "${mode}"`);
  const base = monitor.startsWith('val_') ? monitor.slice(4) : monitor;
  if (base === 'loss') return 'min';
  const direction = ctx.metricDirections[base];
  if (!direction) throw new Error(`${who}: cannot infer mode for monitor "${monitor}"; give mode "min" or "max"`);
  return direction;
}

/** Keras compares through float32 tensors: a gain below float32 resolution is not a gain. */
export const f32 = Math.fround;
