/** keras.layers.Rescaling and Normalization. */
import type * as TF from '@tensorflow/tfjs';
import { REQUIRED, ShapeError, known, type BuildContext, type Cfg, type LayerDef, type Shape } from './layer-def.ts';

const numberOrList = (v: unknown) =>
  typeof v === 'number' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number')) ? undefined : 'must be a number or a list of numbers';

/** A scalar, or a per-channel list broadcast over the last axis (as Keras's Rescaling shapes it), made once. */
function lastAxis({ tf, constant }: BuildContext, v: number | number[], rank: number): () => TF.Tensor | number {
  if (typeof v === 'number') return () => v;
  return constant(() => tf.reshape(tf.tensor1d(v), [...Array(rank - 1).fill(1), v.length]));
}

export const Rescaling: LayerDef = {
  class_name: 'Rescaling',
  keras: { scale: REQUIRED, offset: 0.0 },
  build_config: true,
  honours: { scale: numberOrList, offset: numberOrList },
  arity: 1,
  outputShape(cfg, [s]) {
    for (const key of ['scale', 'offset']) {
      const v = cfg[key];
      if (Array.isArray(v) && v.length !== 1 && v.length !== s.at(-1)) throw new ShapeError(`${key} has ${v.length} values for ${s.at(-1)} channels`, key);
    }
    return s;
  },
  mask: () => 'passes',
  graph: 'training',
  build: (cfg, ctx) => {
    const { tf, op, inputShape } = ctx;
    const scale = lastAxis(ctx, cfg.scale, inputShape.length);
    const offset = lastAxis(ctx, cfg.offset ?? 0, inputShape.length);
    return op({ call: ([x]) => tf.add(tf.mul(x, scale()), offset()) });
  },
};

/** The kept axes (Keras counts the batch dimension; our shapes do not), as non-negative indices into the shape with batch. */
function keptAxes(cfg: Cfg, rank: number): number[] {
  const axes = cfg.axis === null ? [] : Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1];
  return axes.map((a: number) => (a < 0 ? rank + a : a));
}

/** The statistics' shape: the kept axes' sizes. */
function statShape(cfg: Cfg, s: Shape): number[] {
  const axes = keptAxes(cfg, s.length + 1);
  for (const a of axes) if (a < 1 || a > s.length) throw new ShapeError(`axis ${a} is out of range for input of rank ${s.length + 1}`, 'axis');
  return axes.map((a) => known(s[a - 1], 'every normalized dimension'));
}

const given = (cfg: Cfg) => cfg.mean !== null && cfg.mean !== undefined;

export const Normalization: LayerDef = {
  class_name: 'Normalization',
  keras: { axis: [-1], invert: false, mean: null, variance: null },
  build_config: true,
  honours: { axis: true, invert: true, mean: true, variance: true },
  arity: 1,
  outputShape(cfg, [s]) {
    const shape = statShape(cfg, s);
    if (given(cfg) !== (cfg.variance !== null && cfg.variance !== undefined)) throw new ShapeError('mean and variance must be given together', given(cfg) ? 'variance' : 'mean');
    const size = shape.reduce((a, b) => a * b, 1);
    for (const key of given(cfg) ? ['mean', 'variance'] : []) {
      const v = cfg[key];
      const n = typeof v === 'number' ? 1 : Array.isArray(v) ? v.flat(Infinity).length : -1;
      if (n !== 1 && n !== size) throw new ShapeError(`${key} must be a number or ${size} numbers (one per normalized position)`, key);
    }
    return s;
  },
  // Adapted statistics are variables; given ones are constants of the config (Keras makes no variables then).
  weights: (cfg, [s]) =>
    given(cfg) ? [] : [{ name: 'mean', shape: statShape(cfg, s), trainable: false }, { name: 'variance', shape: statShape(cfg, s), trainable: false }, { name: 'count', shape: [], trainable: false }],
  mask: () => 'passes',
  graph: 'training',
  build(cfg, { tf, op, inputShape, constant }) {
    const rank = inputShape.length;
    const axes = keptAxes(cfg, rank);
    const shape = statShape(cfg, inputShape.slice(1));
    const broadcast = inputShape.map((_, i) => (axes.includes(i) ? (inputShape[i] as number) : 1));
    const stats = (v: unknown) => tf.reshape(typeof v === 'number' ? tf.fill(shape, v) : tf.tensor(v as number[]).reshape(shape), broadcast);
    // Keras: (x - mean) / max(sqrt(variance), epsilon), epsilon = 1e-7; invert undoes it.
    const apply = (x: TF.Tensor, mean: TF.Tensor, variance: TF.Tensor) => {
      const m = tf.reshape(mean, broadcast);
      const sd = tf.maximum(tf.sqrt(tf.reshape(variance, broadcast)), 1e-7);
      return cfg.invert ? tf.add(m, tf.mul(x, sd)) : tf.div(tf.sub(x, m), sd);
    };
    if (given(cfg)) {
      const [mean, variance] = [constant(() => stats(cfg.mean)), constant(() => stats(cfg.variance))];
      return op({ call: ([x]) => apply(x, mean(), variance()) });
    }
    return op({
      weights: [
        { name: 'mean', shape, trainable: false, initializer: 'zeros' },
        { name: 'variance', shape, trainable: false, initializer: 'ones' },
        { name: 'count', shape: [], trainable: false, initializer: 'zeros' },
      ],
      call: ([x], [mean, variance]) => apply(x, mean, variance),
    });
  },
};
