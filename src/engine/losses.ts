/**
 * Keras losses as per-sample functions: (y_true, y_pred) → one value per sample, already averaged
 * over the last axis as Keras does. Reduction (sum_over_batch_size with sample weights) is the
 * trainer's job, so every loss shares it.
 */
import * as tf from '@tensorflow/tfjs';
import type { Resolved } from '../spec/catalog.ts';
import { nativeSoftmaxCrossEntropy } from './native-kernels.ts';

export type PerSampleLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

export interface Loss {
  className: string;
  /** Keras's reduction of the weighted per-sample values to the batch loss. */
  reduction: string;
  perSample: PerSampleLoss;
  /**
   * SparseCategoricalCrossentropy's ignore_class: 1 where a sample counts, 0 where its label is
   * the ignored class (its loss is 0, and Keras's mean runs over the counted samples only).
   */
  validMask?: (yTrue: tf.Tensor, values: tf.Tensor) => tf.Tensor;
  /**
   * For crossentropies with from_logits=false: the same loss on logits. Keras (TF backend) uses it
   * whenever the prediction comes straight from a softmax/sigmoid, so nothing is clipped.
   */
  onLogits?: PerSampleLoss;
}

const CROSSENTROPIES = new Set(['BinaryCrossentropy', 'CategoricalCrossentropy', 'SparseCategoricalCrossentropy']);

const EPS = 1e-7;
const clipProb = (p: tf.Tensor) => tf.clipByValue(p, EPS, 1 - EPS);
const meanLast = (t: tf.Tensor) => tf.mean(t, -1);

/** y_true of shape (n,) next to y_pred of shape (n, 1) is expanded, as Keras squeezes/expands. */
function align(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const t = yTrue.dtype === 'float32' ? yTrue : tf.cast(yTrue, 'float32');
  return t.rank === yPred.rank - 1 ? tf.expandDims(t, -1) : t;
}

export function sparseCategoricalCrossentropy(fromLogits: boolean): PerSampleLoss {
  return (yTrue, yPred) => {
    const classes = yPred.shape[yPred.shape.length - 1]!;
    const labels = tf.cast(yTrue.rank === yPred.rank ? tf.squeeze(yTrue, [-1]) : yTrue, 'int32');
    const native = fromLogits ? nativeSoftmaxCrossEntropy(labels, yPred, true) : undefined;
    if (native) return native;
    const oneHot = tf.oneHot(labels, classes);
    const logProbs = fromLogits ? tf.logSoftmax(yPred) : tf.log(clipProb(tf.div(yPred, tf.sum(yPred, -1, true))));
    return tf.neg(tf.sum(tf.mul(oneHot, logProbs), -1));
  };
}

export function categoricalCrossentropy(fromLogits: boolean, labelSmoothing = 0): PerSampleLoss {
  return (yTrue, yPred) => {
    const classes = yPred.shape[yPred.shape.length - 1]!;
    let t = align(yTrue, yPred);
    if (labelSmoothing) t = tf.add(tf.mul(t, 1 - labelSmoothing), labelSmoothing / classes);
    const native = fromLogits ? nativeSoftmaxCrossEntropy(t, yPred, false) : undefined;
    if (native) return native;
    const logProbs = fromLogits ? tf.logSoftmax(yPred) : tf.log(clipProb(tf.div(yPred, tf.sum(yPred, -1, true))));
    return tf.neg(tf.sum(tf.mul(t, logProbs), -1));
  };
}

export function binaryCrossentropy(fromLogits: boolean, labelSmoothing = 0): PerSampleLoss {
  return (yTrue, yPred) => {
    let t = align(yTrue, yPred);
    if (labelSmoothing) t = tf.add(tf.mul(t, 1 - labelSmoothing), 0.5 * labelSmoothing);
    if (fromLogits) {
      // max(x, 0) - x*z + log(1 + exp(-|x|)): TensorFlow's stable sigmoid_cross_entropy_with_logits.
      const x = yPred;
      return meanLast(tf.add(tf.sub(tf.relu(x), tf.mul(x, t)), tf.log1p(tf.exp(tf.neg(tf.abs(x))))));
    }
    const p = clipProb(yPred);
    return meanLast(tf.neg(tf.add(tf.mul(t, tf.log(p)), tf.mul(tf.sub(1, t), tf.log(tf.sub(1, p))))));
  };
}

/** Keras l2_normalize uses max(sum(x^2), 1e-12) under the square root. */
function l2Normalize(x: tf.Tensor, axis: number): tf.Tensor {
  return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), axis, true), 1e-12)));
}

export function cosine(t: tf.Tensor, p: tf.Tensor, axis = -1): tf.Tensor {
  return tf.sum(tf.mul(l2Normalize(t, axis), l2Normalize(p, axis)), axis);
}

const PER_SAMPLE: Record<string, (cfg: Record<string, any>) => PerSampleLoss> = {
  MeanSquaredError: () => (t, p) => meanLast(tf.squaredDifference(align(t, p), p)),
  MeanAbsoluteError: () => (t, p) => meanLast(tf.abs(tf.sub(align(t, p), p))),
  MeanAbsolutePercentageError: () => (t, p) => {
    const yt = align(t, p);
    return tf.mul(100, meanLast(tf.div(tf.abs(tf.sub(yt, p)), tf.maximum(tf.abs(yt), EPS))));
  },
  MeanSquaredLogarithmicError: () => (t, p) => {
    const a = tf.log1p(tf.maximum(align(t, p), EPS));
    const b = tf.log1p(tf.maximum(p, EPS));
    return meanLast(tf.squaredDifference(a, b));
  },
  Huber: (cfg) => {
    const delta = cfg.delta ?? 1.0;
    // min/sub instead of a where(err <= delta): same values, and differentiable everywhere in tfjs.
    return (t, p) => {
      const err = tf.abs(tf.sub(align(t, p), p));
      const quad = tf.minimum(err, delta);
      const lin = tf.sub(err, quad);
      return meanLast(tf.add(tf.mul(0.5, tf.square(quad)), tf.mul(delta, lin)));
    };
  },
  LogCosh: () => (t, p) => {
    const x = tf.sub(p, align(t, p));
    return meanLast(tf.sub(tf.add(x, tf.softplus(tf.mul(-2, x))), Math.log(2)));
  },
  Hinge: () => (t, p) => {
    const yt = align(t, p);
    const signed = tf.where(tf.equal(yt, 0), tf.onesLike(yt).neg(), yt);
    return meanLast(tf.relu(tf.sub(1, tf.mul(signed, p))));
  },
  SquaredHinge: () => (t, p) => {
    const yt = align(t, p);
    const signed = tf.where(tf.equal(yt, 0), tf.onesLike(yt).neg(), yt);
    return meanLast(tf.square(tf.relu(tf.sub(1, tf.mul(signed, p)))));
  },
  CategoricalHinge: () => (t, p) => {
    const yt = align(t, p);
    const pos = tf.sum(tf.mul(yt, p), -1);
    const neg = tf.max(tf.mul(tf.sub(1, yt), p), -1);
    return tf.relu(tf.add(tf.sub(neg, pos), 1));
  },
  KLDivergence: () => (t, p) => {
    const yt = tf.clipByValue(align(t, p), EPS, 1);
    const yp = tf.clipByValue(p, EPS, 1);
    return tf.sum(tf.mul(yt, tf.log(tf.div(yt, yp))), -1);
  },
  Poisson: () => (t, p) => meanLast(tf.sub(p, tf.mul(align(t, p), tf.log(tf.add(p, EPS))))),
  CosineSimilarity: (cfg) => (t, p) => tf.neg(cosine(align(t, p), p, cfg.axis ?? -1)),
  BinaryCrossentropy: (cfg) => binaryCrossentropy(!!cfg.from_logits, cfg.label_smoothing ?? 0),
  CategoricalCrossentropy: (cfg) => categoricalCrossentropy(!!cfg.from_logits, cfg.label_smoothing ?? 0),
  SparseCategoricalCrossentropy: (cfg) => sparseCategoricalCrossentropy(!!cfg.from_logits),
};

/** Labels of the ignored class → 1 where counted, 0 where ignored, shaped like the loss values. */
function validOf(yTrue: tf.Tensor, values: tf.Tensor, ignoreClass: number): tf.Tensor {
  return tf.reshape(tf.cast(tf.notEqual(tf.cast(yTrue, 'float32'), ignoreClass), 'float32'), values.shape);
}

/**
 * Keras's ignore_class: ignored labels become class 0 and their predictions zeros before the
 * crossentropy, whose value there is then replaced by 0.
 */
function ignoring(loss: PerSampleLoss, ignoreClass: number): PerSampleLoss {
  return (yTrue, yPred) => {
    const labels = yTrue.rank === yPred.rank ? tf.squeeze(yTrue, [-1]) : yTrue;
    const valid = tf.cast(tf.notEqual(tf.cast(labels, 'float32'), ignoreClass), 'float32');
    const values = loss(tf.mul(tf.cast(labels, 'float32'), valid), tf.mul(yPred, tf.expandDims(valid, -1)));
    return tf.where(tf.cast(valid, 'bool'), values, tf.zerosLike(values));
  };
}

export function makeLoss(resolved: Resolved): Loss {
  const make = PER_SAMPLE[resolved.class_name];
  if (!make) throw new Error(`loss ${resolved.class_name} is not available in the engine`);
  const cfg = resolved.config;
  const loss: Loss = {
    className: resolved.class_name,
    reduction: cfg.reduction ?? 'sum_over_batch_size',
    perSample: make(cfg),
    onLogits: CROSSENTROPIES.has(resolved.class_name) && !cfg.from_logits ? make({ ...cfg, from_logits: true }) : undefined,
  };
  const ignoreClass = resolved.class_name === 'SparseCategoricalCrossentropy' && typeof cfg.ignore_class === 'number' ? cfg.ignore_class : undefined;
  if (ignoreClass === undefined) return loss;
  return {
    ...loss,
    perSample: ignoring(loss.perSample, ignoreClass),
    onLogits: loss.onLogits && ignoring(loss.onLogits, ignoreClass),
    validMask: (t, v) => validOf(t, v, ignoreClass),
  };
}

/** 0 where the divisor is 0, as Keras's divide_no_nan. */
const divNoNan = (a: tf.Tensor, b: tf.Tensor) => tf.where(tf.equal(b, 0), tf.zerosLike(a), tf.div(a, tf.where(tf.equal(b, 0), tf.onesLike(b), b)));

/** sample weights of shape (n,) next to values of shape (n, t, ...) get trailing axes, as Keras expands them. */
function toRank(w: tf.Tensor, rank: number): tf.Tensor {
  return w.rank < rank ? tf.reshape(w, [...w.shape, ...Array(rank - w.rank).fill(1)]) : w;
}

/**
 * Keras's reduce_weighted_values: the mask merged into the sample weights (for a mean, the counted
 * entries weigh total/valid), values times weights, then the loss's reduction.
 */
export function reduceLoss(loss: Loss, values: tf.Tensor, yTrue: tf.Tensor, sampleWeight: tf.Tensor | undefined): tf.Tensor {
  let weights = sampleWeight && toRank(sampleWeight, values.rank);
  if (loss.validMask) {
    const valid = loss.validMask(yTrue, values);
    const mean = loss.reduction === 'sum_over_batch_size' || loss.reduction === 'mean';
    const maskWeight = mean ? tf.mul(valid, divNoNan(tf.scalar(values.size), tf.sum(valid))) : valid;
    weights = weights ? tf.mul(weights, maskWeight) : maskWeight;
  }
  const weighted = weights ? tf.mul(values, weights) : values;
  const sum = tf.sum(weighted);
  if (loss.reduction === 'sum') return sum;
  if (loss.reduction === 'mean_with_sample_weight' && weights) return divNoNan(sum, tf.sum(weights));
  return tf.div(sum, values.size);
}

export function perSampleFunction(className: string, config: Record<string, any> = {}): PerSampleLoss {
  const make = PER_SAMPLE[className];
  if (!make) throw new Error(`no per-sample function for ${className}`);
  return make(config);
}
