/** keras.layers.Embedding. */
import type * as TF from '@tensorflow/tfjs';
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
  // mask_zero: the mask reaches the layers that take masks (see LayerDef.mask); any other layer it
  // would reach is refused at submit.
  honours: { input_dim: true, output_dim: true, embeddings_initializer: true, embeddings_regularizer: true, mask_zero: true },
  arity: 1,
  outputShape: (cfg, [s]) => [...s, positiveInt(cfg.output_dim, 'output_dim')],
  weights: (cfg) => [{ name: 'embeddings', shape: [positiveInt(cfg.input_dim, 'input_dim'), cfg.output_dim], trainable: true }],
  mask: (cfg) => (cfg.mask_zero ? 'makes' : undefined),
  graph: 'training',
  build(cfg, { tf, common, pick, weightArgs, custom }) {
    const layer = tf.layers.embedding({ ...common, ...pick(cfg, ['input_dim', 'output_dim']), ...weightArgs(cfg) });
    const l = layer as unknown as { embeddings: { read(): TF.Tensor } };
    const call = layer.call.bind(layer);
    // The engine's lookup kernel, so a graph step can hold it; tfjs's where there is none.
    layer.call = (inputs, kwargs) => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as TF.Tensor;
      return custom.gather(l.embeddings.read(), x) ?? call(inputs, kwargs);
    };
    return layer;
  },
};
