/**
 * A functional model built from a checked graph. Training runs the layers eagerly in graph order
 * (so the `training` flag reaches every layer); a symbolic tf.LayersModel over the same layer
 * objects serves saving in the TensorFlow.js layers format.
 */
import * as tf from '@tensorflow/tfjs';
import { firstOutput, tensorKey, type CheckedGraph, type GraphLayer, type LayerCall, type TensorRef } from '../spec/graph.ts';
import { layerDef } from '../spec/layers/index.ts';
import { kerasLayerOrder } from '../spec/layer-order.ts';
import { buildLayer, l1l2Penalty } from './layers.ts';
import { isNativeActivation, nativeActivation, nativeBatchNormTraining, nativeConv2d, nativeDense, nativeDropout, type Conv2DConfig } from './native-kernels.ts';

/** A linear activation object, for running a softmax/sigmoid output layer up to its logits. */
const LINEAR = (tf.layers.dense({ units: 1 }) as unknown as { activation: unknown }).activation;
const LOGIT_ACTIVATIONS = new Set(['softmax', 'sigmoid']);

export interface ForwardResult {
  outputs: tf.Tensor[];
  /** Pre-activation of outputs that end in softmax/sigmoid (Keras computes crossentropy from these). */
  logits: Array<tf.Tensor | undefined>;
  /** Activity regularizers' penalties of this pass, in graph order (Keras adds them to the loss). */
  penalties: tf.Scalar[];
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


/** Keras's activity penalty of one output: the L1/L2 penalty over the batch size (divide_no_nan). */
function activityPenalty(x: tf.Tensor, l1: number, l2: number): tf.Scalar {
  return tf.tidy(() => {
    const penalty = l1l2Penalty(x, l1, l2);
    return (x.rank > 0 && x.shape[0] ? tf.div(penalty, x.shape[0]) : penalty) as tf.Scalar;
  });
}

interface BatchNormLayer {
  gamma?: { read(): tf.Tensor } | null;
  beta?: { read(): tf.Tensor } | null;
  movingMean: { read(): tf.Tensor; write(t: tf.Tensor): void };
  movingVariance: { read(): tf.Tensor; write(t: tf.Tensor): void };
}

/**
 * A trainable BatchNormalization over the last axis in a training pass, through TensorFlow's fused
 * kernels (nativeBatchNormTraining), its moving statistics updated as Keras does:
 * moving * momentum + batch * (1 - momentum). Undefined elsewhere: the tfjs layer's call (frozen,
 * other axes, off tfjs-node) computes the same numbers.
 */
function batchNormInTraining(spec: GraphLayer, layer: tf.layers.Layer, x: tf.Tensor): tf.Tensor | undefined {
  const cfg = spec.config;
  const axes = (Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1]) as number[];
  if (cfg.trainable === false || axes.length !== 1 || (axes[0] !== -1 && axes[0] !== x.rank - 1)) return undefined;
  const l = layer as unknown as BatchNormLayer;
  const momentum = cfg.momentum ?? 0.99;
  return nativeBatchNormTraining(x, cfg.scale !== false ? l.gamma!.read() : undefined, cfg.center !== false ? l.beta!.read() : undefined, cfg.epsilon ?? 1e-3, (mean, variance) => {
    for (const [variable, batch] of [[l.movingMean, mean], [l.movingVariance, variance]] as const) {
      variable.write(tf.add(tf.mul(variable.read(), momentum), tf.mul(batch, 1 - momentum)));
    }
  });
}

/** A layer of the model: a tfjs layer, or a nested model (which runs its own graph). */
type Built = { kind: 'layer'; layer: tf.layers.Layer } | { kind: 'model'; model: KerasModel };

export class KerasModel {
  readonly graph: CheckedGraph;
  /** The tfjs layer of every layer name (a nested model's symbolic model). */
  readonly layers = new Map<string, tf.layers.Layer>();
  private readonly built = new Map<string, Built>();
  readonly symbolic: tf.LayersModel;
  readonly inputNames: string[];
  readonly outputNames: string[];
  /** Output tensors whose layer ends in softmax/sigmoid, by tensor key (Keras computes crossentropy from their logits). */
  private readonly logitOutputs: Set<string>;

  constructor(graph: CheckedGraph) {
    this.graph = graph;
    this.inputNames = graph.inputs.map((i) => i.name);
    this.outputNames = graph.outputs;
    const byName = new Map(graph.layers.map((l) => [l.name, l]));
    this.logitOutputs = new Set(
      graph.outputRefs
        .filter((r) => {
          const l = byName.get(r.layer);
          return l && !l.model && r.index === 0 && !(tensorKey({ ...r, index: 1 }) in graph.tensors) && LOGIT_ACTIVATIONS.has(l.config.activation);
        })
        .map(tensorKey),
    );
    const symbols = new Map<string, tf.SymbolicTensor>();
    for (const input of graph.inputs) {
      symbols.set(tensorKey(firstOutput(input.name)), tf.input({ name: input.name, shape: input.shape as number[], dtype: input.dtype ?? 'float32' }));
    }
    for (const { layer: spec, node } of graph.nodes) {
      const call = spec.calls[node];
      const inbound = call.inbound.map((r) => symbols.get(tensorKey(r))!);
      if (node === 0) {
        const built: Built = spec.model ? { kind: 'model', model: new KerasModel(spec.model) } : { kind: 'layer', layer: buildLayer(spec, inbound.map((t) => t.shape)) };
        this.built.set(spec.name, built);
        this.layers.set(spec.name, built.kind === 'model' ? built.model.symbolic : built.layer);
      }
      const out = this.layers.get(spec.name)!.apply(this.callArg(call, inbound, (r) => symbols.get(tensorKey(r))!)) as tf.SymbolicTensor | tf.SymbolicTensor[];
      (Array.isArray(out) ? out : [out]).forEach((t, i) => symbols.set(tensorKey({ layer: spec.name, node, index: i }), t));
    }
    this.symbolic = tf.model({ inputs: this.inputNames.map((n) => symbols.get(tensorKey(firstOutput(n)))!), outputs: graph.outputRefs.map((r) => symbols.get(tensorKey(r))!) });
  }

  /**
   * A call's tensors as tfjs layers take them: one tensor, a list, or for initial_state the input
   * followed by the states (tfjs's RNNs split such a list themselves, and a symbolic state given
   * this way is linked into the model without tfjs's warning about keyword tensors).
   */
  private callArg<T>(call: LayerCall, inbound: T[], tensor: (r: TensorRef) => T): T | T[] {
    const state = call.kwargs.initial_state;
    if (state) return [inbound[0], ...state.map(tensor)];
    return inbound.length === 1 ? inbound[0] : inbound;
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
    /** Keras masks by tensor key: true where a step is real (see LayerDef.mask). */
    const masks = new Map<string, tf.Tensor>();
    const penalties: tf.Scalar[] = [];
    this.inputNames.forEach((n, i) => values.set(tensorKey(firstOutput(n)), inputs[i]));
    for (const { layer: spec, node } of this.graph.nodes) {
      const call = spec.calls[node];
      const inbound = call.inbound.map((r) => values.get(tensorKey(r))!);
      const key = tensorKey({ layer: spec.name, node, index: 0 });
      const built = this.built.get(spec.name)!;
      if (built.kind === 'model') {
        const result = built.model.run(inbound, training, wantLogits);
        result.outputs.forEach((t, i) => values.set(tensorKey({ layer: spec.name, node, index: i }), t));
        result.logits.forEach((t, i) => t && logits.set(tensorKey({ layer: spec.name, node, index: i }), t));
        penalties.push(...result.penalties);
        continue;
      }
      const layer = built.layer;
      const arg = this.callArg(call, inbound, (r) => values.get(tensorKey(r))!);
      const mask = masks.get(tensorKey(call.inbound[0]));
      const def = layerDef(spec.class_name);
      const maskMode = def?.mask?.(spec.config);
      if (maskMode === 'makes') masks.set(key, tf.notEqual(inbound[0], 0));
      else if (mask && maskMode === 'passes') masks.set(key, mask);
      // Only the layers that compute with a mask see it; the others pass it on around their call.
      const kwargs = { training, ...(mask && def?.takesMask ? { mask } : {}) };
      if (wantLogits && this.logitOutputs.has(key)) {
        if (spec.class_name === 'Activation') {
          logits.set(key, inbound[0]);
          values.set(key, layer.apply(arg, kwargs) as tf.Tensor);
          continue;
        }
        const withActivation = layer as unknown as { activation: { apply(x: tf.Tensor): tf.Tensor } };
        const activation = withActivation.activation;
        const nativePre = this.applyNative(spec, layer, inbound, true);
        if (nativePre) {
          logits.set(key, nativePre);
          values.set(key, activation.apply(nativePre));
          continue;
        }
        withActivation.activation = LINEAR as typeof activation;
        try {
          const pre = layer.apply(arg, kwargs) as tf.Tensor;
          logits.set(key, pre);
          values.set(key, activation.apply(pre));
        } finally {
          withActivation.activation = activation;
        }
        continue;
      }
      const native = training && spec.class_name === 'Dropout' ? this.dropout(spec, inbound[0])
        : training && spec.class_name === 'BatchNormalization' ? batchNormInTraining(spec, layer, inbound[0])
        : this.applyNative(spec, layer, inbound, false);
      const out = native ?? (layer.apply(arg, kwargs) as tf.Tensor | tf.Tensor[]);
      (Array.isArray(out) ? out : [out]).forEach((t, i) => values.set(tensorKey({ layer: spec.name, node, index: i }), t));
      // Only a pass that computes losses needs them (forward() would leave them undisposed).
      const activity = wantLogits ? def?.activityRegularizer?.(spec.config) : undefined;
      if (activity) for (const t of Array.isArray(out) ? out : [out]) penalties.push(activityPenalty(t, activity.l1, activity.l2));
    }
    const refs = this.graph.outputRefs.map(tensorKey);
    return { outputs: refs.map((k) => values.get(k)!), logits: refs.map((k) => logits.get(k)), penalties };
  }

  /** Whether every layer (nested models' included) can be traced for this kind of pass. */
  traceable(mode: 'training' | 'inference'): boolean {
    return this.graph.layers.every((l) => {
      const built = this.built.get(l.name)!;
      if (built.kind === 'model') return built.model.traceable(mode);
      const graph = layerDef(l.class_name)?.graph;
      const support = typeof graph === 'function' ? graph(l.config) : graph;
      return support === 'training' || (support === 'inference' && (mode === 'inference' || this.hasNativeDropout(l)));
    });
  }

  /**
   * Dense, Conv2D and relu/sigmoid/tanh Activation layers through TensorFlow's own forward and
   * gradient kernels (native-kernels.ts);
   * undefined where that path does not apply and the tfjs layer computes the same numbers.
   * With linearOnly, the pre-activation is returned (for logits).
   */
  private applyNative(spec: GraphLayer, layer: tf.layers.Layer, inbound: tf.Tensor[], linearOnly: boolean): tf.Tensor | undefined {
    if (inbound.length === 1 && spec.class_name === 'Activation' && !linearOnly) {
      const name = spec.config.activation;
      return typeof name === 'string' && name !== 'linear' && isNativeActivation(name) ? nativeActivation(inbound[0], name) : undefined;
    }
    if (inbound.length !== 1 || (spec.class_name !== 'Dense' && spec.class_name !== 'Conv2D')) return undefined;
    // A layer whose call the registry wraps (dilation by space-to-batch, ...) runs as wrapped.
    if ((layer as { kerasCall?: boolean }).kerasCall) return undefined;
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
   * or undefined: a noise_shape keeps tfjs's layer, which draws on the host. A rate of 0 draws
   * nothing, noise_shape or not (EfficientNet's stochastic depth at rate 0): the identity.
   */
  private nativeDropoutRate(spec: GraphLayer): number | undefined {
    if (spec.class_name !== 'Dropout') return undefined;
    const rate = spec.config.rate ?? 0;
    if (rate === 0) return 0;
    return !spec.config.noise_shape && rate < 1 && tf.getBackend() === 'tensorflow' ? rate : undefined;
  }

  /** Dropout in training from TensorFlow's generator; undefined keeps tfjs's layer. */
  private dropout(spec: GraphLayer, x: tf.Tensor): tf.Tensor | undefined {
    const rate = this.nativeDropoutRate(spec);
    return rate ? nativeDropout(x, rate, spec.config.seed ?? 0) : undefined;
  }

  /** Whether a layer is a Dropout whose training forward pass a graph can hold. */
  hasNativeDropout(spec: GraphLayer): boolean {
    return this.nativeDropoutRate(spec) !== undefined;
  }

  /**
   * The weight penalties (kernel_regularizer, ...) of every layer once: tfjs's model would count a
   * shared layer once per call and miss those of a recurrent layer's cell.
   */
  regularizationLosses(): tf.Scalar[] {
    return [...this.built.values()].flatMap((b) => {
      if (b.kind === 'model') return b.model.regularizationLosses();
      const cell = (b.layer as unknown as { cell?: tf.layers.Layer }).cell;
      return [...b.layer.calculateLosses(), ...(cell ? cell.calculateLosses() : [])] as tf.Scalar[];
    });
  }

  trainableVariables(): tf.Variable[] {
    return this.symbolic.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /**
   * One layer's weights in Keras get_weights() order; a nested model's are its layers' weights,
   * flat, in Keras's layer order (as Keras's get_weights of a model gives them).
   */
  private layerWeights(name: string): tf.Tensor[] {
    const built = this.built.get(name)!;
    if (built.kind === 'layer') return built.layer.getWeights();
    const child = built.model;
    return kerasLayerOrder(child.graph).flatMap((n) => (child.built.has(n) ? child.layerWeights(n) : []));
  }

  private setLayerWeights(name: string, tensors: tf.Tensor[]): void {
    const built = this.built.get(name)!;
    if (built.kind === 'layer') return built.layer.setWeights(tensors);
    const child = built.model;
    let at = 0;
    for (const n of kerasLayerOrder(child.graph)) {
      if (!child.built.has(n)) continue;
      const count = child.layerWeights(n).length;
      if (count) child.setLayerWeights(n, tensors.slice(at, at + count));
      at += count;
    }
  }

  /** Whether a layer of this name is here, or in a nested model. */
  hasLayer(name: string): boolean {
    return this.built.has(name) || [...this.built.values()].some((b) => b.kind === 'model' && b.model.hasLayer(name));
  }

  /** Weights per layer in Keras get_weights() order. */
  getWeights(): Record<string, tf.Tensor[]> {
    const out: Record<string, tf.Tensor[]> = {};
    for (const name of this.built.keys()) {
      const w = this.layerWeights(name);
      if (w.length) out[name] = w;
    }
    return out;
  }

  /** Loads weights given per layer (Keras order); checks counts and shapes with clear messages. */
  setWeights(weights: Record<string, Array<tf.Tensor | unknown>>): void {
    for (const [name, arrays] of Object.entries(weights)) {
      if (!this.built.has(name)) {
        // A layer of a nested model, by its own name (as the TensorFlow.js format names weights).
        const owner = [...this.built.values()].find((b) => b.kind === 'model' && b.model.hasLayer(name));
        if (!owner || owner.kind !== 'model') throw new Error(`weights: no layer is named "${name}"`);
        owner.model.setWeights({ [name]: arrays });
        continue;
      }
      const current = this.layerWeights(name);
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
      this.setLayerWeights(name, tensors);
      // setWeights copies values into the variables; the tensors made here are ours to free.
      tensors.forEach((t, i) => {
        if (t !== arrays[i]) t.dispose();
      });
    }
  }

  dispose(): void {
    this.symbolic.dispose();
    // tfjs keeps a shared layer's weights while its model still counts a second call of it.
    for (const layer of this.layers.values()) {
      for (const w of layer.weights) if (!(w as unknown as { val: tf.Tensor }).val.isDisposed) w.dispose();
    }
  }
}
