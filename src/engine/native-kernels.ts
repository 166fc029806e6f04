/**
 * Training-step building blocks that call TensorFlow's own kernels, forward and backward, when the
 * backend is tfjs-node. tfjs's generic gradients spend several kernels where TensorFlow (and so
 * Keras) spends one: the ReLU gradient alone is IsNan, Greater, two Fills and two Selects instead
 * of ReluGrad. Op by op, every kernel is a dispatch, so a Dense step here is 7 kernels instead of
 * about 18, and the ReLU gradient of a conv net stops being a quarter of its step.
 * Each function returns undefined when it cannot serve (no tfjs-node, an unsupported shape or
 * activation) and the caller keeps the generic tfjs path, which computes the same numbers.
 */
import * as tf from '@tensorflow/tfjs';

interface Attr {
  name: string;
  type: number;
  value: unknown;
}

interface NodeBackend {
  binding: Record<'TF_ATTR_TYPE' | 'TF_ATTR_INT' | 'TF_ATTR_FLOAT' | 'TF_ATTR_STRING' | 'TF_ATTR_BOOL' | 'TF_FLOAT' | 'TF_INT32', number>;
  executeSingleOutput(op: string, attrs: Attr[], inputs: tf.Tensor[]): tf.Tensor;
  executeMultipleOutputs(op: string, attrs: Attr[], inputs: tf.Tensor[], count: number): tf.Tensor[];
}

/** Activations with a one-kernel TensorFlow gradient, computed from the activation's output. */
const ACTIVATION_GRADS: Record<string, { forward: string; grad: string; gradArgs: 'dy,y' | 'y,dy' }> = {
  relu: { forward: 'Relu', grad: 'ReluGrad', gradArgs: 'dy,y' },
  sigmoid: { forward: 'Sigmoid', grad: 'SigmoidGrad', gradArgs: 'y,dy' },
  tanh: { forward: 'Tanh', grad: 'TanhGrad', gradArgs: 'y,dy' },
};

/** tfjs's CustomGradientFunc (not exported by @tensorflow/tfjs): inputs, then the save function. */
type GradFunc = Parameters<typeof tf.customGrad>[0];

export type NativeActivation = 'linear' | keyof typeof ACTIVATION_GRADS;

export function isNativeActivation(name: string): name is NativeActivation {
  return name === 'linear' || name in ACTIVATION_GRADS;
}

function nodeBackend(): NodeBackend | undefined {
  return tf.getBackend() === 'tensorflow' ? (tf.backend() as unknown as NodeBackend) : undefined;
}

class Kernels {
  constructor(private readonly b: NodeBackend) {}

  private type(name = 'T', dtype = this.b.binding.TF_FLOAT): Attr {
    return { name, type: this.b.binding.TF_ATTR_TYPE, value: dtype };
  }
  private bool(name: string, value: boolean): Attr {
    return { name, type: this.b.binding.TF_ATTR_BOOL, value };
  }
  private ints(name: string, value: number[]): Attr {
    return { name, type: this.b.binding.TF_ATTR_INT, value };
  }
  private float(name: string, value: number): Attr {
    return { name, type: this.b.binding.TF_ATTR_FLOAT, value };
  }
  private str(name: string, value: string): Attr {
    return { name, type: this.b.binding.TF_ATTR_STRING, value };
  }

  matMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
    return this.b.executeSingleOutput('MatMul', [this.type(), this.bool('transpose_a', transposeA), this.bool('transpose_b', transposeB)], [a, b]);
  }
  biasAdd(x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
    return this.b.executeSingleOutput('BiasAdd', [this.type(), this.str('data_format', 'NHWC')], [x, bias]);
  }
  biasAddGrad(dy: tf.Tensor): tf.Tensor {
    return this.b.executeSingleOutput('BiasAddGrad', [this.type(), this.str('data_format', 'NHWC')], [dy]);
  }
  activation(name: NativeActivation, x: tf.Tensor): tf.Tensor {
    return name === 'linear' ? x : this.b.executeSingleOutput(ACTIVATION_GRADS[name].forward, [this.type()], [x]);
  }
  activationGrad(name: NativeActivation, dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
    if (name === 'linear') return dy;
    const { grad, gradArgs } = ACTIVATION_GRADS[name];
    return this.b.executeSingleOutput(grad, [this.type()], gradArgs === 'dy,y' ? [dy, y] : [y, dy]);
  }
  private convAttrs(c: Conv2DConfig): Attr[] {
    return [
      this.type(),
      this.ints('strides', [1, c.strides[0], c.strides[1], 1]),
      this.str('padding', c.padding.toUpperCase()),
      this.str('data_format', 'NHWC'),
      this.ints('dilations', [1, c.dilations[0], c.dilations[1], 1]),
    ];
  }
  conv2d(x: tf.Tensor, filter: tf.Tensor, c: Conv2DConfig): tf.Tensor {
    return this.b.executeSingleOutput('Conv2D', this.convAttrs(c), [x, filter]);
  }
  conv2dBackpropInput(inputShape: number[], filter: tf.Tensor, dy: tf.Tensor, c: Conv2DConfig): tf.Tensor {
    const sizes = tf.tensor1d(inputShape, 'int32');
    const out = this.b.executeSingleOutput('Conv2DBackpropInput', this.convAttrs(c), [sizes, filter, dy]);
    sizes.dispose();
    return out;
  }
  conv2dBackpropFilter(x: tf.Tensor, filterShape: number[], dy: tf.Tensor, c: Conv2DConfig): tf.Tensor {
    const sizes = tf.tensor1d(filterShape, 'int32');
    const out = this.b.executeSingleOutput('Conv2DBackpropFilter', this.convAttrs(c), [x, sizes, dy]);
    sizes.dispose();
    return out;
  }
  binary(op: string, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return this.b.executeSingleOutput(op, [this.type()], [a, b]);
  }
  unary(op: string, a: tf.Tensor): tf.Tensor {
    return this.b.executeSingleOutput(op, [this.type()], [a]);
  }
  /** Uniform [0, 1) floats of a shape from TensorFlow's stateful generator (seed 0: nondeterministic). */
  randomUniform(shape: number[], seed: number): tf.Tensor {
    return this.random('RandomUniform', shape, seed);
  }
  /** Standard normal floats of a shape from TensorFlow's stateful generator (seed 0: nondeterministic). */
  randomNormal(shape: number[], seed: number): tf.Tensor {
    return this.random('RandomStandardNormal', shape, seed);
  }
  private random(op: string, shape: number[], seed: number): tf.Tensor {
    const dims = tf.tensor1d(shape, 'int32');
    const int = (name: string, value: number): Attr => ({ name, type: this.b.binding.TF_ATTR_INT, value });
    const attrs = [int('seed', seed), int('seed2', 0), this.type('dtype'), this.type('T', this.b.binding.TF_INT32)];
    const out = this.b.executeSingleOutput(op, attrs, [dims]);
    dims.dispose();
    return out;
  }
  /** params[indices] along axis 0, without tfjs-node's host read of the indices (a bounds check). */
  gather(params: tf.Tensor, indices: tf.Tensor): tf.Tensor {
    const axis = tf.scalar(0, 'int32');
    const int = (name: string, value: number): Attr => ({ name, type: this.b.binding.TF_ATTR_INT, value });
    const attrs = [this.type('Tparams'), this.type('Tindices', this.b.binding.TF_INT32), this.type('Taxis', this.b.binding.TF_INT32), int('batch_dims', 0)];
    const out = this.b.executeSingleOutput('GatherV2', attrs, [params, indices, axis]);
    axis.dispose();
    return out;
  }
  /** Rows of data summed into `segments` rows by their segment id: the gradient of gather. */
  unsortedSegmentSum(data: tf.Tensor, ids: tf.Tensor, segments: number): tf.Tensor {
    const count = tf.scalar(segments, 'int32');
    const attrs = [this.type(), this.type('Tindices', this.b.binding.TF_INT32), this.type('Tnumsegments', this.b.binding.TF_INT32)];
    const out = this.b.executeSingleOutput('UnsortedSegmentSum', attrs, [data, ids, count]);
    count.dispose();
    return out;
  }
  private batchNormAttrs(epsilon: number): Attr[] {
    return [this.type(), this.type('U'), this.float('epsilon', epsilon), this.str('data_format', 'NHWC'), this.bool('is_training', true)];
  }
  /**
   * Batch normalization of NHWC x by its own batch statistics: [y, batch mean, Bessel-corrected
   * batch variance, and the two reserve spaces its gradient kernel takes]. V2, not V3: V3's third
   * reserve space has no static shape, which a traced graph needs.
   */
  fusedBatchNormTraining(x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor, epsilon: number): tf.Tensor[] {
    const none = tf.tensor1d([], 'float32');
    try {
      return this.b.executeMultipleOutputs('FusedBatchNormV2', [...this.batchNormAttrs(epsilon), this.float('exponential_avg_factor', 1)], [x, scale, offset, none, none], 5);
    } finally {
      none.dispose();
    }
  }
  /** The gradients of fusedBatchNormTraining's y with respect to x, scale and offset. */
  fusedBatchNormGrad(dy: tf.Tensor, x: tf.Tensor, scale: tf.Tensor, reserve: tf.Tensor[], epsilon: number): tf.Tensor[] {
    const out = this.b.executeMultipleOutputs('FusedBatchNormGradV2', this.batchNormAttrs(epsilon), [dy, x, scale, ...reserve], 5);
    out.slice(3).forEach((t) => t.dispose());
    return out.slice(0, 3);
  }
  /** Per-sample loss and its gradient with respect to the logits, in one kernel. */
  softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, sparse: boolean): [tf.Tensor, tf.Tensor] {
    const attrs = sparse ? [this.type(), this.type('Tlabels', this.b.binding.TF_INT32)] : [this.type()];
    const [loss, backprop] = this.b.executeMultipleOutputs(sparse ? 'SparseSoftmaxCrossEntropyWithLogits' : 'SoftmaxCrossEntropyWithLogits', attrs, [logits, labels], 2);
    return [loss, backprop];
  }
}

let cached: { backend: NodeBackend; kernels: Kernels } | undefined;
function kernels(): Kernels | undefined {
  const b = nodeBackend();
  if (!b) return undefined;
  if (cached?.backend !== b) cached = { backend: b, kernels: new Kernels(b) };
  return cached.kernels;
}

/** A linear map (matmul, convolution) with its two gradients, for fusedLinear. */
interface LinearOp {
  forward(x: tf.Tensor, w: tf.Tensor): tf.Tensor;
  /** Gradients with respect to x and w, given the gradient dz of the output. */
  backward(dz: tf.Tensor, x: tf.Tensor, w: tf.Tensor): [tf.Tensor, tf.Tensor];
}

/** activation(linear(x, kernel) + bias) as one op whose gradient is TensorFlow's own kernels. */
function fusedLinear(k: Kernels, linear: LinearOp, x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | undefined, activation: NativeActivation): tf.Tensor {
  const run = tf.customGrad(((...args: unknown[]) => {
    const [xs, w, b] = args as tf.Tensor[];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const raw = linear.forward(xs, w);
    const z = bias ? k.biasAdd(raw, b) : raw;
    if (z !== raw) raw.dispose();
    const y = k.activation(activation, z);
    if (y !== z) z.dispose();
    save([xs, w, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw, sy] = saved;
        const dz = k.activationGrad(activation, dy, sy);
        const grads: tf.Tensor[] = linear.backward(dz, sx, sw);
        if (bias) grads.push(k.biasAddGrad(dz));
        return grads;
      },
    };
  }) as GradFunc);
  return bias ? run(x, kernel, bias) : run(x, kernel);
}

/**
 * An Activation layer's relu, sigmoid or tanh with its one-kernel TensorFlow gradient (ReluGrad
 * for relu, where tfjs spends six kernels: ResNet's 49 standalone ReLUs).
 */
export function nativeActivation(x: tf.Tensor, activation: Exclude<NativeActivation, 'linear'>): tf.Tensor | undefined {
  const k = kernels();
  if (!k || x.dtype !== 'float32') return undefined;
  const run = tf.customGrad(((xs: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = k.activation(activation, xs);
    save([y]);
    return { value: y, gradFunc: (dy: tf.Tensor, [sy]: tf.Tensor[]) => k.activationGrad(activation, dy, sy) };
  }) as GradFunc);
  return run(x);
}

/** activation(x @ kernel + bias) for a batch of vectors, with TensorFlow's own gradient kernels. */
export function nativeDense(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | undefined, activation: NativeActivation): tf.Tensor | undefined {
  const k = kernels();
  if (!k || x.rank !== 2 || x.dtype !== 'float32') return undefined;
  const matMul: LinearOp = {
    forward: (xs, w) => k.matMul(xs, w),
    backward: (dz, xs, w) => [k.matMul(dz, w, false, true), k.matMul(xs, dz, true, false)],
  };
  return fusedLinear(k, matMul, x, kernel, bias, activation);
}

export interface Conv2DConfig {
  strides: [number, number];
  padding: 'valid' | 'same';
  dilations: [number, number];
}

/** activation(conv2d(x, kernel) + bias), channels last, with TensorFlow's own gradient kernels. */
export function nativeConv2d(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | undefined, activation: NativeActivation, config: Conv2DConfig): tf.Tensor | undefined {
  const k = kernels();
  // TensorFlow's CPU backprop kernels refuse dilation (Keras goes through space_to_batch there).
  if (!k || x.rank !== 4 || x.dtype !== 'float32' || config.dilations.some((d) => d !== 1)) return undefined;
  const conv: LinearOp = {
    forward: (xs, w) => k.conv2d(xs, w, config),
    backward: (dz, xs, w) => [k.conv2dBackpropInput(xs.shape, w, dz, config), k.conv2dBackpropFilter(xs, w.shape, dz, config)],
  };
  return fusedLinear(k, conv, x, kernel, bias, activation);
}

/**
 * Keras's BatchNormalization over the last axis in training: x normalized by its batch moments,
 * with the batch mean and (biased) variance for the moving statistics. One TensorFlow kernel each
 * way, where tfjs's composite gradient spends about fifteen full-size ops (a tile of the inverse
 * deviation among them) per layer (measured on a 2-vCPU VM: ResNet50 training +4.5%,
 * MobileNetV2 +52% samples/s). Any rank (the other axes are flattened into one batch axis);
 * gamma or beta undefined where scale or center is off.
 */
export function nativeBatchNormTraining(
  x: tf.Tensor, gamma: tf.Tensor | undefined, beta: tf.Tensor | undefined, epsilon: number, onMoments: (mean: tf.Tensor, variance: tf.Tensor) => void,
): tf.Tensor | undefined {
  const k = kernels();
  if (!k || x.dtype !== 'float32' || x.rank < 2 || x.shape.some((d) => !d)) return undefined;
  const channels = x.shape[x.rank - 1];
  const count = x.size / channels;
  const x4 = x.rank === 4 ? x : tf.reshape(x, [count, 1, 1, channels]);
  const scale = gamma ?? tf.ones([channels]);
  const offset = beta ?? tf.zeros([channels]);
  // The moments leave the gradient's scope, which frees what its value does not hold.
  let moments: tf.Tensor[] = [];
  const run = tf.customGrad(((...args: unknown[]) => {
    const [xs, s, o] = args as tf.Tensor[];
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [y, mean, unbiased, ...reserve] = k.fusedBatchNormTraining(xs, s, o, epsilon);
    moments = [tf.keep(mean), tf.keep(unbiased)];
    save([xs, s, ...reserve]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => k.fusedBatchNormGrad(dy, saved[0], saved[1], saved.slice(2), epsilon),
    };
  }) as GradFunc);
  const y4 = run(x4, scale, offset);
  const [mean, unbiased] = moments;
  // The kernel's variance is n / (n - 1) times the batch's (1 where n is 1); Keras's moments are the batch's.
  onMoments(mean, count > 1 ? tf.mul(unbiased, (count - 1) / count) : unbiased);
  mean.dispose();
  unbiased.dispose();
  return x4 === x ? y4 : tf.reshape(y4, x.shape);
}

/**
 * Per-sample softmax crossentropy of (batch, classes) logits, as tf.nn.(sparse_)softmax_cross_
 * entropy_with_logits computes it for Keras. Labels are class indices (sparse) or distributions.
 */
export function nativeSoftmaxCrossEntropy(labels: tf.Tensor, logits: tf.Tensor, sparse: boolean): tf.Tensor | undefined {
  const k = kernels();
  if (!k || logits.rank !== 2 || logits.dtype !== 'float32') return undefined;
  if (sparse ? labels.rank !== 1 : labels.rank !== 2) return undefined;
  const labelsIn = sparse ? (labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32')) : labels.dtype === 'float32' ? labels : tf.cast(labels, 'float32');
  const run = tf.customGrad(((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [loss, backprop] = k.softmaxCrossEntropy(args[0] as tf.Tensor, labelsIn, sparse);
    save([backprop]);
    return {
      value: loss,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(saved[0], tf.expandDims(dy, -1)),
    };
  }) as GradFunc);
  const out = run(logits);
  if (labelsIn !== labels) labelsIn.dispose();
  return out;
}

/**
 * Keras's dropout in training, x / (1 - rate) where a uniform draw is >= rate, else 0, with the
 * draw made by a TensorFlow kernel rather than tfjs's host generator. As a kernel it is also a node
 * of a traced graph that draws anew at every run, so dropout layers can train as a graph. The mask
 * is a constant to the tape: the gradient is dy masked and scaled, as in Keras.
 */
export function nativeDropout(x: tf.Tensor, rate: number, seed = 0): tf.Tensor | undefined {
  const k = kernels();
  if (!k || x.dtype !== 'float32') return undefined;
  return tf.tidy(() => {
    const keep = tf.cast(tf.greaterEqual(k.randomUniform(x.shape, seed), rate), 'float32');
    return tf.mul(tf.mul(x, 1 / (1 - rate)), keep);
  });
}

/**
 * Uniform [0, 1) or standard normal floats from TensorFlow's generator, for the noise layers'
 * training passes: a kernel, so a traced graph draws anew at every run. Undefined off tfjs-node.
 */
export function nativeRandom(kind: 'uniform' | 'normal', shape: number[]): tf.Tensor | undefined {
  const k = kernels();
  if (!k) return undefined;
  return kind === 'uniform' ? k.randomUniform(shape, 0) : k.randomNormal(shape, 0);
}

export type Operand = tf.Tensor | number;

/** The float32 elementwise math of optimizer updates. */
export interface Elementwise {
  add(a: Operand, b: Operand): tf.Tensor;
  sub(a: Operand, b: Operand): tf.Tensor;
  mul(a: Operand, b: Operand): tf.Tensor;
  div(a: Operand, b: Operand): tf.Tensor;
  maximum(a: Operand, b: Operand): tf.Tensor;
  sqrt(a: tf.Tensor): tf.Tensor;
  square(a: tf.Tensor): tf.Tensor;
  neg(a: tf.Tensor): tf.Tensor;
  abs(a: tf.Tensor): tf.Tensor;
}

/**
 * Elementwise math straight to TensorFlow's kernels on tfjs-node (an optimizer step is about a
 * dozen such ops per variable, and tfjs's kernel dispatch adds a third to each), tfjs's ops
 * elsewhere. A number becomes a new scalar (freed by the caller's tidy); hot paths pass cached ones.
 */
export function elementwise(): Elementwise {
  const t = (x: Operand) => (typeof x === 'number' ? tf.scalar(x) : x);
  const binary = (op: string, generic: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (a: Operand, b: Operand) => {
    const k = kernels();
    return k ? k.binary(op, t(a), t(b)) : generic(t(a), t(b));
  };
  const unary = (op: string, generic: (a: tf.Tensor) => tf.Tensor) => (a: tf.Tensor) => {
    const k = kernels();
    return k ? k.unary(op, a) : generic(a);
  };
  return {
    add: binary('AddV2', tf.add),
    sub: binary('Sub', tf.sub),
    mul: binary('Mul', tf.mul),
    div: binary('RealDiv', tf.div),
    maximum: binary('Maximum', tf.maximum),
    sqrt: unary('Sqrt', tf.sqrt),
    square: unary('Square', tf.square),
    neg: unary('Neg', tf.neg),
    abs: unary('Abs', tf.abs),
  };
}

/**
 * An Embedding's lookup, params[indices], as TensorFlow's GatherV2 with the gradient Keras gets
 * (the occurrences' gradients summed per row). tfjs-node's own gather reads the indices on the host,
 * which a traced graph cannot do; undefined off tfjs-node.
 */
export function nativeGather(params: tf.Tensor, indices: tf.Tensor): tf.Tensor | undefined {
  const k = kernels();
  if (!k || params.dtype !== 'float32' || params.rank !== 2) return undefined;
  const ids = indices.dtype === 'int32' ? indices : tf.cast(indices, 'int32');
  const run = tf.customGrad(((...args: unknown[]) => {
    const p = args[0] as tf.Tensor;
    return {
      value: k.gather(p, ids),
      gradFunc: (dy: tf.Tensor) => k.unsortedSegmentSum(tf.reshape(dy, [-1, p.shape[1]!]), tf.reshape(ids, [-1]), p.shape[0]!),
    };
  }) as GradFunc);
  const out = run(params);
  if (ids !== indices) ids.dispose();
  return out;
}
