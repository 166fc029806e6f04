/** keras.layers.Flatten, Reshape, Permute, RepeatVector, and zero padding, cropping and upsampling. */
import type * as TF from '@tensorflow/tfjs';
import { CHANNELS_LAST_ONLY, REQUIRED, ShapeError, known, oneOf, positiveInt, rank, tuple, type LayerDef } from './layer-def.ts';
import { resizer } from './resize.ts';

const what = (dims: number) => (dims === 1 ? '(batch, steps, channels)' : '(batch, height, width, channels)');

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

/** A padding or cropping option as Keras normalizes it: per spatial dimension, [before, after]. */
function pairs(value: unknown, dims: number, key: string): Array<[number, number]> {
  const bad = () => new ShapeError(`${key} must be an integer, ${dims === 1 ? 'or a pair of integers' : `a list of ${dims} integers, or a list of ${dims} pairs`} (each >= 0)`, key);
  const n = (v: unknown) => {
    if (!Number.isInteger(v) || (v as number) < 0) throw bad();
    return v as number;
  };
  if (typeof value === 'number') return Array.from({ length: dims }, () => [n(value), n(value)]);
  if (!Array.isArray(value)) throw bad();
  if (dims === 1) {
    if (value.length !== 2) throw bad();
    return [[n(value[0]), n(value[1])]];
  }
  if (value.length !== dims || value.some((v) => Array.isArray(v) && v.length !== 2)) throw bad();
  return value.map((v) => (Array.isArray(v) ? [n(v[0]), n(v[1])] : [n(v), n(v)]));
}

function padLayer(dims: 1 | 2): LayerDef {
  return {
    class_name: `ZeroPadding${dims}D`,
    keras: dims === 1 ? { padding: [1, 1], data_format: 'channels_last' } : { padding: [[1, 1], [1, 1]], data_format: 'channels_last' },
    build_config: true,
    honours: { padding: true, data_format: CHANNELS_LAST_ONLY },
    arity: 1,
    outputShape(cfg, inputs) {
      const s = rank(inputs, dims + 1, what(dims));
      const p = pairs(cfg.padding ?? 1, dims, 'padding');
      return [...p.map(([a, b], i) => (s[i] === null ? null : (s[i] as number) + a + b)), s[dims]];
    },
    graph: 'training',
    build: (cfg, { tf, op }) => {
      const p = pairs(cfg.padding ?? 1, dims, 'padding');
      return op({ call: ([x]) => tf.pad(x, [[0, 0], ...p, [0, 0]]) });
    },
  };
}

function cropLayer(dims: 1 | 2): LayerDef {
  return {
    class_name: `Cropping${dims}D`,
    keras: dims === 1 ? { cropping: [1, 1] } : { cropping: [[0, 0], [0, 0]], data_format: 'channels_last' },
    build_config: true,
    honours: dims === 1 ? { cropping: true } : { cropping: true, data_format: CHANNELS_LAST_ONLY },
    arity: 1,
    outputShape(cfg, inputs) {
      const s = rank(inputs, dims + 1, what(dims));
      const c = pairs(cfg.cropping ?? (dims === 1 ? 1 : 0), dims, 'cropping');
      return [
        ...c.map(([a, b], i) => {
          if (s[i] === null) return null;
          const left = (s[i] as number) - a - b;
          if (left <= 0) throw new ShapeError(`cropping ${a} + ${b} leaves nothing of dimension ${s[i]}`, 'cropping');
          return left;
        }),
        s[dims],
      ];
    },
    graph: 'training',
    build: (cfg, { tf, op }) => {
      const c = pairs(cfg.cropping ?? (dims === 1 ? 1 : 0), dims, 'cropping');
      return op({ call: ([x]) => tf.slice(x, [0, ...c.map(([a]) => a), 0], [-1, ...c.map(([a, b], i) => x.shape[i + 1]! - a - b), -1]) });
    },
  };
}

/**
 * Each step (or pixel) repeated `times` times along its axis, as Keras's ops.repeat. The tile runs
 * on a rank-4 view (before, axis, 1, after): tfjs's tile has no gradient above rank 4.
 */
function repeatAxis(tf: typeof TF, x: TF.Tensor, axis: number, times: number): TF.Tensor {
  if (times === 1) return x;
  const shape = x.shape as number[];
  const before = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const after = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const tiled = tf.tile(tf.reshape(x, [before, shape[axis], 1, after]), [1, 1, times, 1]);
  const out = [...shape];
  out[axis] = shape[axis] * times;
  return tf.reshape(tiled, out);
}

export const UpSampling1D: LayerDef = {
  class_name: 'UpSampling1D',
  keras: { size: 2 },
  build_config: true,
  honours: { size: true },
  arity: 1,
  outputShape(cfg, inputs) {
    const s = rank(inputs, 2, what(1));
    const size = tuple(cfg.size ?? 2, 1, 'size')[0];
    return [s[0] === null ? null : s[0] * size, s[1]];
  },
  graph: 'training',
  build: (cfg, { tf, op }) => op({ call: ([x]) => repeatAxis(tf, x, 1, tuple(cfg.size ?? 2, 1, 'size')[0]) }),
};

export const UpSampling2D: LayerDef = {
  class_name: 'UpSampling2D',
  keras: { size: [2, 2], data_format: 'channels_last', interpolation: 'nearest' },
  build_config: true,
  honours: { size: true, data_format: CHANNELS_LAST_ONLY, interpolation: oneOf('nearest', 'bilinear') },
  arity: 1,
  outputShape(cfg, inputs) {
    const s = rank(inputs, 3, what(2));
    const size = tuple(cfg.size ?? 2, 2, 'size');
    return [s[0] === null ? null : s[0] * size[0], s[1] === null ? null : s[1] * size[1], s[2]];
  },
  graph: 'training',
  build: (cfg, ctx) => {
    const { tf, op } = ctx;
    const [sh, sw] = tuple(cfg.size ?? 2, 2, 'size');
    // Keras: nearest repeats rows and columns; bilinear is tf.image.resize (half-pixel centers).
    if (cfg.interpolation === 'bilinear') {
      const resize = resizer(ctx, 'bilinear', (h, w) => [h * sh, w * sw]);
      return op({ call: ([x]) => resize(x) });
    }
    return op({ call: ([x]) => repeatAxis(tf, repeatAxis(tf, x, 1, sh), 2, sw) });
  },
};

export const Permute: LayerDef = {
  class_name: 'Permute',
  keras: { dims: REQUIRED },
  build_config: true,
  honours: { dims: true },
  arity: 1,
  outputShape(cfg, [s]) {
    const dims = cfg.dims;
    const sorted = Array.isArray(dims) ? [...dims].sort((a, b) => a - b) : [];
    if (!Array.isArray(dims) || dims.length !== s.length || !sorted.every((d, i) => d === i + 1)) {
      throw new ShapeError(`dims must be a permutation of 1..${s.length}`, 'dims');
    }
    return dims.map((d: number) => s[d - 1]);
  },
  graph: 'training',
  build: (cfg, { tf, op }) => op({ call: ([x]) => tf.transpose(x, [0, ...(cfg.dims as number[])]) }),
};

export const RepeatVector: LayerDef = {
  class_name: 'RepeatVector',
  keras: { n: REQUIRED },
  build_config: true,
  honours: { n: true },
  arity: 1,
  outputShape(cfg, inputs) {
    const s = rank(inputs, 1, '(batch, features)');
    return [positiveInt(cfg.n, 'n'), s[0]];
  },
  graph: 'training',
  build: (cfg, { tf, op }) => op({ call: ([x]) => tf.tile(tf.expandDims(x, 1), [1, cfg.n, 1]) }),
};

export const ZeroPadding1D = padLayer(1);
export const ZeroPadding2D = padLayer(2);
export const Cropping1D = cropLayer(1);
export const Cropping2D = cropLayer(2);
