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
 * Causal padding and dilation as Keras's TensorFlow backend computes them, around a tfjs conv with
 * dilation 1 and "valid" padding (tfjs has no causal mode, and no gradient for dilated kernels):
 * causal pads the steps on the left by (kernel - 1) * dilation; dilation runs the conv on the
 * space-to-batch rearrangement of the (padded) input and rearranges the result back, which is
 * what tf.nn.convolution does on CPU.
 */
function wrapped(layer: TF.layers.Layer, cfg: Cfg, dims: 1 | 2, tf: typeof TF): TF.layers.Layer {
  const k = tuple(cfg.kernel_size, dims, 'kernel_size');
  const d = tuple(cfg.dilation_rate, dims, 'dilation_rate', Array(dims).fill(1));
  const pad = cfg.padding ?? 'valid';
  const dilated = d.some((v) => v > 1);
  const call = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => {
    let x = (Array.isArray(inputs) ? inputs[0] : inputs) as TF.Tensor;
    if (pad === 'causal') x = tf.pad(x, [[0, 0], [(k[0] - 1) * d[0], 0], [0, 0]]);
    if (!dilated) return call(x, kwargs);
    const paddings: Array<[number, number]> = [];
    const crops: Array<[number, number]> = [];
    for (let i = 0; i < dims; i++) {
      const total = pad === 'same' ? (k[i] - 1) * d[i] : 0;
      const start = Math.floor(total / 2);
      const length = x.shape[i + 1]! + total;
      const extra = (d[i] - (length % d[i])) % d[i];
      paddings.push([start, total - start + extra]);
      crops.push([0, extra]);
    }
    const out = call(tf.spaceToBatchND(x, d, paddings), kwargs) as TF.Tensor;
    return tf.batchToSpaceND(out, d, crops);
  };
  layer.computeOutputShape = (s) => {
    const shape = s as Shape;
    const lens = k.map((kk, i) => convLength(shape[i + 1], kk, pad === 'causal' ? 'same' : pad, 1, d[i]));
    return [shape[0], ...lens, cfg.filters];
  };
  // The engine's fused Conv2D kernel would bypass this call.
  (layer as { kerasCall?: boolean }).kerasCall = true;
  return layer;
}

/**
 * groups > 1: the input channels and the filters split into `groups` blocks, block i of the filters
 * seeing only block i of the channels (kernel (..., channels / groups, filters)), as Keras's
 * grouped convolution. tfjs has none: the conv runs per block and the outputs are concatenated.
 */
function grouped(layer: TF.layers.Layer, cfg: Cfg, dims: 1 | 2, tf: typeof TF): TF.layers.Layer {
  const groups = cfg.groups as number;
  const l = layer as unknown as { kernel: { read(): TF.Tensor }; bias?: { read(): TF.Tensor } | null; activation: { apply(x: TF.Tensor): TF.Tensor }; inputSpec: unknown };
  const build = layer.build.bind(layer);
  layer.build = (inputShape) => {
    const shape = inputShape as Shape;
    build([...shape.slice(0, -1), (shape.at(-1) as number) / groups]);
    // tfjs would check the input against the per-group channel count.
    l.inputSpec = [{ ndim: dims + 2 }];
  };
  const strides = tuple(cfg.strides, dims, 'strides', Array(dims).fill(1));
  const pad = (cfg.padding ?? 'valid') === 'same' ? 'same' : 'valid';
  layer.call = (inputs) => {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as TF.Tensor;
    const xs = tf.split(x, groups, -1);
    const ks = tf.split(l.kernel.read(), groups, -1);
    const outs = xs.map((xi, i) =>
      dims === 1 ? tf.conv1d(xi as TF.Tensor3D, ks[i] as TF.Tensor3D, strides[0], pad) : tf.conv2d(xi as TF.Tensor4D, ks[i] as TF.Tensor4D, strides as [number, number], pad),
    );
    let y = tf.concat(outs, -1);
    const bias = l.bias?.read();
    if (bias) y = tf.add(y, bias);
    return l.activation.apply(y);
  };
  (layer as { kerasCall?: boolean }).kerasCall = true;
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
      groups: (v) => (Number.isInteger(v) && v >= 1 ? undefined : 'must be a positive integer'),
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
      const channels = known(s[dims], 'the channel dimension');
      const groups = cfg.groups ?? 1;
      if (channels % groups || filters % groups) throw new ShapeError(`groups ${groups} must divide both the input channels (${channels}) and filters (${filters})`, 'groups');
      // Causal padding keeps the length like "same", but all of the padding is on the left.
      return [...k.map((kk, i) => convLength(s[i], kk, pad === 'causal' ? 'same' : pad, st[i], dl[i])), filters];
    },
    weights: (cfg, [s]: Shape[]) => [
      { name: 'kernel', shape: [...tuple(cfg.kernel_size, dims, 'kernel_size'), known(s[dims], 'the channel dimension') / (cfg.groups ?? 1), cfg.filters], trainable: true },
      ...(useBias(cfg) ? [{ name: 'bias', shape: [cfg.filters], trainable: true }] : []),
    ],
    graph: 'training',
    build(cfg, ctx: BuildContext) {
      const { tf, common, pick, activation, weightArgs } = ctx;
      const args = { ...common, ...pick(cfg, ['filters', 'kernel_size', 'strides', 'use_bias']), activation: activation(cfg.activation, 'linear'), ...weightArgs(cfg) };
      const make = dims === 1 ? tf.layers.conv1d : tf.layers.conv2d;
      const dilated = tuple(cfg.dilation_rate, dims, 'dilation_rate', Array(dims).fill(1)).some((v) => v > 1);
      const special = dilated || cfg.padding === 'causal';
      const layer = make({ ...args, padding: special ? 'valid' : (cfg.padding ?? 'valid') });
      const split = (cfg.groups ?? 1) > 1 ? grouped(layer, special ? { ...cfg, padding: 'valid' } : cfg, dims, tf) : layer;
      return special ? wrapped(split, cfg, dims, tf) : split;
    },
  };
}

export const Conv1D = conv(1);
export const Conv2D = conv(2);
