/** keras.layers.Concatenate, Add, Multiply, Average, Maximum and Minimum. */
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

function elementwise(class_name: string, make: (tf: typeof TF) => (args: object) => TF.layers.Layer, alias?: string): LayerDef {
  return {
    class_name,
    aliases: alias ? [alias] : undefined,
    keras: {},
    build_config: true,
    honours: {},
    arity: 'many',
    outputShape(_cfg, inputs) {
      const first = JSON.stringify(inputs[0]);
      if (!inputs.every((s) => JSON.stringify(s) === first)) throw new ShapeError(`inputs must all have the same shape, got ${shown(inputs)}`);
      return inputs[0];
    },
    graph: 'training',
    build: (_cfg, { tf, common }) => make(tf)(common),
  };
}

export const Add = elementwise('Add', (tf) => tf.layers.add, 'add');
export const Multiply = elementwise('Multiply', (tf) => tf.layers.multiply, 'multiply');
export const Average = elementwise('Average', (tf) => tf.layers.average);
export const Maximum = elementwise('Maximum', (tf) => tf.layers.maximum);
export const Minimum = elementwise('Minimum', (tf) => tf.layers.minimum);
