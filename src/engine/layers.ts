/**
 * Builds tfjs-layers objects from Keras layer configs (snake_case → camelCase, Keras defaults).
 * Weight order and layouts of these tfjs layers equal Keras's (kernels (in, out), conv kernels
 * (kh, kw, in, out), LSTM gates i, f, c, o), so Keras weights load as they are.
 */
import * as tf from '@tensorflow/tfjs';
import { tfjsActivation } from './activations.ts';
import { KerasGRU } from './keras-gru.ts';
import type { GraphLayer } from '../spec/graph.ts';

type Cfg = Record<string, any>;
type Factory = (cfg: Cfg, common: Cfg, inputShape?: Array<number | null>) => tf.layers.Layer;

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function initializer(value: unknown): unknown {
  if (value === undefined) return undefined;
  // tfjs spells LeCun with a capital C.
  if (typeof value === 'string') return camel(value).replace(/^lecun/, 'leCun');
  const v = value as { class_name: string; config?: Cfg };
  return { className: v.class_name, config: v.config ?? {} };
}

/** Keras regularizers: 'l1', 'l2' (factor 0.01), 'l1_l2' / L1L2 (l1 = l2 = 0 unless given). */
function regularizer(value: unknown): unknown {
  const [cls, cfg] = typeof value === 'string' ? [value, {} as Cfg] : [(value as { class_name: string }).class_name, ((value as { config?: Cfg }).config ?? {}) as Cfg];
  switch (cls.toLowerCase()) {
    case 'l1':
      return tf.regularizers.l1({ l1: cfg.l1 ?? 0.01 });
    case 'l2':
      return tf.regularizers.l2({ l2: cfg.l2 ?? 0.01 });
    case 'l1_l2':
    case 'l1l2':
      return tf.regularizers.l1l2({ l1: cfg.l1 ?? 0, l2: cfg.l2 ?? 0 });
    default:
      throw new Error(`unsupported regularizer ${JSON.stringify(value)}; supported: l1, l2, l1_l2 (or L1, L2, L1L2 objects)`);
  }
}

/** Copies the listed Keras keys that are present, renaming them to tfjs's camelCase. */
function pick(cfg: Cfg, keys: string[]): any {
  const out: Cfg = {};
  for (const k of keys) if (cfg[k] !== undefined) out[camel(k)] = cfg[k];
  return out;
}

function weightsCfg(cfg: Cfg): Cfg {
  const out: Cfg = {};
  for (const k of ['kernel_initializer', 'bias_initializer', 'recurrent_initializer', 'embeddings_initializer', 'beta_initializer', 'gamma_initializer', 'moving_mean_initializer', 'moving_variance_initializer']) {
    // Keras writes {class_name: "GlorotUniform", config: {seed: null}}; tfjs wants the same class names.
    if (cfg[k] !== undefined) out[camel(k)] = initializer(cfg[k]);
  }
  for (const k of ['kernel_regularizer', 'bias_regularizer', 'recurrent_regularizer', 'embeddings_regularizer', 'beta_regularizer', 'gamma_regularizer']) {
    if (cfg[k] !== undefined && cfg[k] !== null) out[camel(k)] = regularizer(cfg[k]);
  }
  return out;
}

const act = (cfg: Cfg, fallback?: string) => ({ activation: tfjsActivation(cfg.activation ?? fallback) as any });

const FACTORIES: Record<string, Factory> = {
  Dense: (cfg, c) => tf.layers.dense({ ...c, ...pick(cfg, ['units', 'use_bias']), ...act(cfg, 'linear'), ...weightsCfg(cfg) }),
  Conv1D: (cfg, c) => tf.layers.conv1d({ ...c, ...pick(cfg, ['filters', 'kernel_size', 'strides', 'padding', 'dilation_rate', 'use_bias']), ...act(cfg, 'linear'), ...weightsCfg(cfg) }),
  Conv2D: (cfg, c) => tf.layers.conv2d({ ...c, ...pick(cfg, ['filters', 'kernel_size', 'strides', 'padding', 'dilation_rate', 'use_bias']), ...act(cfg, 'linear'), ...weightsCfg(cfg) }),
  MaxPooling1D: (cfg, c) => tf.layers.maxPooling1d({ ...c, poolSize: cfg.pool_size ?? 2, strides: cfg.strides ?? cfg.pool_size ?? 2, padding: cfg.padding ?? 'valid' }),
  MaxPooling2D: (cfg, c) => tf.layers.maxPooling2d({ ...c, poolSize: cfg.pool_size ?? 2, strides: cfg.strides ?? cfg.pool_size ?? 2, padding: cfg.padding ?? 'valid' }),
  AveragePooling1D: (cfg, c) => tf.layers.averagePooling1d({ ...c, poolSize: cfg.pool_size ?? 2, strides: cfg.strides ?? cfg.pool_size ?? 2, padding: cfg.padding ?? 'valid' }),
  AveragePooling2D: (cfg, c) => tf.layers.averagePooling2d({ ...c, poolSize: cfg.pool_size ?? 2, strides: cfg.strides ?? cfg.pool_size ?? 2, padding: cfg.padding ?? 'valid' }),
  GlobalMaxPooling1D: (_cfg, c) => tf.layers.globalMaxPooling1d(c),
  GlobalMaxPooling2D: (_cfg, c) => tf.layers.globalMaxPooling2d(c),
  GlobalAveragePooling1D: (_cfg, c) => tf.layers.globalAveragePooling1d(c),
  GlobalAveragePooling2D: (_cfg, c) => tf.layers.globalAveragePooling2d(c),
  // tfjs's Flatten refuses samples that are already flat; Keras's passes them through.
  Flatten: (_cfg, c, input) => (input && input.length === 2 ? tf.layers.reshape({ ...c, targetShape: [input[1] as number] }) : tf.layers.flatten(c)),
  Reshape: (cfg, c) => tf.layers.reshape({ ...c, targetShape: cfg.target_shape }),
  Dropout: (cfg, c) => tf.layers.dropout({ ...c, ...pick(cfg, ['rate', 'noise_shape', 'seed']) }),
  Activation: (cfg, c) => tf.layers.activation({ ...c, ...act(cfg) }),
  // Keras defaults differ from tfjs's: epsilon 1e-3 and momentum 0.99 are Keras's.
  BatchNormalization: (cfg, c) => tf.layers.batchNormalization({ ...c, axis: cfg.axis ?? -1, momentum: cfg.momentum ?? 0.99, epsilon: cfg.epsilon ?? 1e-3, center: cfg.center ?? true, scale: cfg.scale ?? true, ...weightsCfg(cfg) }),
  LayerNormalization: (cfg, c) => tf.layers.layerNormalization({ ...c, axis: cfg.axis ?? -1, epsilon: cfg.epsilon ?? 1e-3, center: cfg.center ?? true, scale: cfg.scale ?? true, ...weightsCfg(cfg) }),
  Concatenate: (cfg, c) => tf.layers.concatenate({ ...c, axis: cfg.axis ?? -1 }),
  Add: (_cfg, c) => tf.layers.add(c),
  Multiply: (_cfg, c) => tf.layers.multiply(c),
  Average: (_cfg, c) => tf.layers.average(c),
  Maximum: (_cfg, c) => tf.layers.maximum(c),
  Minimum: (_cfg, c) => tf.layers.minimum(c),
  Embedding: (cfg, c) => tf.layers.embedding({ ...c, ...pick(cfg, ['input_dim', 'output_dim', 'mask_zero']), ...weightsCfg(cfg) }),
  // Keras's recurrent_activation default is sigmoid; tfjs's is hard_sigmoid.
  SimpleRNN: (cfg, c) => tf.layers.simpleRNN({ ...c, ...pick(cfg, ['units', 'use_bias', 'return_sequences', 'go_backwards']), ...act(cfg, 'tanh'), ...weightsCfg(cfg) }),
  LSTM: (cfg, c) => tf.layers.lstm({ ...c, ...pick(cfg, ['units', 'use_bias', 'return_sequences', 'go_backwards', 'unit_forget_bias']), ...act(cfg, 'tanh'), recurrentActivation: tfjsActivation(cfg.recurrent_activation ?? 'sigmoid') as any, ...weightsCfg(cfg) }),
  // Keras 3 defaults to reset_after=True, which tfjs's GRU lacks: our own layer implements it.
  GRU: (cfg, c) =>
    cfg.reset_after === false
      ? tf.layers.gru({ ...c, ...pick(cfg, ['units', 'use_bias', 'return_sequences', 'go_backwards']), ...act(cfg, 'tanh'), recurrentActivation: tfjsActivation(cfg.recurrent_activation ?? 'sigmoid') as any, ...weightsCfg(cfg) })
      : new KerasGRU({ ...c, name: c.name, units: cfg.units, activation: tfjsActivation(cfg.activation ?? 'tanh'), recurrentActivation: tfjsActivation(cfg.recurrent_activation ?? 'sigmoid'), useBias: cfg.use_bias, returnSequences: cfg.return_sequences, goBackwards: cfg.go_backwards }),
};

export function buildLayer(layer: GraphLayer, inputShape?: Array<number | null>): tf.layers.Layer {
  const factory = FACTORIES[layer.class_name];
  if (!factory) throw new Error(`layer class ${layer.class_name} is not available in the engine`);
  const common: Cfg = { name: layer.name, trainable: layer.config.trainable ?? true };
  return factory(layer.config, common, inputShape);
}
