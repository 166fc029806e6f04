import { f32, resolveMode, type Callback, type Logs, type Mode, type TrainingContext } from './callback.ts';

export interface ModelCheckpointOptions {
  filepath: string;
  monitor?: string;
  save_best_only?: boolean;
  save_weights_only?: boolean;
  mode?: string;
  save_freq?: string | number;
  initial_value_threshold?: number | null;
}

export interface CheckpointRequest {
  name: string;
  epoch: number;
  weightsOnly: boolean;
  monitor: string;
  value?: number;
}

/** Python str.format for the fields Keras offers in filepath: {epoch:02d}, {val_loss:.2f}, ... */
export function formatFilepath(template: string, epoch: number, logs: Logs): string {
  return template.replace(/\{(\w+)(?::([^}]*))?\}/g, (whole, key: string, spec?: string) => {
    const value = key === 'epoch' ? epoch + 1 : logs[key];
    if (value === undefined) throw new Error(`ModelCheckpoint: filepath uses {${key}} which is not in the logs`);
    if (!spec) return String(value);
    const m = /^(0?)(\d*)(?:\.(\d+))?([dfe])$/.exec(spec);
    if (!m) return whole;
    const [, zero, width, precision, type] = m;
    let s = type === 'd' ? String(Math.trunc(value)) : type === 'f' ? value.toFixed(Number(precision ?? 6)) : value.toExponential(Number(precision ?? 6));
    if (width) s = s.padStart(Number(width), zero ? '0' : ' ');
    return s;
  });
}

/** keras.callbacks.ModelCheckpoint (epoch frequency); where and how to save is the caller's. */
export class ModelCheckpoint implements Callback {
  private readonly monitor: string;
  private mode?: Mode;
  private best: number;

  constructor(private readonly options: ModelCheckpointOptions, private readonly save: (req: CheckpointRequest, ctx: TrainingContext) => Promise<void>) {
    if (!options.filepath) throw new Error('ModelCheckpoint: filepath is required');
    if (options.save_freq !== undefined && options.save_freq !== 'epoch') throw new Error('ModelCheckpoint: only save_freq "epoch" is supported');
    this.monitor = options.monitor ?? 'val_loss';
    this.best = options.initial_value_threshold ?? NaN;
  }

  getState() {
    return { best: this.best, mode: this.mode };
  }

  setState(s: unknown) {
    const st = s as { best: number; mode?: Mode };
    this.best = st.best ?? (st.mode === 'max' ? -Infinity : Infinity);
    this.mode = st.mode;
  }

  onTrainBegin(ctx: TrainingContext) {
    if (!this.options.save_best_only) return;
    this.mode ??= resolveMode(this.options.mode, this.monitor, ctx, 'ModelCheckpoint');
    if (Number.isNaN(this.best)) this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  async onEpochEnd(epoch: number, logs: Logs, ctx: TrainingContext) {
    const name = formatFilepath(this.options.filepath, epoch, logs);
    const weightsOnly = !!this.options.save_weights_only;
    if (!this.options.save_best_only) {
      await this.save({ name, epoch, weightsOnly, monitor: this.monitor, value: logs[this.monitor] }, ctx);
      return;
    }
    const current = logs[this.monitor];
    if (current === undefined) throw new Error(`ModelCheckpoint: monitor "${this.monitor}" is not in the logs; available: ${Object.keys(logs).join(', ')}`);
    const better = this.mode === 'min' ? f32(current) < f32(this.best) : f32(current) > f32(this.best);
    if (better) {
      this.best = current;
      await this.save({ name, epoch, weightsOnly, monitor: this.monitor, value: current }, ctx);
    }
  }
}
