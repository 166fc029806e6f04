/** keras.layers.Flatten and Reshape. */
import { CHANNELS_LAST_ONLY, REQUIRED, ShapeError, known, type LayerDef } from './layer-def.ts';

export const Flatten: LayerDef = {
  class_name: 'Flatten',
  keras: { data_format: 'channels_last' },
  build_config: true,
  honours: { data_format: CHANNELS_LAST_ONLY },
  arity: 1,
  outputShape: (_cfg, [s]) => [s.reduce<number>((a, d) => a * known(d, 'every dimension of a Flatten input'), 1)],
  graph: 'training',
  // tfjs's Flatten refuses samples that are already flat; Keras's passes them through.
  build: (_cfg, { tf, common, inputShape }) => (inputShape.length === 2 ? tf.layers.reshape({ ...common, targetShape: [inputShape[1] as number] }) : tf.layers.flatten(common)),
};

export const Reshape: LayerDef = {
  class_name: 'Reshape',
  keras: { target_shape: REQUIRED },
  build_config: false,
  honours: { target_shape: true },
  arity: 1,
  outputShape(cfg, [s]) {
    const target = cfg.target_shape;
    if (!Array.isArray(target) || !target.every((d) => Number.isInteger(d) && (d > 0 || d === -1)) || target.filter((d) => d === -1).length > 1) {
      throw new ShapeError('target_shape must be a list of positive integers with at most one -1', 'target_shape');
    }
    const total = s.reduce<number>((a, d) => a * known(d, 'every dimension of a Reshape input'), 1);
    const fixed = target.filter((d: number) => d !== -1).reduce((a: number, b: number) => a * b, 1);
    const out = target.map((d: number) => (d === -1 ? total / fixed : d));
    if (out.reduce((a: number, b: number) => a * b, 1) !== total || !out.every(Number.isInteger)) {
      throw new ShapeError(`cannot reshape ${total} values into target_shape ${JSON.stringify(target)}`, 'target_shape');
    }
    return out;
  },
  graph: 'training',
  // The -1 resolved here: tfjs leaves it unknown in the model's shapes, which later layers refuse.
  build: (cfg, { tf, common, inputShape }) => {
    const total = inputShape.slice(1).reduce<number>((a, d) => a * (d as number), 1);
    const fixed = (cfg.target_shape as number[]).filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    return tf.layers.reshape({ ...common, targetShape: (cfg.target_shape as number[]).map((d) => (d === -1 ? total / fixed : d)) });
  },
};
