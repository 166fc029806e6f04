import * as tf from '@tensorflow/tfjs';
import { f32, resolveMode, type Callback, type Logs, type Mode, type TrainingContext } from './callback.ts';

export interface EarlyStoppingOptions {
  monitor?: string;
  min_delta?: number;
  patience?: number;
  mode?: string;
  baseline?: number | null;
  restore_best_weights?: boolean;
  start_from_epoch?: number;
}

interface State {
  wait: number;
  best: number;
  best_epoch: number;
  stopped_epoch: number;
  /** The epoch whose end-of-epoch weights restore_best_weights holds (it is that epoch's checkpoint). */
  snapshot_epoch?: number;
}

/** keras.callbacks.EarlyStopping, including its float32 improvement test and restore at train end. */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  private readonly minDelta: number;
  private readonly patience: number;
  private mode?: Mode;
  private state: State = { wait: 0, best: Infinity, best_epoch: 0, stopped_epoch: 0 };
  private bestWeights?: tf.Tensor[];

  constructor(private readonly options: EarlyStoppingOptions = {}, private readonly onStop?: (epoch: number, state: State) => void) {
    this.monitor = options.monitor ?? 'val_loss';
    this.minDelta = Math.abs(options.min_delta ?? 0);
    this.patience = options.patience ?? 0;
  }

  get stoppedEpoch() {
    return this.state.stopped_epoch;
  }

  getState() {
    return { ...this.state, mode: this.mode };
  }

  setState(s: unknown) {
    const st = s as State & { mode?: Mode };
    this.state = { wait: st.wait, best: st.best, best_epoch: st.best_epoch, stopped_epoch: st.stopped_epoch, snapshot_epoch: st.snapshot_epoch };
    this.mode = st.mode;
    // A checkpoint's JSON turns ±Infinity (no best yet) into null.
    if (st.best === null) this.state.best = st.mode === 'max' ? -Infinity : Infinity;
  }

  onTrainBegin(ctx: TrainingContext) {
    this.mode ??= resolveMode(this.options.mode, this.monitor, ctx, 'EarlyStopping');
    if (this.state.best === Infinity && this.mode === 'max') this.state.best = -Infinity;
  }

  private improved(current: number, reference: number): boolean {
    return this.mode === 'min' ? f32(current + this.minDelta) < f32(reference) : f32(current - this.minDelta) > f32(reference);
  }

  private snapshot(epoch: number, ctx: TrainingContext) {
    tf.dispose(this.bestWeights ?? []);
    this.bestWeights = ctx.model.symbolic.weights.map((w) => tf.keep(w.read().clone()));
    this.state.snapshot_epoch = epoch;
  }

  /** The epoch whose checkpoint holds the weights restore_best_weights would restore: a resume needs it. */
  get snapshotEpoch(): number | undefined {
    return this.options.restore_best_weights ? this.state.snapshot_epoch : undefined;
  }

  /**
   * After a resume, the epoch whose weights the snapshot held (undefined: none to restore). The
   * snapshot is not in the callback's JSON state: it is that epoch's checkpoint, which the runner
   * loads and hands back through restoreSnapshot.
   */
  get snapshotEpochToRestore(): number | undefined {
    return this.options.restore_best_weights && !this.bestWeights ? this.state.snapshot_epoch : undefined;
  }

  /** Weights in the model's symbolic.weights order; the callback keeps (and later disposes) them. */
  restoreSnapshot(weights: tf.Tensor[]) {
    tf.dispose(this.bestWeights ?? []);
    this.bestWeights = weights.map((w) => tf.keep(w));
  }

  onEpochEnd(epoch: number, logs: Logs, ctx: TrainingContext) {
    const current = logs[this.monitor];
    if (current === undefined) throw new Error(`EarlyStopping: monitor "${this.monitor}" is not in the logs; available: ${Object.keys(logs).join(', ')}`);
    if (epoch < (this.options.start_from_epoch ?? 0)) return;
    if (this.options.restore_best_weights && !this.bestWeights) this.snapshot(epoch, ctx);
    this.state.wait += 1;
    if (this.improved(current, this.state.best)) {
      this.state.best = current;
      this.state.best_epoch = epoch;
      if (this.options.restore_best_weights) this.snapshot(epoch, ctx);
      const baseline = this.options.baseline;
      if (baseline === undefined || baseline === null || this.improved(current, baseline)) this.state.wait = 0;
      return;
    }
    if (this.state.wait >= this.patience && epoch > 0) {
      this.state.stopped_epoch = epoch;
      ctx.stopTraining = true;
      this.onStop?.(epoch, this.state);
    }
  }

  onTrainEnd(_logs: Logs, ctx: TrainingContext) {
    if (this.options.restore_best_weights && this.bestWeights) {
      ctx.model.symbolic.weights.forEach((w, i) => w.write(this.bestWeights![i]));
      tf.dispose(this.bestWeights);
      this.bestWeights = undefined;
    }
  }
}
