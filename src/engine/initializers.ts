/**
 * Keras 3's VarianceScaling, which HeNormal, GlorotNormal and LecunNormal also are. tfjs's draws
 * its truncated normal with stddev sqrt(scale); Keras divides that by 0.8796... (the stddev of a
 * unit normal truncated at 2), so that the drawn values have the variance asked for.
 */
import * as tf from '@tensorflow/tfjs';

type Mode = 'fan_in' | 'fan_out' | 'fan_avg';
type Distribution = 'truncated_normal' | 'untruncated_normal' | 'normal' | 'uniform';

/** keras.src.initializers.random_initializers.compute_fans. */
function fans(shape: number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape.at(-2)! * receptive, shape.at(-1)! * receptive];
}

export class KerasVarianceScaling extends tf.serialization.Serializable {
  static readonly className = 'KerasVarianceScaling';
  readonly scale: number;
  readonly mode: Mode;
  readonly distribution: Distribution;
  readonly seed?: number;

  constructor(config: { scale?: number; mode?: Mode; distribution?: Distribution; seed?: number | null } = {}) {
    super();
    this.scale = config.scale ?? 1;
    this.mode = config.mode ?? 'fan_in';
    this.distribution = config.distribution ?? 'truncated_normal';
    this.seed = config.seed ?? undefined;
  }

  getClassName(): string {
    return KerasVarianceScaling.className;
  }

  apply(shape: number[], dtype?: tf.DataType): tf.Tensor {
    const [fanIn, fanOut] = fans(shape);
    const n = this.mode === 'fan_in' ? fanIn : this.mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
    const scale = this.scale / Math.max(1, n);
    const type = (dtype ?? 'float32') as 'float32';
    if (this.distribution === 'uniform') {
      const limit = Math.sqrt(3 * scale);
      return tf.randomUniform(shape, -limit, limit, type, this.seed);
    }
    if (this.distribution === 'truncated_normal') return tf.truncatedNormal(shape, 0, Math.sqrt(scale) / 0.87962566103423978, type, this.seed);
    return tf.randomNormal(shape, 0, Math.sqrt(scale), type, this.seed);
  }

  getConfig(): tf.serialization.ConfigDict {
    return { scale: this.scale, mode: this.mode, distribution: this.distribution, seed: this.seed ?? null };
  }
}
tf.serialization.registerClass(KerasVarianceScaling);

/** Keras 3's initializers that are VarianceScaling at fixed settings. */
export const VARIANCE_SCALING_CLASSES: Record<string, { scale: number; mode: Mode; distribution: Distribution }> = {
  VarianceScaling: { scale: 1, mode: 'fan_in', distribution: 'truncated_normal' },
  GlorotNormal: { scale: 1, mode: 'fan_avg', distribution: 'truncated_normal' },
  HeNormal: { scale: 2, mode: 'fan_in', distribution: 'truncated_normal' },
  LeCunNormal: { scale: 1, mode: 'fan_in', distribution: 'truncated_normal' },
};
