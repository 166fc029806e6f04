/** keras.layers.Concatenate, Add, Subtract, Multiply, Average, Maximum and Minimum. */
import type * as TF from '@tensorflow/tfjs';
import { ShapeError, type LayerDef, type Shape } from './layer-def.ts';

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
