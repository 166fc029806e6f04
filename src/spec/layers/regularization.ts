/**
 * keras.layers.SpatialDropout1D/2D, GaussianNoise, GaussianDropout, AlphaDropout and
 * ActivityRegularization. The noise layers are the identity at inference, as in Keras; in training
 * they draw from TensorFlow's generator (BuildContext.custom.random), not Keras's seed stream: the
 * same distributions, other draws. seed is default-only: it would reproduce neither Keras's draws
 * nor the service's own. As graph nodes the draws are made anew at every run, so they train as a graph.
 */
import type * as TF from '@tensorflow/tfjs';
import { CHANNELS_LAST_ONLY, REQUIRED, ShapeError, rank, type Cfg, type LayerDef, type OptionRule, type Shape } from './layer-def.ts';

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A rate Keras takes and computes with: 1 divides by zero in all three layers that take one. */
const RATE: OptionRule = (v) => (isNumber(v) && v >= 0 && v < 1 ? undefined : 'must be a number in [0, 1)');

const NOISE_KWARGS = { training: false };

/** A noise layer: the identity unless training, and then `noisy` of the input (when `active`). */
function noiseLayer(def: Omit<LayerDef, 'build' | 'arity' | 'graph' | 'build_config' | 'call_kwargs' | 'mask'> & { active(cfg: Cfg): boolean; noisy(x: TF.Tensor, cfg: Cfg, random: (kind: 'uniform' | 'normal', shape: number[]) => TF.Tensor, tf: typeof TF): TF.Tensor }): LayerDef {
  const { active, noisy, ...rest } = def;
  return {
    ...rest,
    build_config: false,
    call_kwargs: NOISE_KWARGS,
    arity: 1,
    mask: () => 'passes',
    graph: 'training',
    build: (cfg, { tf, op, custom }) => op({ call: ([x], _w, kwargs) => (kwargs.training && active(cfg) ? noisy(x, cfg, custom.random, tf) : x) }),
  };
}

/** x / (1 - rate) where a uniform draw of maskShape is >= rate, else 0: Keras's backend.random.dropout. */
function dropout(tf: typeof TF, x: TF.Tensor, rate: number, maskShape: number[], random: (kind: 'uniform', shape: number[]) => TF.Tensor): TF.Tensor {
  const keep = tf.cast(tf.greaterEqual(random('uniform', maskShape), rate), 'float32');
  return tf.mul(tf.mul(x, 1 / (1 - rate)), keep);
}

function spatialDropout(dims: 1 | 2): LayerDef {
  return noiseLayer({
    class_name: `SpatialDropout${dims}D`,
    keras: dims === 1 ? { rate: REQUIRED, seed: null } : { rate: REQUIRED, seed: null, data_format: 'channels_last' },
    // Keras's get_config of the spatial dropouts writes no trainable (their constructors take none).
    bareConfig: true,
    honours: dims === 1 ? { rate: RATE } : { rate: RATE, data_format: CHANNELS_LAST_ONLY },
    outputShape: (_cfg, inputs) => rank(inputs, dims + 1, dims === 1 ? '(batch, steps, channels)' : '(batch, height, width, channels)'),
    active: (cfg) => cfg.rate > 0,
    // One draw per sample and channel, for every step (or pixel).
    noisy: (x, cfg, random, tf) => dropout(tf, x, cfg.rate, x.shape.map((d, i) => (i === 0 || i === x.rank - 1 ? d! : 1)), random),
  });
}

export const SpatialDropout1D = spatialDropout(1);
export const SpatialDropout2D = spatialDropout(2);

export const GaussianNoise = noiseLayer({
  class_name: 'GaussianNoise',
  keras: { stddev: REQUIRED, seed: null },
  // Keras's constructor refuses a stddev outside [0, 1].
  honours: { stddev: (v) => (isNumber(v) && v >= 0 && v <= 1 ? undefined : 'must be a number in [0, 1]') },
  outputShape: (_cfg, [s]) => s,
  active: (cfg) => cfg.stddev > 0,
  noisy: (x, cfg, random, tf) => tf.add(x, tf.mul(random('normal', x.shape as number[]), cfg.stddev)),
});

export const GaussianDropout = noiseLayer({
  class_name: 'GaussianDropout',
  keras: { rate: REQUIRED, seed: null },
  honours: { rate: RATE },
  outputShape: (_cfg, [s]) => s,
  active: (cfg) => cfg.rate > 0,
  // Multiplicative noise of mean 1 and standard deviation sqrt(rate / (1 - rate)).
  noisy: (x, cfg, random, tf) => tf.mul(x, tf.add(tf.mul(random('normal', x.shape as number[]), Math.sqrt(cfg.rate / (1 - cfg.rate))), 1)),
});

/** AlphaDropout's noise_shape (batch dimension first): a list of null, 1 or the input's own size per dimension. */
function noiseShapeProblem(noise: unknown, s: Shape): string | undefined {
  if (noise === null || noise === undefined) return undefined;
  const full = [null, ...s];
  if (!Array.isArray(noise) || noise.length !== full.length) return `must list ${full.length} dimensions (the batch dimension first)`;
  const bad = noise.findIndex((d, i) => !(d === null || d === 1 || (i > 0 && d === full[i])));
  return bad < 0 ? undefined : `dimension ${bad} must be null, 1 or the input's size ${full[bad] ?? '(the batch)'}`;
}

export const AlphaDropout = noiseLayer({
  class_name: 'AlphaDropout',
  keras: { rate: REQUIRED, seed: null, noise_shape: null },
  honours: { rate: RATE, noise_shape: true },
  outputShape(cfg, [s]) {
    const problem = noiseShapeProblem(cfg.noise_shape, s);
    if (problem) throw new ShapeError(`noise_shape ${problem}`, 'noise_shape');
    return s;
  },
  active: (cfg) => cfg.rate > 0,
  // Keras: dropped units are set to SELU's negative saturation, then an affine map keeps the mean and variance.
  noisy(x, cfg, random, tf) {
    const rate = cfg.rate as number;
    const alphaP = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946;
    const shape = (x.shape as number[]).map((d, i) => (cfg.noise_shape ? (cfg.noise_shape[i] ?? d) : d));
    const kept = tf.cast(tf.greaterEqual(random('uniform', shape), rate), 'float32');
    const a = ((1 - rate) * (1 + rate * alphaP ** 2)) ** -0.5;
    const b = -a * alphaP * rate;
    const dropped = tf.add(tf.mul(x, kept), tf.mul(tf.sub(1, kept), alphaP));
    return tf.add(tf.mul(dropped, a), b);
  },
});

const PENALTY: OptionRule = (v) => (isNumber(v) && v >= 0 ? undefined : 'must be a non-negative number');

export const ActivityRegularization: LayerDef = {
  class_name: 'ActivityRegularization',
  keras: { l1: 0.0, l2: 0.0 },
  build_config: false,
  honours: { l1: PENALTY, l2: PENALTY },
  arity: 1,
  outputShape: (_cfg, [s]) => s,
  activityRegularizer: (cfg) => (cfg.l1 || cfg.l2 ? { l1: cfg.l1 ?? 0, l2: cfg.l2 ?? 0 } : undefined),
  mask: () => 'passes',
  graph: 'training',
  build: (_cfg, { op }) => op({ call: ([x]) => x }),
};
