/** keras.layers.Conv1D and Conv2D. */
import { CHANNELS_LAST_ONLY, REQUIRED, ShapeError, init, known, padding, positiveInt, rank, tuple, useBias, type BuildContext, type Cfg, type LayerDef, type Shape } from './layer-def.ts';
import type * as TF from '@tensorflow/tfjs';

/** Keras conv_output_length. */
export function convLength(len: number | null, k: number, pad: string, stride: number, dilation = 1): number | null {
  if (len === null) return null;
  const dilated = (k - 1) * dilation + 1;
  const out = pad === 'valid' ? len - dilated + 1 : len;
  if (out <= 0) throw new ShapeError(`input dimension ${len} is smaller than the kernel/pool size ${dilated}`);
  return Math.floor((out + stride - 1) / stride);
}

/**
 * Causal padding (Conv1D): the input is padded on the left by (kernel - 1) * dilation steps and
 * convolved with "valid" padding, which is how Keras computes it. tfjs has no causal mode.
 */
function causal(layer: TF.layers.Layer, cfg: Cfg, tf: typeof TF): TF.layers.Layer {
  const k = tuple(cfg.kernel_size, 1, 'kernel_size')[0];
  const d = tuple(cfg.dilation_rate, 1, 'dilation_rate', [1])[0];
  const left = (k - 1) * d;
  const call = layer.call.bind(layer);
  const outputShape = layer.computeOutputShape.bind(layer);
  layer.call = (inputs, kwargs) => {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return call(tf.pad(x as TF.Tensor, [[0, 0], [left, 0], [0, 0]]), kwargs);
  };
  layer.computeOutputShape = (s) => {
    const shape = s as Array<number | null>;
    return outputShape([shape[0], shape[1] === null ? null : shape[1] + left, shape[2]]);
  };
  return layer;
}

function conv(dims: 1 | 2): LayerDef {
  const what = dims === 1 ? '(batch, steps, channels)' : '(batch, height, width, channels)';
  return {
    class_name: `Conv${dims}D`,
    aliases: [`Convolution${dims}D`],
    keras: {
      filters: REQUIRED, kernel_size: REQUIRED, strides: Array(dims).fill(1), padding: 'valid', data_format: 'channels_last', dilation_rate: Array(dims).fill(1),
      groups: 1, activation: 'linear', use_bias: true, kernel_initializer: init('GlorotUniform'), bias_initializer: init('Zeros'),
      kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
    },
    build_config: true,
    honours: {
      filters: true, kernel_size: true, strides: true, padding: true, dilation_rate: true, activation: true, use_bias: true, data_format: CHANNELS_LAST_ONLY,
      kernel_initializer: true, bias_initializer: true, kernel_regularizer: true, bias_regularizer: true,
    },
    arity: 1,
    outputShape(cfg, inputs) {
      const s = rank(inputs, dims + 1, what);
      const filters = positiveInt(cfg.filters, 'filters');
      const k = tuple(cfg.kernel_size, dims, 'kernel_size');
      const st = tuple(cfg.strides, dims, 'strides', Array(dims).fill(1));
      const dl = tuple(cfg.dilation_rate, dims, 'dilation_rate', Array(dims).fill(1));
      if (st.some((v) => v > 1) && dl.some((v) => v > 1)) throw new ShapeError('strides > 1 together with dilation_rate > 1 is not supported (as in Keras)', 'dilation_rate');
      const pad = padding(cfg.padding, dims === 1 ? ['valid', 'same', 'causal'] : ['valid', 'same']);
      known(s[dims], 'the channel dimension');
      // Causal padding keeps the length like "same", but all of the padding is on the left.
      return [...k.map((kk, i) => convLength(s[i], kk, pad === 'causal' ? 'same' : pad, st[i], dl[i])), filters];
    },
    weights: (cfg, [s]: Shape[]) => [
      { name: 'kernel', shape: [...tuple(cfg.kernel_size, dims, 'kernel_size'), known(s[dims], 'the channel dimension'), cfg.filters], trainable: true },
      ...(useBias(cfg) ? [{ name: 'bias', shape: [cfg.filters], trainable: true }] : []),
    ],
    graph: 'training',
    build(cfg, ctx: BuildContext) {
      const { tf, common, pick, activation, weightArgs } = ctx;
      const args = { ...common, ...pick(cfg, ['filters', 'kernel_size', 'strides', 'dilation_rate', 'use_bias']), activation: activation(cfg.activation, 'linear'), ...weightArgs(cfg) };
      if (dims === 2) return tf.layers.conv2d({ ...args, padding: cfg.padding ?? 'valid' });
      if (cfg.padding === 'causal') return causal(tf.layers.conv1d({ ...args, padding: 'valid' }), cfg, tf);
      return tf.layers.conv1d({ ...args, padding: cfg.padding ?? 'valid' });
    },
  };
}

export const Conv1D = conv(1);
export const Conv2D = conv(2);
