/**
 * For every registered layer class, the smallest model it fits in: the options it requires and the
 * inputs it takes. Tests build one model per layer from this (and fail when a class is missing).
 */
import { LAYERS } from '../../src/spec/layers/index.ts';
import type { InputSpec } from '../../src/spec/schema.ts';

export interface LayerHost {
  config: Record<string, unknown>;
  inputs: InputSpec[];
}

const seq = { shape: [6, 3] };
const img = { shape: [6, 6, 3] };
const vec = { shape: [4] };
const two = (shape: number[]) => [{ name: 'a', shape }, { name: 'b', shape }];

const HOSTS: Record<string, LayerHost> = {
  Dense: { config: { units: 2 }, inputs: [{ name: 'x', ...vec }] },
  Conv1D: { config: { filters: 2, kernel_size: 2 }, inputs: [{ name: 'x', ...seq }] },
  Conv2D: { config: { filters: 2, kernel_size: 2 }, inputs: [{ name: 'x', ...img }] },
  MaxPooling1D: { config: {}, inputs: [{ name: 'x', ...seq }] },
  MaxPooling2D: { config: {}, inputs: [{ name: 'x', ...img }] },
  AveragePooling1D: { config: {}, inputs: [{ name: 'x', ...seq }] },
  AveragePooling2D: { config: {}, inputs: [{ name: 'x', ...img }] },
  GlobalMaxPooling1D: { config: {}, inputs: [{ name: 'x', ...seq }] },
  GlobalMaxPooling2D: { config: {}, inputs: [{ name: 'x', ...img }] },
  GlobalAveragePooling1D: { config: {}, inputs: [{ name: 'x', ...seq }] },
  GlobalAveragePooling2D: { config: {}, inputs: [{ name: 'x', ...img }] },
  Flatten: { config: {}, inputs: [{ name: 'x', ...seq }] },
  Reshape: { config: { target_shape: [18] }, inputs: [{ name: 'x', ...seq }] },
  Dropout: { config: { rate: 0.1 }, inputs: [{ name: 'x', ...vec }] },
  Activation: { config: { activation: 'relu' }, inputs: [{ name: 'x', ...vec }] },
  BatchNormalization: { config: {}, inputs: [{ name: 'x', ...vec }] },
  LayerNormalization: { config: {}, inputs: [{ name: 'x', ...vec }] },
  Concatenate: { config: {}, inputs: two([4]) },
  Add: { config: {}, inputs: two([4]) },
  Multiply: { config: {}, inputs: two([4]) },
  Average: { config: {}, inputs: two([4]) },
  Maximum: { config: {}, inputs: two([4]) },
  Minimum: { config: {}, inputs: two([4]) },
  Embedding: { config: { input_dim: 5, output_dim: 2 }, inputs: [{ name: 'x', shape: [3], dtype: 'int32' }] },
  SimpleRNN: { config: { units: 2 }, inputs: [{ name: 'x', ...seq }] },
  LSTM: { config: { units: 2 }, inputs: [{ name: 'x', ...seq }] },
  GRU: { config: { units: 2 }, inputs: [{ name: 'x', ...seq }] },
  DepthwiseConv1D: { config: { kernel_size: 2 }, inputs: [{ name: 'x', ...seq }] },
  DepthwiseConv2D: { config: { kernel_size: 2 }, inputs: [{ name: 'x', ...img }] },
  SeparableConv1D: { config: { filters: 2, kernel_size: 2 }, inputs: [{ name: 'x', ...seq }] },
  SeparableConv2D: { config: { filters: 2, kernel_size: 2 }, inputs: [{ name: 'x', ...img }] },
  Conv1DTranspose: { config: { filters: 2, kernel_size: 2 }, inputs: [{ name: 'x', ...seq }] },
  Conv2DTranspose: { config: { filters: 2, kernel_size: 2 }, inputs: [{ name: 'x', ...img }] },
  ZeroPadding1D: { config: {}, inputs: [{ name: 'x', ...seq }] },
  ZeroPadding2D: { config: {}, inputs: [{ name: 'x', ...img }] },
  Cropping1D: { config: {}, inputs: [{ name: 'x', ...seq }] },
  Cropping2D: { config: {}, inputs: [{ name: 'x', ...img }] },
  UpSampling1D: { config: {}, inputs: [{ name: 'x', ...seq }] },
  UpSampling2D: { config: {}, inputs: [{ name: 'x', ...img }] },
  Permute: { config: { dims: [2, 1] }, inputs: [{ name: 'x', ...seq }] },
  RepeatVector: { config: { n: 2 }, inputs: [{ name: 'x', ...vec }] },
  ReLU: { config: {}, inputs: [{ name: 'x', ...vec }] },
  LeakyReLU: { config: {}, inputs: [{ name: 'x', ...vec }] },
  PReLU: { config: {}, inputs: [{ name: 'x', ...vec }] },
  ELU: { config: {}, inputs: [{ name: 'x', ...vec }] },
  Softmax: { config: {}, inputs: [{ name: 'x', ...vec }] },
  Subtract: { config: {}, inputs: two([4]) },
  Rescaling: { config: { scale: 0.5 }, inputs: [{ name: 'x', ...vec }] },
  Normalization: { config: {}, inputs: [{ name: 'x', ...vec }] },
  MultiHeadAttention: { config: { num_heads: 2, key_dim: 2 }, inputs: two([6, 3]) },
  Bidirectional: { config: { layer: { class_name: 'LSTM', config: { units: 2 } } }, inputs: [{ name: 'x', ...seq }] },
  SpatialDropout1D: { config: { rate: 0.1 }, inputs: [{ name: 'x', ...seq }] },
  SpatialDropout2D: { config: { rate: 0.1 }, inputs: [{ name: 'x', ...img }] },
  GaussianNoise: { config: { stddev: 0.1 }, inputs: [{ name: 'x', ...vec }] },
  GaussianDropout: { config: { rate: 0.1 }, inputs: [{ name: 'x', ...vec }] },
  AlphaDropout: { config: { rate: 0.1 }, inputs: [{ name: 'x', ...vec }] },
  ActivityRegularization: { config: {}, inputs: [{ name: 'x', ...vec }] },
  UnitNormalization: { config: {}, inputs: [{ name: 'x', ...vec }] },
  GroupNormalization: { config: { groups: 3 }, inputs: [{ name: 'x', ...seq }] },
  Dot: { config: { axes: 1 }, inputs: two([4]) },
  CenterCrop: { config: { height: 4, width: 4 }, inputs: [{ name: 'x', ...img }] },
  Resizing: { config: { height: 4, width: 3 }, inputs: [{ name: 'x', ...img }] },
  Attention: { config: {}, inputs: two([6, 3]) },
  AdditiveAttention: { config: {}, inputs: two([6, 3]) },
  TimeDistributed: { config: { layer: { class_name: 'Dense', config: { units: 2 } } }, inputs: [{ name: 'x', ...seq }] },
};

export function layerHost(cls: string): LayerHost {
  const host = HOSTS[cls];
  if (!host) throw new Error(`test/helpers/layer-hosts.ts has no host model for ${cls}: add one`);
  return host;
}

/** A model of one layer (named "layer") on the host's inputs, with `config` merged in. */
export function oneLayerModel(cls: string, config: Record<string, unknown> = {}) {
  const host = layerHost(cls);
  return {
    inputs: host.inputs,
    layers: [{ name: 'layer', class_name: cls, config: { ...host.config, ...config }, inbound: host.inputs.map((i) => i.name) }],
    outputs: ['layer'],
  };
}

export const REGISTERED_LAYERS = Object.keys(LAYERS);
