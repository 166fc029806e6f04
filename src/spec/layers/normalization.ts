/** keras.layers.BatchNormalization and LayerNormalization. */
import { init, known, type Cfg, type LayerDef, type Shape, type WeightSpec } from './layer-def.ts';

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
  build(cfg, { tf, common, weightArgs }) {
    const layer = tf.layers.batchNormalization({ ...common, axis: cfg.axis ?? -1, momentum: cfg.momentum ?? 0.99, epsilon: cfg.epsilon ?? 1e-3, center: cfg.center ?? true, scale: cfg.scale ?? true, ...weightArgs(cfg) });
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
