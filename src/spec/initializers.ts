/**
 * Keras initializers: the snake_case names users write, their Keras 3 classes and Keras 3's
 * configs at defaults. Our spec spells LeCun with a capital C (tfjs's spelling); Keras 3's class
 * is Lecun.
 */
type Cfg = Record<string, unknown>;

export const INITIALIZERS: Record<string, string> = {
  constant: 'Constant', glorot_normal: 'GlorotNormal', glorot_uniform: 'GlorotUniform', he_normal: 'HeNormal', he_uniform: 'HeUniform',
  identity: 'Identity', lecun_normal: 'LeCunNormal', lecun_uniform: 'LeCunUniform', ones: 'Ones', orthogonal: 'Orthogonal',
  random_normal: 'RandomNormal', random_uniform: 'RandomUniform', truncated_normal: 'TruncatedNormal', variance_scaling: 'VarianceScaling', zeros: 'Zeros',
};

const FAN_AXES = { seed: null, input_axes: null, output_axes: null };

/** Keras 3 initializer configs at their defaults, by Keras class name. */
export const KERAS_INITIALIZERS: Record<string, Cfg> = {
  GlorotUniform: FAN_AXES, GlorotNormal: FAN_AXES, HeNormal: FAN_AXES, HeUniform: FAN_AXES, LecunNormal: FAN_AXES, LecunUniform: FAN_AXES,
  Orthogonal: { seed: null, gain: 1.0 },
  RandomNormal: { seed: null, mean: 0.0, stddev: 0.05 },
  RandomUniform: { seed: null, minval: -0.05, maxval: 0.05 },
  TruncatedNormal: { seed: null, mean: 0.0, stddev: 0.05 },
  VarianceScaling: { seed: null, scale: 1.0, mode: 'fan_in', distribution: 'truncated_normal', input_axes: null, output_axes: null },
  Zeros: {}, Ones: {}, Constant: { value: 0.0 }, Identity: {},
};

/** A name or class of ours → Keras 3's class, or undefined. */
export function kerasInitializerClass(ours: string): string | undefined {
  const cls = Object.hasOwn(INITIALIZERS, ours) ? INITIALIZERS[ours] : ours;
  const keras = cls.replace(/^LeCun/, 'Lecun');
  return Object.hasOwn(KERAS_INITIALIZERS, keras) ? keras : undefined;
}

/** Why an initializer value is not one the engine builds, or undefined. */
export function initializerProblem(value: unknown): string | undefined {
  const obj = typeof value === 'object' && value !== null ? (value as { class_name?: unknown; config?: unknown }) : undefined;
  const name = typeof value === 'string' ? value : obj?.class_name;
  const cls = typeof name === 'string' ? kerasInitializerClass(name) : undefined;
  if (!cls) return `unknown initializer ${JSON.stringify(value)}; supported: ${Object.keys(INITIALIZERS).join(', ')}`;
  const config = (typeof obj?.config === 'object' && obj.config !== null ? obj.config : {}) as Cfg;
  if (cls === 'VarianceScaling') {
    const { scale, mode, distribution } = config;
    if (scale !== undefined && scale !== null && !(typeof scale === 'number' && scale > 0)) return 'initializer VarianceScaling: scale must be a number > 0';
    if (mode !== undefined && mode !== null && !['fan_in', 'fan_out', 'fan_avg'].includes(mode as string)) return `initializer VarianceScaling: mode must be "fan_in", "fan_out" or "fan_avg", got ${JSON.stringify(mode)}`;
    if (distribution !== undefined && distribution !== null && !['truncated_normal', 'untruncated_normal', 'uniform'].includes(distribution as string)) {
      return `initializer VarianceScaling: distribution must be "truncated_normal", "untruncated_normal" or "uniform", got ${JSON.stringify(distribution)}`;
    }
  }
  for (const [k, v] of Object.entries(config)) {
    if (v === null || k === 'dtype') continue;
    if (!Object.hasOwn(KERAS_INITIALIZERS[cls], k) || k === 'input_axes' || k === 'output_axes') return `initializer ${cls} option "${k}" = ${JSON.stringify(v)} is not supported`;
  }
  return undefined;
}
