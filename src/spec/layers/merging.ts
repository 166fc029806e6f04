/** keras.layers.Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum and Dot. */
import type * as TF from '@tensorflow/tfjs';
import { REQUIRED, ShapeError, type Cfg, type LayerDef, type Shape } from './layer-def.ts';

const shown = (inputs: Shape[]) => inputs.map((s) => `(None, ${s.join(', ')})`).join(' and ');

export const Concatenate: LayerDef = {
  class_name: 'Concatenate',
  aliases: ['concatenate'],
  keras: { axis: -1 },
  build_config: true,
  honours: { axis: true },
  arity: 'many',
  outputShape(cfg, inputs) {
    const r = inputs[0].length;
    if (!inputs.every((s) => s.length === r)) throw new ShapeError('inputs must all have the same rank');
    const axisRaw = cfg.axis ?? -1;
    if (!Number.isInteger(axisRaw)) throw new ShapeError('axis must be an integer', 'axis');
    const axis = axisRaw < 0 ? r + axisRaw : axisRaw - 1; // Keras axis counts the batch dimension
    if (axis < 0 || axis >= r) throw new ShapeError(`axis ${axisRaw} is out of range for inputs of rank ${r + 1}`, 'axis');
    for (let d = 0; d < r; d++) {
      if (d === axis) continue;
      if (new Set(inputs.map((s) => s[d])).size > 1) throw new ShapeError(`inputs differ in dimension ${d + 1} outside the concatenation axis: ${shown(inputs)}`);
    }
    const out = [...inputs[0]];
    out[axis] = inputs.some((s) => s[axis] === null) ? null : inputs.reduce((a, s) => a + (s[axis] as number), 0);
    return out;
  },
  graph: 'training',
  build: (cfg, { tf, common }) => tf.layers.concatenate({ ...common, axis: cfg.axis ?? -1 }),
};

/**
 * Keras's elementwise merges: inputs of one rank whose dimensions are equal or 1 (broadcast, as
 * Keras's Merge computes them: MobileNetV3 and EfficientNet multiply (h, w, c) by (1, 1, c)).
 */
function elementwise(class_name: string, combine: (tf: typeof TF, xs: TF.Tensor[]) => TF.Tensor, options: { alias?: string; exactly?: number } = {}): LayerDef {
  return {
    class_name,
    aliases: options.alias ? [options.alias] : undefined,
    keras: {},
    build_config: true,
    honours: {},
    arity: 'many',
    outputShape(_cfg, inputs) {
      if (options.exactly && inputs.length !== options.exactly) throw new ShapeError(`takes exactly ${options.exactly} inputs, got ${inputs.length}`);
      const r = inputs[0].length;
      if (!inputs.every((s) => s.length === r)) throw new ShapeError(`inputs must all have the same rank, got ${shown(inputs)}`);
      return inputs[0].map((_, d) => {
        const sizes = new Set(inputs.map((s) => s[d]).filter((v) => v !== 1));
        if (sizes.size > 1) throw new ShapeError(`inputs must have equal dimensions (or 1, which broadcasts), got ${shown(inputs)}`);
        return sizes.size ? [...sizes][0] : 1;
      });
    },
    graph: 'training',
    build: (_cfg, { tf, op }) => op({ call: (xs) => combine(tf, xs) }),
  };
}

const fold = (f: (tf: typeof TF) => (a: TF.Tensor, b: TF.Tensor) => TF.Tensor) => (tf: typeof TF, xs: TF.Tensor[]) => xs.slice(1).reduce(f(tf), xs[0]);

export const Add = elementwise('Add', fold((tf) => tf.add), { alias: 'add' });
export const Subtract = elementwise('Subtract', (tf, [a, b]) => tf.sub(a, b), { alias: 'subtract', exactly: 2 });
export const Multiply = elementwise('Multiply', fold((tf) => tf.mul), { alias: 'multiply' });
export const Average = elementwise('Average', (tf, xs) => tf.div(fold((t) => t.add)(tf, xs), xs.length), { alias: 'average' });
export const Maximum = elementwise('Maximum', fold((tf) => tf.maximum), { alias: 'maximum' });
export const Minimum = elementwise('Minimum', fold((tf) => tf.minimum), { alias: 'minimum' });

/** Dot's two axes as indices into the shapes with the batch dimension (Keras takes axis % rank for negatives). */
function dotAxes(cfg: Cfg, inputs: Shape[]): [number, number] {
  const axes = cfg.axes;
  const pair = typeof axes === 'number' ? [axes, axes] : axes;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every(Number.isInteger)) throw new ShapeError('axes must be an integer or a list of two integers', 'axes');
  return pair.map((a: number, i: number) => {
    const r = inputs[i].length + 1;
    const axis = a < 0 ? ((a % r) + r) % r : a;
    if (axis === 0 || axis >= r) throw new ShapeError(`axis ${a} is not a non-batch axis of input ${i} (rank ${r})`, 'axes');
    return axis;
  }) as [number, number];
}

/** x's axis moved last and y's moved to position 1, the others in order (Keras's batch_dot). */
function moveAxis(rank: number, from: number, to: number): number[] {
  const rest = Array.from({ length: rank }, (_, i) => i).filter((i) => i !== from);
  rest.splice(to < 0 ? rank - 1 : to, 0, from);
  return rest;
}

export const Dot: LayerDef = {
  class_name: 'Dot',
  keras: { axes: REQUIRED, normalize: false },
  build_config: true,
  honours: { axes: true, normalize: true },
  arity: 'many',
  outputShape(cfg, inputs) {
    if (inputs.length !== 2) throw new ShapeError(`takes exactly 2 inputs, got ${inputs.length}`);
    const [a, b] = dotAxes(cfg, inputs);
    const [d1, d2] = [inputs[0][a - 1], inputs[1][b - 1]];
    if (d1 !== d2) throw new ShapeError(`the dot axes differ in size: ${d1} (axis ${a} of input 0) and ${d2} (axis ${b} of input 1)`, 'axes');
    const out = [...inputs[0].filter((_, i) => i !== a - 1), ...inputs[1].filter((_, i) => i !== b - 1)];
    return out.length ? out : [1];
  },
  graph: 'training',
  build(cfg, { tf, op, inputShapes }) {
    const [a, b] = dotAxes(cfg, inputShapes.map((s) => s.slice(1)));
    // Keras's ops.normalize with its default epsilon (1e-7): x * min(rsqrt(sum x^2), 1e7).
    const unit = (x: TF.Tensor, axis: number) => tf.mul(x, tf.minimum(tf.rsqrt(tf.sum(tf.square(x), axis, true)), 1e7));
    return op({
      call([x0, y0]) {
        const [x, y] = cfg.normalize ? [unit(x0, a), unit(y0, b)] : [x0, y0];
        const xs = tf.transpose(x, moveAxis(x.rank, a, -1));
        const ys = tf.transpose(y, moveAxis(y.rank, b, 1));
        const [batch, d] = [x.shape[0]!, x.shape[a]!];
        const xRest = xs.shape.slice(1, -1) as number[];
        const yRest = ys.shape.slice(2) as number[];
        const product = tf.matMul(tf.reshape(xs, [batch, -1, d]), tf.reshape(ys, [batch, d, -1]));
        const rest = [...xRest, ...yRest];
        return tf.reshape(product, [batch, ...(rest.length ? rest : [1])]);
      },
    });
  },
};
