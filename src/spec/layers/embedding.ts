/** keras.layers.Embedding. */
import { REQUIRED, positiveInt, type LayerDef } from './layer-def.ts';

export const Embedding: LayerDef = {
  class_name: 'Embedding',
  keras: {
    input_dim: REQUIRED, output_dim: REQUIRED, embeddings_initializer: { class_name: 'RandomUniform', config: { seed: null, minval: -0.05, maxval: 0.05 } },
    embeddings_regularizer: null, activity_regularizer: null, embeddings_constraint: null, mask_zero: false, quantization_config: null,
  },
  // Keras 3 takes input_length and ignores it (the Input's shape says it).
  ignored: ['input_length'],
  build_config: true,
  // mask_zero is default-only: no mask reaches the layers after it yet, so a masked model would
  // compute other numbers than Keras.
  honours: { input_dim: true, output_dim: true, embeddings_initializer: true, embeddings_regularizer: true },
  arity: 1,
  outputShape: (cfg, [s]) => [...s, positiveInt(cfg.output_dim, 'output_dim')],
  weights: (cfg) => [{ name: 'embeddings', shape: [positiveInt(cfg.input_dim, 'input_dim'), cfg.output_dim], trainable: true }],
  graph: 'training',
  build: (cfg, { tf, common, pick, weightArgs }) => tf.layers.embedding({ ...common, ...pick(cfg, ['input_dim', 'output_dim']), ...weightArgs(cfg) }),
};
