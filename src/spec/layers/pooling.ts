/** keras.layers.{Max,Average}Pooling{1,2}D and Global{Max,Average}Pooling{1,2}D. */
import type * as TF from '@tensorflow/tfjs';
import { CHANNELS_LAST_ONLY, REQUIRED, ShapeError, padding, rank, tuple, type LayerDef } from './layer-def.ts';

function poolLength(len: number | null, pool: number, pad: string, stride: number): number | null {
  if (len === null) return null;
  if (pad === 'same') return Math.floor((len + stride - 1) / stride);
  if (len < pool) throw new ShapeError(`input dimension ${len} is smaller than pool_size ${pool}`);
  return Math.floor((len - pool) / stride) + 1;
}

const what = (dims: 1 | 2) => (dims === 1 ? '(batch, steps, channels)' : '(batch, height, width, channels)');

function pool(kind: 'Max' | 'Average', dims: 1 | 2): LayerDef {
  // Keras 3 AveragePooling has no default pool_size; ours is 2, as for MaxPooling.
  const poolSize = kind === 'Max' ? Array(dims).fill(2) : REQUIRED;
  const short = kind === 'Max' ? 'Max' : 'Avg';
  return {
    class_name: `${kind}Pooling${dims}D`,
    aliases: [`${short}Pool${dims}D`],
    keras: { pool_size: poolSize, padding: 'valid', strides: poolSize, data_format: 'channels_last' },
    defaults: { pool_size: Array(dims).fill(2), strides: null },
    build_config: false,
    honours: { pool_size: true, strides: true, padding: true, data_format: CHANNELS_LAST_ONLY },
    arity: 1,
    outputShape(cfg, inputs) {
      const s = rank(inputs, dims + 1, what(dims));
      const p = tuple(cfg.pool_size, dims, 'pool_size', Array(dims).fill(2));
      const st = tuple(cfg.strides, dims, 'strides', p);
      const pad = padding(cfg.padding, ['valid', 'same']);
      return [...p.map((pp, i) => poolLength(s[i], pp, pad, st[i])), s[dims]];
    },
    graph: 'training',
    build(cfg, { tf, common }) {
      const args = { ...common, poolSize: cfg.pool_size ?? 2, strides: cfg.strides ?? cfg.pool_size ?? 2, padding: cfg.padding ?? 'valid' };
      const make = { Max1: tf.layers.maxPooling1d, Max2: tf.layers.maxPooling2d, Average1: tf.layers.averagePooling1d, Average2: tf.layers.averagePooling2d }[`${kind}${dims}` as const];
      return make(args);
    },
  };
}

/** keepdims=True: the pooled axes stay, with size 1 (tfjs's global pooling layers drop them). */
function keepDims(layer: TF.layers.Layer, dims: 1 | 2, tf: typeof TF): TF.layers.Layer {
  const call = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => {
    const out = call(inputs, kwargs) as TF.Tensor;
    return tf.reshape(out, [out.shape[0]!, ...Array(dims).fill(1), out.shape[1]!]);
  };
  layer.computeOutputShape = (s) => {
    const shape = s as Array<number | null>;
    return [shape[0], ...Array(dims).fill(1), shape[dims + 1]];
  };
  return layer;
}

/** With a mask (kwargs.mask, true where a step is real): the mean over the real steps, as Keras's. */
function maskedMean(layer: TF.layers.Layer, tf: typeof TF): void {
  const call = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => {
    const mask = kwargs?.mask as TF.Tensor | undefined;
    if (!mask) return call(inputs, kwargs);
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as TF.Tensor;
    const m = tf.expandDims(tf.cast(mask, x.dtype), -1);
    return tf.div(tf.sum(tf.mul(x, m), 1), tf.sum(m, 1));
  };
}

function globalPool(kind: 'Max' | 'Average', dims: 1 | 2): LayerDef {
  const short = kind === 'Max' ? 'Max' : 'Avg';
  const masked = kind === 'Average' && dims === 1;
  return {
    class_name: `Global${kind}Pooling${dims}D`,
    aliases: [`Global${short}Pool${dims}D`],
    keras: { data_format: 'channels_last', keepdims: false },
    build_config: false,
    call_kwargs: kind === 'Average' && dims === 1 ? { mask: null } : undefined,
    honours: { data_format: CHANNELS_LAST_ONLY, keepdims: true },
    arity: 1,
    outputShape(cfg, inputs) {
      const s = rank(inputs, dims + 1, what(dims));
      return cfg.keepdims ? [...Array(dims).fill(1), s[dims]] : [s[dims]];
    },
    // Keras's GlobalAveragePooling1D averages over the unmasked steps.
    mask: masked ? () => 'consumes' : undefined,
    takesMask: masked,
    graph: 'training',
    build(cfg, { tf, common }) {
      const make = { Max1: tf.layers.globalMaxPooling1d, Max2: tf.layers.globalMaxPooling2d, Average1: tf.layers.globalAveragePooling1d, Average2: tf.layers.globalAveragePooling2d }[`${kind}${dims}` as const];
      const layer = make(common);
      if (masked) maskedMean(layer, tf);
      return cfg.keepdims ? keepDims(layer, dims, tf) : layer;
    },
  };
}

export const MaxPooling1D = pool('Max', 1);
export const MaxPooling2D = pool('Max', 2);
export const AveragePooling1D = pool('Average', 1);
export const AveragePooling2D = pool('Average', 2);
export const GlobalMaxPooling1D = globalPool('Max', 1);
export const GlobalMaxPooling2D = globalPool('Max', 2);
export const GlobalAveragePooling1D = globalPool('Average', 1);
export const GlobalAveragePooling2D = globalPool('Average', 2);
