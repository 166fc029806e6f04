/** keras.layers.ReLU, LeakyReLU, PReLU, ELU and Softmax. */
import type * as TF from '@tensorflow/tfjs';
import { init, known, type Cfg, type LayerDef, type OptionRule } from './layer-def.ts';

const nonNegative: OptionRule = (v) => (typeof v === 'number' && v >= 0 ? undefined : 'must be a number >= 0');
const same = (_cfg: Cfg, [s]: Array<Array<number | null>>) => s;

/** Keras 3's ops.relu(x, negative_slope, max_value, threshold) as its TensorFlow backend computes it. */
export function kerasRelu(tf: typeof TF, x: TF.Tensor, cfg: Cfg): TF.Tensor {
  const slope = cfg.negative_slope ?? 0;
  const max = cfg.max_value ?? null;
  const threshold = cfg.threshold ?? 0;
  if (slope !== 0 && max === null && threshold === 0) return tf.leakyRelu(x, slope);
  const negative = slope !== 0 ? tf.relu(threshold !== 0 ? tf.add(tf.neg(x), threshold) : tf.neg(x)) : undefined;
  let clipMax = max !== null;
  let y: TF.Tensor;
  // tf.step, not a cast of x > threshold: tfjs has no gradient for Greater.
  if (threshold !== 0) y = tf.mul(x, tf.step(tf.sub(x, threshold)));
  else if (max === 6) {
    y = tf.relu6(x);
    clipMax = false;
  } else y = tf.relu(x);
  if (clipMax) y = tf.clipByValue(y, 0, max);
  if (negative) y = tf.sub(y, tf.mul(slope, negative));
  return y;
}

export const ReLU: LayerDef = {
  class_name: 'ReLU',
  keras: { max_value: null, negative_slope: 0.0, threshold: 0.0 },
  build_config: false,
  honours: { max_value: (v) => (v === null ? undefined : nonNegative(v, {})), negative_slope: nonNegative, threshold: nonNegative },
  arity: 1,
  outputShape: same,
  mask: () => 'passes',
  graph: 'training',
  build: (cfg, { tf, op }) => op({ call: ([x]) => kerasRelu(tf, x, cfg) }),
};

export const LeakyReLU: LayerDef = {
  class_name: 'LeakyReLU',
  keras: { negative_slope: 0.3 },
  build_config: false,
  honours: { negative_slope: nonNegative },
  arity: 1,
  outputShape: same,
  mask: () => 'passes',
  graph: 'training',
  build: (cfg, { tf, op }) => op({ call: ([x]) => tf.leakyRelu(x, cfg.negative_slope ?? 0.3) }),
};

/** The alpha variable's shape: the input's, with each shared axis (1-based, as in Keras) of size 1. */
function alphaShape(cfg: Cfg, s: Array<number | null>): number[] {
  const shared = cfg.shared_axes === null || cfg.shared_axes === undefined ? [] : Array.isArray(cfg.shared_axes) ? cfg.shared_axes : [cfg.shared_axes];
  return s.map((d, i) => (shared.includes(i + 1) ? 1 : known(d, 'every non-shared dimension of a PReLU input')));
}

export const PReLU: LayerDef = {
  class_name: 'PReLU',
  keras: { alpha_initializer: init('Zeros'), alpha_regularizer: null, alpha_constraint: null, shared_axes: null },
  build_config: true,
  honours: { alpha_initializer: true, alpha_regularizer: true, shared_axes: true },
  arity: 1,
  outputShape: same,
  weights: (cfg, [s]) => [{ name: 'alpha', shape: alphaShape(cfg, s), trainable: true }],
  graph: 'training',
  // Keras: relu(x) - alpha * relu(-x).
  build: (cfg, { tf, op, weightArgs, inputShape }) => {
    const w = weightArgs(cfg);
    return op({
      weights: [{ name: 'alpha', shape: alphaShape(cfg, inputShape.slice(1)), initializer: w.alphaInitializer, regularizer: w.alphaRegularizer }],
      call: ([x], [alpha]) => tf.sub(tf.relu(x), tf.mul(alpha, tf.relu(tf.neg(x)))),
    });
  },
};

export const ELU: LayerDef = {
  class_name: 'ELU',
  keras: { alpha: 1.0 },
  build_config: false,
  honours: { alpha: (v) => (typeof v === 'number' ? undefined : 'must be a number') },
  arity: 1,
  outputShape: same,
  mask: () => 'passes',
  graph: 'training',
  build: (cfg, { tf, op }) => {
    const alpha = cfg.alpha ?? 1;
    // Keras: elu(x), its negative part times alpha (written without a select on x > 0, which tfjs cannot differentiate).
    if (alpha === 1) return op({ call: ([x]) => tf.elu(x) });
    return op({
      call: ([x]) => {
        const e = tf.elu(x);
        return tf.add(tf.relu(e), tf.mul(alpha, tf.minimum(e, 0)));
      },
    });
  },
};

/** Keras's softmax over one axis or several: exp(x - max) / sum, the max and sum over those axes. */
export function softmaxOver(tf: typeof TF, x: TF.Tensor, axis: number | number[]): TF.Tensor {
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? x.rank + a : a));
  if (axes.length === 1 && axes[0] === x.rank - 1) return tf.softmax(x);
  const e = tf.exp(tf.sub(x, tf.max(x, axes, true)));
  return tf.div(e, tf.sum(e, axes, true));
}

export const Softmax: LayerDef = {
  class_name: 'Softmax',
  keras: { axis: -1 },
  build_config: false,
  call_kwargs: { mask: null },
  honours: { axis: (v) => (Number.isInteger(v) || (Array.isArray(v) && v.length > 0 && v.every(Number.isInteger)) ? undefined : 'must be an integer or a list of integers') },
  arity: 1,
  outputShape: same,
  graph: 'training',
  build: (cfg, { tf, op }) => op({ call: ([x]) => softmaxOver(tf, x, cfg.axis ?? -1) }),
};
