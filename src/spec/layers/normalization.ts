/** keras.layers.BatchNormalization, LayerNormalization, GroupNormalization and UnitNormalization. */
import type * as TF from '@tensorflow/tfjs';
import { ShapeError, init, known, type Cfg, type LayerDef, type Shape, type WeightSpec } from './layer-def.ts';

/** The normalized axes' sizes (Keras counts the batch dimension in axis; our shapes do not). */
function axisShape(cfg: Cfg, s: Shape): number[] {
  const axes = (Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1]) as number[];
  return axes.map((a) => known(a < 0 ? s[s.length + a] : s[a - 1], 'the normalized dimension'));
}

function scaleAndCenter(cfg: Cfg, shape: number[]): WeightSpec[] {
  return [
    ...(cfg.scale !== false ? [{ name: 'gamma', shape, trainable: true }] : []),
    ...(cfg.center !== false ? [{ name: 'beta', shape, trainable: true }] : []),
  ];
}

type BnVars = { gamma?: { read(): TF.Tensor } | null; beta?: { read(): TF.Tensor } | null; movingMean: { read(): TF.Tensor; write(t: TF.Tensor): void }; movingVariance: { read(): TF.Tensor; write(t: TF.Tensor): void } };

/**
 * Keras's BatchNormalization over axes other than the last alone, which tfjs's gradient gets wrong
 * (its FusedBatchNorm gradient reshapes to the last axis): batch moments over the other axes,
 * (x - mean) / sqrt(var + epsilon) * gamma + beta, moving statistics updated by momentum.
 */
function overAnyAxis(layer: TF.layers.Layer, axes: number[], cfg: Cfg, tf: typeof TF): void {
  const l = layer as unknown as BnVars;
  const epsilon = cfg.epsilon ?? 1e-3;
  const momentum = cfg.momentum ?? 0.99;
  layer.call = (inputs, kwargs) =>
    tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as TF.Tensor;
      const reduce = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const broadcast = x.shape.map((d, i) => (axes.includes(i) ? d! : 1));
      const shaped = (t: TF.Tensor) => tf.reshape(t, broadcast);
      let mean: TF.Tensor;
      let variance: TF.Tensor;
      if (kwargs?.training) {
        ({ mean, variance } = tf.moments(x, reduce, true));
        const [m, v] = [tf.reshape(mean, l.movingMean.read().shape), tf.reshape(variance, l.movingVariance.read().shape)];
        l.movingMean.write(tf.add(tf.mul(l.movingMean.read(), momentum), tf.mul(m, 1 - momentum)));
        l.movingVariance.write(tf.add(tf.mul(l.movingVariance.read(), momentum), tf.mul(v, 1 - momentum)));
      } else {
        mean = shaped(l.movingMean.read());
        variance = shaped(l.movingVariance.read());
      }
      let inv = tf.rsqrt(tf.add(variance, epsilon));
      if (cfg.scale !== false) inv = tf.mul(inv, shaped(l.gamma!.read()));
      let y = tf.mul(tf.sub(x, mean), inv);
      if (cfg.center !== false) y = tf.add(y, shaped(l.beta!.read()));
      return y;
    });
}

export const BatchNormalization: LayerDef = {
  class_name: 'BatchNormalization',
  keras: {
    axis: -1, momentum: 0.99, epsilon: 0.001, center: true, scale: true,
    beta_initializer: init('Zeros'), gamma_initializer: init('Ones'), moving_mean_initializer: init('Zeros'), moving_variance_initializer: init('Ones'),
    beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null,
    synchronized: false, renorm: false, renorm_clipping: null, renorm_momentum: 0.99,
  },
  build_config: true,
  call_kwargs: { mask: null },
  honours: {
    axis: true, momentum: true, epsilon: true, center: true, scale: true,
    beta_initializer: true, gamma_initializer: true, moving_mean_initializer: true, moving_variance_initializer: true, beta_regularizer: true, gamma_regularizer: true,
    // One device: synchronized statistics are the local ones.
    synchronized: true,
    // Only read when renorm is on, which is refused.
    renorm_momentum: true,
  },
  arity: 1,
  outputShape: (_cfg, [s]) => s,
  weights(cfg, [s]) {
    const shape = axisShape(cfg, s);
    return [...scaleAndCenter(cfg, shape), { name: 'moving_mean', shape, trainable: false }, { name: 'moving_variance', shape, trainable: false }];
  },
  graph: 'training',
  // Keras's defaults differ from tfjs's: epsilon 1e-3 and momentum 0.99 are Keras's.
  build(cfg, { tf, common, weightArgs, inputShape }) {
    const layer = tf.layers.batchNormalization({ ...common, axis: cfg.axis ?? -1, momentum: cfg.momentum ?? 0.99, epsilon: cfg.epsilon ?? 1e-3, center: cfg.center ?? true, scale: cfg.scale ?? true, ...weightArgs(cfg) });
    const axes = (Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1]) as number[];
    const rank = inputShape.length;
    const lastOnly = axes.length === 1 && (axes[0] === -1 || axes[0] === rank - 1);
    if (!lastOnly) overAnyAxis(layer, axes.map((a) => (a < 0 ? rank + a : a)), cfg, tf);
    if (cfg.trainable === false) {
      // Keras: a frozen BatchNormalization runs in inference mode, training or not (moving statistics, no updates).
      const call = layer.call.bind(layer);
      layer.call = (inputs, kwargs) => call(inputs, { ...kwargs, training: false });
    }
    if (cfg.center !== false && cfg.scale !== false) return layer;
    // tfjs's training pass reads gamma and beta even when scale or center is off: constant
    // ones and zeros stand in, outside the layer's weights (Keras has none there either).
    const l = layer as unknown as { movingMean: { read(): any }; gamma?: unknown; beta?: unknown };
    const build = layer.build.bind(layer);
    layer.build = (shape) => {
      build(shape);
      if (cfg.scale === false) l.gamma = { read: () => tf.onesLike(l.movingMean.read()) };
      if (cfg.center === false) l.beta = { read: () => tf.zerosLike(l.movingMean.read()) };
    };
    return layer;
  },
};

export const LayerNormalization: LayerDef = {
  class_name: 'LayerNormalization',
  keras: {
    axis: -1, epsilon: 0.001, center: true, scale: true, rms_scaling: false, beta_initializer: init('Zeros'), gamma_initializer: init('Ones'),
    beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null,
  },
  build_config: true,
  honours: { axis: true, epsilon: true, center: true, scale: true, beta_initializer: true, gamma_initializer: true, beta_regularizer: true, gamma_regularizer: true },
  arity: 1,
  outputShape: (_cfg, [s]) => s,
  weights: (cfg, [s]) => scaleAndCenter(cfg, axisShape(cfg, s)),
  mask: () => 'passes',
  graph: 'training',
  build(cfg, { tf, common, weightArgs }) {
    const layer = tf.layers.layerNormalization({ ...common, axis: cfg.axis ?? -1, epsilon: cfg.epsilon ?? 1e-3, center: cfg.center ?? true, scale: cfg.scale ?? true, ...weightArgs(cfg) });
    if (cfg.center !== false && cfg.scale !== false) return layer;
    // tfjs's gradient fails without a scale or an offset: for the call only, constant ones and
    // zeros stand in (the layer's weights and config stay Keras's).
    const l = layer as unknown as { scale: boolean; center: boolean; gamma?: unknown; beta?: unknown };
    const call = layer.call.bind(layer);
    layer.call = (inputs, kwargs) => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as any;
      const axes = (Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1]).map((a: number) => (a < 0 ? x.rank + a : a));
      const shape = axes.map((a: number) => x.shape[a]);
      const [gamma, beta, scale, center] = [l.gamma, l.beta, l.scale, l.center];
      if (!scale) l.gamma = { read: () => tf.ones(shape) };
      if (!center) l.beta = { read: () => tf.zeros(shape) };
      l.scale = l.center = true;
      try {
        return call(inputs, kwargs);
      } finally {
        Object.assign(l, { gamma, beta, scale, center });
      }
    };
    return layer;
  },
};

/** The normalized axis of a GroupNormalization as an index into the shape with the batch dimension. */
function groupAxis(cfg: Cfg, s: Shape): number {
  const axis = cfg.axis ?? -1;
  const rank = s.length + 1;
  if (!Number.isInteger(axis) || axis === 0 || axis >= rank || axis < -s.length) throw new ShapeError(`axis must be a non-batch axis of the input (rank ${rank})`, 'axis');
  return axis < 0 ? rank + axis : axis;
}

/** GroupNormalization's groups (-1: one per channel) and channels, checked as Keras's build does. */
function groupSizes(cfg: Cfg, s: Shape): { groups: number; channels: number } {
  const channels = known(s[groupAxis(cfg, s) - 1], 'the normalized dimension');
  const given = cfg.groups ?? 32;
  if (!Number.isInteger(given) || (given < 1 && given !== -1)) throw new ShapeError('groups must be a positive integer or -1', 'groups');
  const groups = given === -1 ? channels : given;
  if (channels < groups || channels % groups !== 0) throw new ShapeError(`${channels} channels cannot be split into ${groups} groups`, 'groups');
  return { groups, channels };
}

export const GroupNormalization: LayerDef = {
  class_name: 'GroupNormalization',
  keras: {
    groups: 32, axis: -1, epsilon: 0.001, center: true, scale: true, beta_initializer: init('Zeros'), gamma_initializer: init('Ones'),
    beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null,
  },
  build_config: true,
  honours: { groups: true, axis: true, epsilon: true, center: true, scale: true, beta_initializer: true, gamma_initializer: true, beta_regularizer: true, gamma_regularizer: true },
  arity: 1,
  outputShape(cfg, [s]) {
    groupSizes(cfg, s);
    return s;
  },
  weights: (cfg, [s]) => scaleAndCenter(cfg, [groupSizes(cfg, s).channels]),
  mask: () => 'passes',
  graph: 'training',
  build(cfg, { tf, op, weightArgs, inputShape }) {
    const inner = inputShape.slice(1);
    const { groups, channels } = groupSizes(cfg, inner);
    const axis = groupAxis(cfg, inner);
    const epsilon = cfg.epsilon ?? 1e-3;
    const w = weightArgs(cfg);
    // Keras's order of operations: x * inv + (beta - mean * inv), inv = rsqrt(variance + epsilon) * gamma.
    const broadcast = [...inner.map(() => 1), 1];
    broadcast.splice(axis, 1, groups, channels / groups);
    const weights = [
      ...(cfg.scale !== false ? [{ name: 'gamma', shape: [channels], initializer: w.gammaInitializer ?? 'ones', regularizer: w.gammaRegularizer }] : []),
      ...(cfg.center !== false ? [{ name: 'beta', shape: [channels], initializer: w.betaInitializer ?? 'zeros', regularizer: w.betaRegularizer }] : []),
    ];
    return op({
      weights,
      call([x], vars) {
        const shape = x.shape as number[];
        const grouped = [...shape];
        grouped.splice(axis, 1, groups, channels / groups);
        const g = tf.reshape(x, grouped);
        const reduce = grouped.map((_, i) => i).filter((i) => i !== 0 && i !== axis);
        const { mean, variance } = tf.moments(g, reduce, true);
        let inv = tf.rsqrt(tf.add(variance, epsilon));
        let at = 0;
        if (cfg.scale !== false) inv = tf.mul(inv, tf.reshape(vars[at++], broadcast));
        let res = tf.mul(tf.neg(mean), inv);
        if (cfg.center !== false) res = tf.add(res, tf.reshape(vars[at], broadcast));
        return tf.reshape(tf.add(tf.mul(g, inv), res), shape);
      },
    });
  },
};

export const UnitNormalization: LayerDef = {
  class_name: 'UnitNormalization',
  keras: { axis: -1 },
  build_config: false,
  honours: { axis: true },
  arity: 1,
  outputShape(cfg, [s]) {
    const axes = Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1];
    for (const a of axes) if (!Number.isInteger(a) || a === 0 || a > s.length || a < -s.length) throw new ShapeError(`axis ${JSON.stringify(a)} is not a non-batch axis of the input (rank ${s.length + 1})`, 'axis');
    return s;
  },
  mask: () => 'passes',
  graph: 'training',
  build(cfg, { tf, op }) {
    const axes = (Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1]) as number[];
    // Keras's ops.normalize, order 2: x * min(rsqrt(sum(x^2)), 1 / epsilon), epsilon 1e-12.
    return op({ call: ([x]) => tf.mul(x, tf.minimum(tf.rsqrt(tf.sum(tf.square(x), axes.map((a) => (a < 0 ? x.rank + a : a)), true)), 1e12)) });
  },
};
