/** keras.layers.Dropout and Activation. */
import { REQUIRED, type LayerDef } from './layer-def.ts';

export const Dropout: LayerDef = {
  class_name: 'Dropout',
  keras: { rate: REQUIRED, seed: null, noise_shape: null },
  build_config: false,
  call_kwargs: { training: false },
  // In training the mask comes from TensorFlow's generator (or tfjs's for a noise_shape), not
  // Keras's seed stream: the same distribution, other draws. Inference is the identity, as in Keras.
  // seed is default-only: it would not reproduce Keras's masks, nor make the service's repeatable.
  honours: { rate: true, noise_shape: true },
  arity: 1,
  outputShape: (_cfg, [s]) => s,
  // Training traces only when the model draws the mask natively (KerasModel.hasNativeDropout).
  mask: () => 'passes',
  graph: 'inference',
  build: (cfg, { tf, common, pick }) => tf.layers.dropout({ ...common, ...pick(cfg, ['rate', 'noise_shape', 'seed']) }),
};

export const Activation: LayerDef = {
  class_name: 'Activation',
  keras: { activation: REQUIRED },
  build_config: false,
  honours: { activation: true },
  arity: 1,
  outputShape: (_cfg, [s]) => s,
  mask: () => 'passes',
  graph: 'training',
  build: (cfg, { tf, common, activation }) => tf.layers.activation({ ...common, activation: activation(cfg.activation) }),
};
