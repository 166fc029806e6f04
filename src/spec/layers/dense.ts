/** keras.layers.Dense. */
import { REQUIRED, init, known, positiveInt, useBias, ShapeError, type LayerDef } from './layer-def.ts';

export const Dense: LayerDef = {
  class_name: 'Dense',
  keras: {
    units: REQUIRED, activation: 'linear', use_bias: true, kernel_initializer: init('GlorotUniform'), bias_initializer: init('Zeros'),
    kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null, quantization_config: null,
  },
  build_config: true,
  honours: { units: true, activation: true, use_bias: true, kernel_initializer: true, bias_initializer: true, kernel_regularizer: true, bias_regularizer: true },
  arity: 1,
  outputShape(cfg, [s]) {
    if (s.length < 1) throw new ShapeError('expects an input of rank >= 2');
    known(s[s.length - 1], 'the last input dimension');
    return [...s.slice(0, -1), positiveInt(cfg.units, 'units')];
  },
  weights: (cfg, [s]) => [
    { name: 'kernel', shape: [known(s.at(-1), 'the last input dimension'), cfg.units], trainable: true },
    ...(useBias(cfg) ? [{ name: 'bias', shape: [cfg.units], trainable: true }] : []),
  ],
  mask: () => 'passes',
  graph: 'training',
  build: (cfg, { tf, common, pick, activation, weightArgs }) =>
    tf.layers.dense({ ...common, ...pick(cfg, ['units', 'use_bias']), activation: activation(cfg.activation, 'linear'), ...weightArgs(cfg) }),
};
