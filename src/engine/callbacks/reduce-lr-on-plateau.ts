import { f32, resolveMode, type Callback, type Logs, type Mode, type TrainingContext } from './callback.ts';

export interface ReduceLROnPlateauOptions {
  monitor?: string;
  factor?: number;
  patience?: number;
  mode?: string;
  min_delta?: number;
  cooldown?: number;
  min_lr?: number;
}

interface State {
  wait: number;
  best: number;
  cooldown_counter: number;
}

/** keras.callbacks.ReduceLROnPlateau; also writes `learning_rate` (the rate used this epoch) into the logs. */
export class ReduceLROnPlateau implements Callback {
  readonly monitor: string;
  private readonly factor: number;
  private readonly patience: number;
  private readonly minDelta: number;
  private readonly cooldown: number;
  private readonly minLr: number;
  private mode?: Mode;
  private state: State = { wait: 0, best: Infinity, cooldown_counter: 0 };

  constructor(private readonly options: ReduceLROnPlateauOptions = {}, private readonly onReduce?: (epoch: number, oldLr: number, newLr: number, value: number) => void) {
    this.monitor = options.monitor ?? 'val_loss';
    this.factor = options.factor ?? 0.1;
    if (this.factor >= 1) throw new Error('ReduceLROnPlateau: factor must be < 1');
    this.patience = options.patience ?? 10;
    this.minDelta = options.min_delta ?? 1e-4;
    this.cooldown = options.cooldown ?? 0;
    this.minLr = options.min_lr ?? 0;
  }

  getState() {
    return { ...this.state, mode: this.mode };
  }

  setState(s: unknown) {
    const st = s as State & { mode?: Mode };
    this.state = { wait: st.wait, best: st.best, cooldown_counter: st.cooldown_counter };
    this.mode = st.mode;
    // A checkpoint's JSON turns ±Infinity (no best yet) into null.
    if (st.best === null) this.state.best = st.mode === 'max' ? -Infinity : Infinity;
  }

  onTrainBegin(ctx: TrainingContext) {
    this.mode ??= resolveMode(this.options.mode, this.monitor, ctx, 'ReduceLROnPlateau');
    if (this.state.best === Infinity && this.mode === 'max') this.state.best = -Infinity;
  }

  private improved(current: number, best: number): boolean {
    return this.mode === 'min' ? f32(current) < f32(best - this.minDelta) : f32(current) > f32(best + this.minDelta);
  }

  onEpochEnd(epoch: number, logs: Logs, ctx: TrainingContext) {
    const lr = ctx.optimizer.learningRate;
    logs.learning_rate = lr;
    const current = logs[this.monitor];
    if (current === undefined) throw new Error(`ReduceLROnPlateau: monitor "${this.monitor}" is not in the logs; available: ${Object.keys(logs).join(', ')}`);
    if (this.state.cooldown_counter > 0) {
      this.state.cooldown_counter -= 1;
      this.state.wait = 0;
    }
    if (this.improved(current, this.state.best)) {
      this.state.best = current;
      this.state.wait = 0;
    } else if (this.state.cooldown_counter <= 0) {
      this.state.wait += 1;
      if (this.state.wait >= this.patience && lr > f32(this.minLr)) {
        const next = f32(Math.max(lr * this.factor, this.minLr));
        ctx.optimizer.learningRate = next;
        this.state.cooldown_counter = this.cooldown;
        this.state.wait = 0;
        this.onReduce?.(epoch, lr, next, current);
      }
    }
  }
}
