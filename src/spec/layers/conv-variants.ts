/**
 * keras.layers.DepthwiseConv1D/2D, SeparableConv1D/2D and Conv1DTranspose/Conv2DTranspose. The 2D
 * layers are tfjs's (their kernels have Keras's layouts); the 1D ones run the 2D kernels on the
 * steps as a 1 x steps image, as TensorFlow itself computes 1D convolutions.
 */
import type * as TF from '@tensorflow/tfjs';
import { convLength } from './conv.ts';
import { CHANNELS_LAST_ONLY, REQUIRED, init, known, padding, positiveInt, rank, tuple, useBias, type BuildContext, type Cfg, type LayerDef, type Shape, type WeightSpec } from './layer-def.ts';

const ones = (dims: number) => Array(dims).fill(1);
const what = (dims: number) => (dims === 1 ? '(batch, steps, channels)' : '(batch, height, width, channels)');

/** Options every conv variant carries out, with the weight options of its own kernels (dilation_rate: 1 only). */
function convHonours(kernels: string[]) {
  return {
    kernel_size: true, strides: true, padding: true, activation: true, use_bias: true, data_format: CHANNELS_LAST_ONLY, bias_initializer: true, bias_regularizer: true,
    ...Object.fromEntries(kernels.flatMap((k) => [[`${k}_initializer`, true], [`${k}_regularizer`, true]])),
  } as const;
}

function convKeras(dims: number, kernels: string[], extra: Cfg, outputPadding = false): Cfg {
  return {
    ...extra, kernel_size: REQUIRED, strides: ones(dims), padding: 'valid', ...(outputPadding ? { output_padding: null } : {}), data_format: 'channels_last', dilation_rate: ones(dims),
    activation: 'linear', use_bias: true,
    ...Object.fromEntries(kernels.map((k) => [`${k}_initializer`, init('GlorotUniform')])), bias_initializer: init('Zeros'),
    ...Object.fromEntries(kernels.map((k) => [`${k}_regularizer`, null])), bias_regularizer: null, activity_regularizer: null,
    ...Object.fromEntries(kernels.map((k) => [`${k}_constraint`, null])), bias_constraint: null,
  };
}

function spatial(cfg: Cfg, s: Shape, dims: number, lengthOf: (len: number | null, k: number, pad: string, stride: number) => number | null): Shape {
  const k = tuple(cfg.kernel_size, dims, 'kernel_size');
  const st = tuple(cfg.strides, dims, 'strides', ones(dims));
  const pad = padding(cfg.padding, ['valid', 'same']);
  return k.map((kk, i) => lengthOf(s[i], kk, pad, st[i]));
}

/** A 1D call on 2D kernels: (batch, steps, c) as (batch, 1, steps, c), kernels given a leading 1. */
const as2d = (tf: typeof TF, x: TF.Tensor) => tf.expandDims(x, 1) as TF.Tensor4D;
const back1d = (tf: typeof TF, y: TF.Tensor) => tf.squeeze(y, [1]);

/** y + bias, then the layer's activation: made once at build, applied every call. */
function biasAndActivation(tf: typeof TF, ctx: BuildContext, cfg: Cfg): (y: TF.Tensor, bias: TF.Tensor | undefined) => TF.Tensor {
  const id = ctx.activation(cfg.activation, 'linear');
  const act = id === 'linear' ? undefined : (tf.layers.activation({ activation: id }) as unknown as { activation: { apply(t: TF.Tensor): TF.Tensor } }).activation;
  return (y, bias) => {
    const out = bias ? tf.add(y, bias) : y;
    return act ? act.apply(out) : out;
  };
}

function depthwise(dims: 1 | 2): LayerDef {
  const kernelShape = (cfg: Cfg, s: Shape) => [...tuple(cfg.kernel_size, dims, 'kernel_size'), known(s[dims], 'the channel dimension'), cfg.depth_multiplier ?? 1];
  return {
    class_name: `DepthwiseConv${dims}D`,
    keras: convKeras(dims, ['depthwise'], { depth_multiplier: 1 }),
    build_config: true,
    honours: { ...convHonours(['depthwise']), depth_multiplier: (v) => (Number.isInteger(v) && v >= 1 ? undefined : 'must be a positive integer') },
    arity: 1,
    outputShape(cfg, inputs) {
      const s = rank(inputs, dims + 1, what(dims));
      return [...spatial(cfg, s, dims, convLength), known(s[dims], 'the channel dimension') * positiveInt(cfg.depth_multiplier ?? 1, 'depth_multiplier')];
    },
    weights: (cfg, [s]) => [{ name: 'kernel', shape: kernelShape(cfg, s), trainable: true }, ...(useBias(cfg) ? [{ name: 'bias', shape: [known(s[dims], 'channels') * (cfg.depth_multiplier ?? 1)], trainable: true }] : [])],
    graph: 'training',
    build(cfg, ctx) {
      const { tf, common, pick, weightArgs } = ctx;
      const w = weightArgs(cfg);
      if (dims === 2) {
        return tf.layers.depthwiseConv2d({
          ...common, ...pick(cfg, ['kernel_size', 'strides', 'depth_multiplier', 'use_bias', 'padding']), activation: ctx.activation(cfg.activation, 'linear') as any,
          depthwiseInitializer: w.depthwiseInitializer, biasInitializer: w.biasInitializer, depthwiseRegularizer: w.depthwiseRegularizer, biasRegularizer: w.biasRegularizer,
        });
      }
      const s = ctx.inputShape.slice(1);
      const stride = tuple(cfg.strides, 1, 'strides', [1])[0];
      const pad = cfg.padding ?? 'valid';
      const finish = biasAndActivation(tf, ctx, cfg);
      return ctx.op({
        weights: [
          { name: 'kernel', shape: kernelShape(cfg, s), initializer: w.depthwiseInitializer, regularizer: w.depthwiseRegularizer },
          ...(useBias(cfg) ? [{ name: 'bias', shape: [(s[1] as number) * (cfg.depth_multiplier ?? 1)], initializer: w.biasInitializer, regularizer: w.biasRegularizer }] : []),
        ],
        call: ([x], [kernel, bias]) => finish(back1d(tf, tf.depthwiseConv2d(as2d(tf, x), tf.expandDims(kernel, 0) as TF.Tensor4D, [1, stride], pad)), bias),
      });
    },
  };
}

function separable(dims: 1 | 2): LayerDef {
  const shapes = (cfg: Cfg, s: Shape): WeightSpec[] => {
    const c = known(s[dims], 'the channel dimension');
    const m = cfg.depth_multiplier ?? 1;
    return [
      { name: 'depthwise_kernel', shape: [...tuple(cfg.kernel_size, dims, 'kernel_size'), c, m], trainable: true },
      { name: 'pointwise_kernel', shape: [...ones(dims), c * m, cfg.filters], trainable: true },
      ...(useBias(cfg) ? [{ name: 'bias', shape: [cfg.filters], trainable: true }] : []),
    ];
  };
  return {
    class_name: `SeparableConv${dims}D`,
    aliases: [`SeparableConvolution${dims}D`],
    keras: convKeras(dims, ['depthwise', 'pointwise'], { depth_multiplier: 1, filters: REQUIRED }),
    build_config: true,
    honours: { ...convHonours(['depthwise', 'pointwise']), filters: true, depth_multiplier: (v) => (Number.isInteger(v) && v >= 1 ? undefined : 'must be a positive integer') },
    arity: 1,
    outputShape(cfg, inputs) {
      const s = rank(inputs, dims + 1, what(dims));
      known(s[dims], 'the channel dimension');
      positiveInt(cfg.depth_multiplier ?? 1, 'depth_multiplier');
      return [...spatial(cfg, s, dims, convLength), positiveInt(cfg.filters, 'filters')];
    },
    weights: (cfg, [s]) => shapes(cfg, s),
    graph: 'training',
    build(cfg, ctx) {
      const { tf, common, pick, weightArgs } = ctx;
      // tfjs's separableConv2d fills the pointwise kernel with the depthwise initializer: the engine's own op serves both ranks.
      const w = weightArgs(cfg);
      const specs = shapes(cfg, ctx.inputShape.slice(1));
      const st = tuple(cfg.strides, dims, 'strides', ones(dims));
      const strides: [number, number] = dims === 1 ? [1, st[0]] : [st[0], st[1]];
      const pad = cfg.padding ?? 'valid';
      const finish = biasAndActivation(tf, ctx, cfg);
      const objects: Record<string, [unknown, unknown]> = { depthwise_kernel: [w.depthwiseInitializer, w.depthwiseRegularizer], pointwise_kernel: [w.pointwiseInitializer, w.pointwiseRegularizer], bias: [w.biasInitializer, w.biasRegularizer] };
      return ctx.op({
        weights: specs.map((sp) => ({ name: sp.name, shape: sp.shape, initializer: objects[sp.name][0], regularizer: objects[sp.name][1] })),
        call: ([x], [dk, pk, bias]) => {
          if (dims === 2) return finish(tf.separableConv2d(x as TF.Tensor4D, dk as TF.Tensor4D, pk as TF.Tensor4D, strides, pad), bias);
          const y = tf.separableConv2d(as2d(tf, x), tf.expandDims(dk, 0) as TF.Tensor4D, tf.expandDims(pk, 0) as TF.Tensor4D, strides, pad);
          return finish(back1d(tf, y), bias);
        },
      });
    },
  };
}

/** Keras's deconv_output_length without output_padding. */
function deconvLength(len: number | null, k: number, pad: string, stride: number): number | null {
  if (len === null) return null;
  return pad === 'valid' ? len * stride + Math.max(k - stride, 0) : len * stride;
}

function transpose(dims: 1 | 2): LayerDef {
  return {
    class_name: `Conv${dims}DTranspose`,
    aliases: [`Convolution${dims}DTranspose`],
    keras: convKeras(dims, ['kernel'], { filters: REQUIRED }, true),
    build_config: true,
    honours: { ...convHonours(['kernel']), filters: true },
    arity: 1,
    outputShape(cfg, inputs) {
      const s = rank(inputs, dims + 1, what(dims));
      known(s[dims], 'the channel dimension');
      return [...spatial(cfg, s, dims, deconvLength), positiveInt(cfg.filters, 'filters')];
    },
    weights: (cfg, [s]) => [
      { name: 'kernel', shape: [...tuple(cfg.kernel_size, dims, 'kernel_size'), cfg.filters, known(s[dims], 'the channel dimension')], trainable: true },
      ...(useBias(cfg) ? [{ name: 'bias', shape: [cfg.filters], trainable: true }] : []),
    ],
    graph: 'training',
    build(cfg, ctx) {
      const { tf, common, pick, weightArgs } = ctx;
      const w = weightArgs(cfg);
      if (dims === 2) {
        return tf.layers.conv2dTranspose({ ...common, ...pick(cfg, ['filters', 'kernel_size', 'strides', 'use_bias', 'padding']), activation: ctx.activation(cfg.activation, 'linear') as any, ...w });
      }
      const s = ctx.inputShape;
      const k = tuple(cfg.kernel_size, 1, 'kernel_size')[0];
      const stride = tuple(cfg.strides, 1, 'strides', [1])[0];
      const pad = (cfg.padding ?? 'valid') as 'valid' | 'same';
      const steps = deconvLength(s[1], k, pad, stride)!;
      const finish = biasAndActivation(tf, ctx, cfg);
      return ctx.op({
        weights: [
          { name: 'kernel', shape: [k, cfg.filters, s[2] as number], initializer: w.kernelInitializer, regularizer: w.kernelRegularizer },
          ...(useBias(cfg) ? [{ name: 'bias', shape: [cfg.filters], initializer: w.biasInitializer, regularizer: w.biasRegularizer }] : []),
        ],
        call: ([x], [kernel, bias]) => {
          const y = tf.conv2dTranspose(as2d(tf, x), tf.expandDims(kernel, 0) as TF.Tensor4D, [x.shape[0]!, 1, steps, cfg.filters], [1, stride], pad);
          return finish(back1d(tf, y), bias);
        },
      });
    },
  };
}

export const DepthwiseConv1D = depthwise(1);
export const DepthwiseConv2D = depthwise(2);
export const SeparableConv1D = separable(1);
export const SeparableConv2D = separable(2);
export const Conv1DTranspose = transpose(1);
export const Conv2DTranspose = transpose(2);
