/**
 * A functional model built from a checked graph. Training runs the layers eagerly in graph order
 * (so the `training` flag reaches every layer); a symbolic tf.LayersModel over the same layer
 * objects serves saving in the TensorFlow.js layers format.
 */
import * as tf from '@tensorflow/tfjs';
import type { Graph } from '../spec/graph.ts';
import { buildLayer } from './layers.ts';

export class KerasModel {
  readonly graph: Graph;
  readonly layers = new Map<string, tf.layers.Layer>();
  readonly symbolic: tf.LayersModel;
  readonly inputNames: string[];
  readonly outputNames: string[];

  constructor(graph: Graph) {
    this.graph = graph;
    this.inputNames = graph.inputs.map((i) => i.name);
    this.outputNames = graph.outputs;
    const symbols = new Map<string, tf.SymbolicTensor>();
    for (const input of graph.inputs) {
      symbols.set(input.name, tf.input({ name: input.name, shape: input.shape as number[], dtype: input.dtype ?? 'float32' }));
    }
    for (const spec of graph.layers) {
      const layer = buildLayer(spec);
      this.layers.set(spec.name, layer);
      const inbound = spec.inbound.map((n) => symbols.get(n)!);
      symbols.set(spec.name, layer.apply(inbound.length === 1 ? inbound[0] : inbound) as tf.SymbolicTensor);
    }
    this.symbolic = tf.model({ inputs: this.inputNames.map((n) => symbols.get(n)!), outputs: this.outputNames.map((n) => symbols.get(n)!) });
  }

  /** Runs the graph on concrete tensors; returns every output in model order. */
  forward(inputs: tf.Tensor[], training: boolean): tf.Tensor[] {
    const values = new Map<string, tf.Tensor>();
    this.inputNames.forEach((n, i) => values.set(n, inputs[i]));
    for (const spec of this.graph.layers) {
      const inbound = spec.inbound.map((n) => values.get(n)!);
      const out = this.layers.get(spec.name)!.apply(inbound.length === 1 ? inbound[0] : inbound, { training }) as tf.Tensor;
      values.set(spec.name, out);
    }
    return this.outputNames.map((n) => values.get(n)!);
  }

  trainableVariables(): tf.Variable[] {
    return this.symbolic.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /** Weights per layer in Keras get_weights() order. */
  getWeights(): Record<string, tf.Tensor[]> {
    const out: Record<string, tf.Tensor[]> = {};
    for (const [name, layer] of this.layers) {
      const w = layer.getWeights();
      if (w.length) out[name] = w;
    }
    return out;
  }

  /** Loads weights given per layer (Keras order); checks counts and shapes with clear messages. */
  setWeights(weights: Record<string, Array<tf.Tensor | unknown>>): void {
    for (const [name, arrays] of Object.entries(weights)) {
      const layer = this.layers.get(name);
      if (!layer) throw new Error(`weights: no layer is named "${name}"`);
      const current = layer.getWeights();
      if (arrays.length !== current.length) throw new Error(`weights.${name}: expected ${current.length} arrays, got ${arrays.length}`);
      const tensors = arrays.map((a, i) => {
        const t = a instanceof tf.Tensor ? a : tf.tensor(a as number[], undefined, current[i].dtype);
        if (!tf.util.arraysEqual(t.shape, current[i].shape)) {
          throw new Error(`weights.${name}[${i}]: expected shape [${current[i].shape}], got [${t.shape}]`);
        }
        return t;
      });
      layer.setWeights(tensors);
    }
  }

  dispose(): void {
    this.symbolic.dispose();
  }
}
