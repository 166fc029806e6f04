/**
 * A functional model built from a checked graph. Training runs the layers eagerly in graph order
 * (so the `training` flag reaches every layer); a symbolic tf.LayersModel over the same layer
 * objects serves saving in the TensorFlow.js layers format.
 */
import * as tf from '@tensorflow/tfjs';
import type { Graph } from '../spec/graph.ts';
import { buildLayer } from './layers.ts';
import { isNativeActivation, nativeConv2d, nativeDense, nativeDropout, type Conv2DConfig } from './native-kernels.ts';

/** A linear activation object, for running a softmax/sigmoid output layer up to its logits. */
const LINEAR = (tf.layers.dense({ units: 1 }) as unknown as { activation: unknown }).activation;
const LOGIT_ACTIVATIONS = new Set(['softmax', 'sigmoid']);

export interface ForwardResult {
  outputs: tf.Tensor[];
  /** Pre-activation of outputs that end in softmax/sigmoid (Keras computes crossentropy from these). */
  logits: Array<tf.Tensor | undefined>;
}

interface NativeCapableLayer {
  kernel: { read(): tf.Variable };
  bias?: { read(): tf.Variable } | null;
  activation: { apply(x: tf.Tensor): tf.Tensor };
  strides?: number | number[];
  dilationRate?: number | number[];
  padding?: string;
  dataFormat?: string;
}

const pair = (v: number | number[] | undefined): [number, number] => (v === undefined ? [1, 1] : typeof v === 'number' ? [v, v] : [v[0], v[1] ?? v[0]]);

export class KerasModel {
  readonly graph: Graph;
  readonly layers = new Map<string, tf.layers.Layer>();
  readonly symbolic: tf.LayersModel;
  readonly inputNames: string[];
  readonly outputNames: string[];
  private readonly logitOutputs: Set<string>;

  constructor(graph: Graph) {
    this.graph = graph;
    this.inputNames = graph.inputs.map((i) => i.name);
    this.outputNames = graph.outputs;
    this.logitOutputs = new Set(
      graph.layers.filter((l) => graph.outputs.includes(l.name) && LOGIT_ACTIVATIONS.has(l.config.activation)).map((l) => l.name),
    );
    const symbols = new Map<string, tf.SymbolicTensor>();
    for (const input of graph.inputs) {
      symbols.set(input.name, tf.input({ name: input.name, shape: input.shape as number[], dtype: input.dtype ?? 'float32' }));
    }
    for (const spec of graph.layers) {
      const inbound = spec.inbound.map((n) => symbols.get(n)!);
      const layer = buildLayer(spec, inbound[0].shape);
      this.layers.set(spec.name, layer);
      symbols.set(spec.name, layer.apply(inbound.length === 1 ? inbound[0] : inbound) as tf.SymbolicTensor);
    }
    this.symbolic = tf.model({ inputs: this.inputNames.map((n) => symbols.get(n)!), outputs: this.outputNames.map((n) => symbols.get(n)!) });
  }

  /** Runs the graph on concrete tensors; returns every output in model order. */
  forward(inputs: tf.Tensor[], training: boolean): tf.Tensor[] {
    return this.run(inputs, training, false).outputs;
  }

  /** Like forward, and also the logits of softmax/sigmoid outputs, computed once, not inverted. */
  forwardWithLogits(inputs: tf.Tensor[], training: boolean): ForwardResult {
    return this.run(inputs, training, true);
  }

  private run(inputs: tf.Tensor[], training: boolean, wantLogits: boolean): ForwardResult {
    const values = new Map<string, tf.Tensor>();
    const logits = new Map<string, tf.Tensor>();
    this.inputNames.forEach((n, i) => values.set(n, inputs[i]));
    for (const spec of this.graph.layers) {
      const inbound = spec.inbound.map((n) => values.get(n)!);
      const arg = inbound.length === 1 ? inbound[0] : inbound;
      const layer = this.layers.get(spec.name)!;
      if (wantLogits && this.logitOutputs.has(spec.name)) {
        if (spec.class_name === 'Activation') {
          logits.set(spec.name, inbound[0]);
          values.set(spec.name, layer.apply(arg, { training }) as tf.Tensor);
          continue;
        }
        const withActivation = layer as unknown as { activation: { apply(x: tf.Tensor): tf.Tensor } };
        const activation = withActivation.activation;
        const nativePre = this.applyNative(spec, layer, inbound, true);
        if (nativePre) {
          logits.set(spec.name, nativePre);
          values.set(spec.name, activation.apply(nativePre));
          continue;
        }
        withActivation.activation = LINEAR as typeof activation;
        try {
          const pre = layer.apply(arg, { training }) as tf.Tensor;
          logits.set(spec.name, pre);
          values.set(spec.name, activation.apply(pre));
        } finally {
          withActivation.activation = activation;
        }
        continue;
      }
      const native = training && spec.class_name === 'Dropout' ? this.dropout(spec, inbound[0]) : this.applyNative(spec, layer, inbound, false);
      values.set(spec.name, native ?? (layer.apply(arg, { training }) as tf.Tensor));
    }
    return { outputs: this.outputNames.map((n) => values.get(n)!), logits: this.outputNames.map((n) => logits.get(n)) };
  }

  /**
   * Dense and Conv2D through TensorFlow's own forward and gradient kernels (native-kernels.ts);
   * undefined where that path does not apply and the tfjs layer computes the same numbers.
   * With linearOnly, the pre-activation is returned (for logits).
   */
  private applyNative(spec: Graph['layers'][number], layer: tf.layers.Layer, inbound: tf.Tensor[], linearOnly: boolean): tf.Tensor | undefined {
    if (inbound.length !== 1 || (spec.class_name !== 'Dense' && spec.class_name !== 'Conv2D')) return undefined;
    const l = layer as unknown as NativeCapableLayer;
    const keras = typeof spec.config.activation === 'string' ? spec.config.activation : (spec.config.activation?.class_name ?? 'linear');
    const fused = linearOnly ? 'linear' : isNativeActivation(keras) ? keras : 'linear';
    const kernel = l.kernel.read();
    const bias = l.bias?.read();
    let out: tf.Tensor | undefined;
    if (spec.class_name === 'Dense') out = nativeDense(inbound[0], kernel, bias, fused);
    else if (l.dataFormat === 'channelsLast' && (l.padding === 'valid' || l.padding === 'same')) {
      const config: Conv2DConfig = { strides: pair(l.strides), padding: l.padding, dilations: pair(l.dilationRate) };
      out = nativeConv2d(inbound[0], kernel, bias, fused, config);
    }
    // An activation without a one-kernel gradient (elu, gelu, ...) runs as tfjs's op after the fused part.
    if (out && !linearOnly && fused !== keras && keras !== 'linear') out = l.activation.apply(out);
    return out;
  }

  /**
   * The rate of a Dropout this model draws with TensorFlow's generator on tfjs-node (nativeDropout),
   * or undefined: a noise_shape keeps tfjs's layer, which draws on the host. A rate of 0 is the
   * identity either way.
   */
  private nativeDropoutRate(spec: Graph['layers'][number]): number | undefined {
    const rate = spec.config.rate ?? 0;
    return spec.class_name === 'Dropout' && !spec.config.noise_shape && rate < 1 && tf.getBackend() === 'tensorflow' ? rate : undefined;
  }

  /** Dropout in training from TensorFlow's generator; undefined keeps tfjs's layer. */
  private dropout(spec: Graph['layers'][number], x: tf.Tensor): tf.Tensor | undefined {
    const rate = this.nativeDropoutRate(spec);
    return rate ? nativeDropout(x, rate, spec.config.seed ?? 0) : undefined;
  }

  /** Whether a layer is a Dropout whose training forward pass a graph can hold. */
  hasNativeDropout(spec: Graph['layers'][number]): boolean {
    return this.nativeDropoutRate(spec) !== undefined;
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
      const tensors: tf.Tensor[] = [];
      for (const [i, a] of arrays.entries()) {
        const t = a instanceof tf.Tensor ? a : tf.tensor(a as number[], undefined, current[i].dtype);
        tensors.push(t);
        if (!tf.util.arraysEqual(t.shape, current[i].shape)) {
          tensors.forEach((made, j) => made !== arrays[j] && made.dispose());
          throw new Error(`weights.${name}[${i}]: expected shape [${current[i].shape}], got [${t.shape}]`);
        }
      }
      layer.setWeights(tensors);
      // setWeights copies values into the variables; the tensors made here are ours to free.
      tensors.forEach((t, i) => {
        if (t !== arrays[i]) t.dispose();
      });
    }
  }

  dispose(): void {
    this.symbolic.dispose();
  }
}
