/**
 * Keras metrics as streaming accumulators. State stays in tensors so a training step never waits
 * for the device; values are read once, when the epoch's logs are built.
 */
import * as tf from '@tensorflow/tfjs';
import type { Resolved } from '../spec/catalog.ts';
import { cosine, perSampleFunction } from './losses.ts';

export interface Metric {
  name: string;
  update(yTrue: tf.Tensor, yPred: tf.Tensor): void;
  /**
   * For a traced (graph) step: the batch's contribution to the metric's state as one tensor
   * (a sum, or confusion counts), which the host adds with `addPartial`.
   */
  partial?(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor;
  addPartial?(values: ArrayLike<number>, samples: number): void;
  result(): number;
  reset(): void;
  dispose(): void;
}

/** Mean over samples of a per-sample value, as keras.metrics.MeanMetricWrapper. */
export class MeanMetric implements Metric {
  private total: tf.Tensor = tf.keep(tf.scalar(0));
  /** Sums from graph steps, accumulated in float32 as Keras's metric variables are. */
  private hostTotal = 0;
  /** Whether eager steps have added to `total` since the host took it over. */
  private inTensor = false;
  private count = 0;
  constructor(
    readonly name: string,
    private readonly fn: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor,
    private readonly finish: (mean: number) => number = (m) => m,
  ) {}

  update(yTrue: tf.Tensor, yPred: tf.Tensor): void {
    const next = tf.tidy(() => tf.add(this.total, tf.sum(tf.cast(this.fn(yTrue, yPred), 'float32'))));
    this.total.dispose();
    this.total = tf.keep(next);
    this.inTensor = true;
    this.count += yPred.shape[0] ?? 0;
  }

  partial(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return tf.sum(tf.cast(this.fn(yTrue, yPred), 'float32'));
  }

  addPartial(values: ArrayLike<number>, samples: number): void {
    const value = values[0];
    // Carry on the sum eager steps left in the tensor, in the order Keras adds.
    if (this.inTensor) {
      this.hostTotal = Math.fround(this.hostTotal + this.total.dataSync()[0]);
      this.total.dispose();
      this.total = tf.keep(tf.scalar(0));
      this.inTensor = false;
    }
    this.hostTotal = Math.fround(this.hostTotal + value);
    this.count += samples;
  }

  result(): number {
    return this.count === 0 ? 0 : this.finish(Math.fround(this.total.dataSync()[0] + this.hostTotal) / this.count);
  }

  reset(): void {
    this.total.dispose();
    this.total = tf.keep(tf.scalar(0));
    this.hostTotal = 0;
    this.inTensor = false;
    this.count = 0;
  }

  dispose(): void {
    this.total.dispose();
  }
}

const f32 = (t: tf.Tensor) => (t.dtype === 'float32' ? t : tf.cast(t, 'float32'));
const squeezeLast = (t: tf.Tensor, predRank: number) => (t.rank === predRank && t.shape[t.rank - 1] === 1 ? tf.squeeze(t, [-1]) : t);

const VALUE: Record<string, (cfg: Record<string, any>) => (t: tf.Tensor, p: tf.Tensor) => tf.Tensor> = {
  BinaryAccuracy: (cfg) => (t, p) => {
    const yt = t.rank === p.rank - 1 ? tf.expandDims(f32(t), -1) : f32(t);
    return tf.mean(f32(tf.equal(yt, f32(tf.greater(p, cfg.threshold ?? 0.5)))), -1);
  },
  CategoricalAccuracy: () => (t, p) => f32(tf.equal(tf.argMax(t, -1), tf.argMax(p, -1))),
  SparseCategoricalAccuracy: () => (t, p) => f32(tf.equal(tf.cast(squeezeLast(t, p.rank), 'int32'), tf.argMax(p, -1))),
  TopKCategoricalAccuracy: (cfg) => (t, p) => f32(inTopK(p, tf.argMax(t, -1), cfg.k ?? 5)),
  SparseTopKCategoricalAccuracy: (cfg) => (t, p) => f32(inTopK(p, tf.cast(squeezeLast(t, p.rank), 'int32'), cfg.k ?? 5)),
  MeanSquaredError: () => perSampleFunction('MeanSquaredError'),
  MeanAbsoluteError: () => perSampleFunction('MeanAbsoluteError'),
  MeanAbsolutePercentageError: () => perSampleFunction('MeanAbsolutePercentageError'),
  MeanSquaredLogarithmicError: () => perSampleFunction('MeanSquaredLogarithmicError'),
  BinaryCrossentropy: (cfg) => perSampleFunction('BinaryCrossentropy', cfg),
  CategoricalCrossentropy: (cfg) => perSampleFunction('CategoricalCrossentropy', cfg),
  SparseCategoricalCrossentropy: (cfg) => perSampleFunction('SparseCategoricalCrossentropy', cfg),
  RootMeanSquaredError: () => perSampleFunction('MeanSquaredError'),
  Accuracy: () => (t, p) => tf.mean(f32(tf.equal(f32(t.rank === p.rank - 1 ? tf.expandDims(t, -1) : t), f32(p))), -1),
  Hinge: () => perSampleFunction('Hinge'),
  SquaredHinge: () => perSampleFunction('SquaredHinge'),
  CategoricalHinge: () => perSampleFunction('CategoricalHinge'),
  KLDivergence: () => perSampleFunction('KLDivergence'),
  Poisson: () => perSampleFunction('Poisson'),
  LogCoshError: () => perSampleFunction('LogCosh'),
  CosineSimilarity: (cfg) => (t, p) => cosine(f32(t), p, cfg.axis ?? -1),
};

/**
 * Confusion counts over thresholds, accumulated over the epoch (keras.metrics AUC, Precision,
 * Recall): a prediction counts as positive iff it is strictly above the threshold.
 */
class ConfusionMetric implements Metric {
  private readonly thresholds: tf.Tensor;
  private counts?: { tp: tf.Tensor; fp: tf.Tensor; tn: tf.Tensor; fn: tf.Tensor };
  constructor(
    public name: string,
    thresholds: number[],
    private readonly summarize: (c: { tp: Float32Array; fp: Float32Array; tn: Float32Array; fn: Float32Array }) => number,
  ) {
    this.thresholds = tf.keep(tf.tensor1d(thresholds));
  }

  /** This batch's counts per threshold, as tp, fp, tn, fn. */
  private batchCounts(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor[] {
    const pred = tf.reshape(f32(yPred), [-1, 1]);
    const label = tf.reshape(f32(tf.notEqual(f32(yTrue), 0)), [-1, 1]);
    const positive = f32(tf.greater(pred, tf.reshape(this.thresholds, [1, -1])));
    const negative = tf.sub(1, positive);
    return [tf.mul(positive, label), tf.mul(positive, tf.sub(1, label)), tf.mul(negative, tf.sub(1, label)), tf.mul(negative, label)].map((t) => tf.sum(t, 0));
  }

  update(yTrue: tf.Tensor, yPred: tf.Tensor): void {
    const next = tf.tidy(() => {
      const [tp, fp, tn, fn] = this.batchCounts(yTrue, yPred);
      const add = (old: tf.Tensor | undefined, t: tf.Tensor) => (old ? tf.add(old, t) : t);
      return { tp: add(this.counts?.tp, tp), fp: add(this.counts?.fp, fp), tn: add(this.counts?.tn, tn), fn: add(this.counts?.fn, fn) };
    });
    if (this.counts) tf.dispose(Object.values(this.counts));
    for (const t of Object.values(next)) tf.keep(t);
    this.counts = next;
  }

  partial(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    return tf.concat(this.batchCounts(yTrue, yPred));
  }

  addPartial(values: ArrayLike<number>): void {
    this.hostCounts ??= new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) this.hostCounts[i] = Math.fround(this.hostCounts[i] + values[i]);
  }

  result(): number {
    if (!this.counts && !this.hostCounts) return 0;
    const t = this.thresholds.size;
    const part = (k: number, tensor?: tf.Tensor) => {
      const out = new Float32Array(t);
      const fromTensor = tensor?.dataSync();
      for (let i = 0; i < t; i++) out[i] = Math.fround((fromTensor?.[i] ?? 0) + (this.hostCounts?.[k * t + i] ?? 0));
      return out;
    };
    const c = this.counts;
    return this.summarize({ tp: part(0, c?.tp), fp: part(1, c?.fp), tn: part(2, c?.tn), fn: part(3, c?.fn) });
  }

  reset(): void {
    if (this.counts) tf.dispose(Object.values(this.counts));
    this.counts = undefined;
    this.hostCounts = undefined;
  }

  /** Counts from graph steps (tp, fp, tn, fn per threshold, concatenated). */
  private hostCounts?: Float32Array;

  dispose(): void {
    this.reset();
    this.thresholds.dispose();
  }
}

const divNoNan = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** ROC AUC by Keras's interpolated Riemann sum over num_thresholds evenly spaced thresholds. */
function auc(name: string, cfg: Record<string, any>): Metric {
  const n = cfg.num_thresholds ?? 200;
  const eps = 1e-7;
  const thresholds = [0 - eps, ...Array.from({ length: n - 2 }, (_, i) => (i + 1) / (n - 1)), 1 + eps];
  if ((cfg.curve ?? 'ROC') !== 'ROC') throw new Error('AUC: only curve "ROC" is supported');
  return new ConfusionMetric(name, thresholds, ({ tp, fp, tn, fn }) => {
    const tpr = Array.from(tp, (v, i) => divNoNan(v, v + fn[i]));
    const fpr = Array.from(fp, (v, i) => divNoNan(v, v + tn[i]));
    let sum = 0;
    for (let i = 0; i < n - 1; i++) sum += (fpr[i] - fpr[i + 1]) * ((tpr[i] + tpr[i + 1]) / 2);
    return sum;
  });
}

const CONFUSION: Record<string, (name: string, cfg: Record<string, any>) => Metric> = {
  AUC: auc,
  Precision: (name, cfg) => new ConfusionMetric(name, [cfg.thresholds ?? 0.5], ({ tp, fp }) => divNoNan(tp[0], tp[0] + fp[0])),
  Recall: (name, cfg) => new ConfusionMetric(name, [cfg.thresholds ?? 0.5], ({ tp, fn }) => divNoNan(tp[0], tp[0] + fn[0])),
};

/** Default metric names of Keras classes that are not simply snake_case of the class. */
const DEFAULT_NAMES: Record<string, string> = { LogCoshError: 'logcosh', KLDivergence: 'kl_divergence', AUC: 'auc', RootMeanSquaredError: 'root_mean_squared_error' };

/** Whether each row's target class is among the k largest predictions (synchronous, unlike tf.inTopKAsync). */
function inTopK(pred: tf.Tensor, target: tf.Tensor, k: number): tf.Tensor {
  const { values } = tf.topk(pred, Math.min(k, pred.shape[pred.rank - 1]!));
  const kth = tf.min(values, -1, true);
  const targetScore = tf.sum(tf.mul(pred, tf.oneHot(target.flatten(), pred.shape[pred.rank - 1]!).reshape(pred.shape)), -1, true);
  return tf.squeeze(tf.greaterEqual(targetScore, kth), [-1]);
}

const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** Keras resolves 'accuracy'/'acc' from the shapes of y_true and y_pred. */
export function resolveAccuracy(yTrueShape: number[], yPredShape: number[]): string {
  const predLast = yPredShape[yPredShape.length - 1];
  if (predLast === 1) return 'BinaryAccuracy';
  const trueLast = yTrueShape[yTrueShape.length - 1];
  if (yTrueShape.length < yPredShape.length || (trueLast === 1 && predLast > 1)) return 'SparseCategoricalAccuracy';
  return 'CategoricalAccuracy';
}

export function makeMetric(resolved: Resolved, yTrueShape: number[], yPredShape: number[]): Metric {
  const className = resolved.class_name === 'accuracy' ? resolveAccuracy(yTrueShape, yPredShape) : resolved.class_name;
  const name = resolved.config.name ?? resolved.alias ?? DEFAULT_NAMES[className] ?? snake(className);
  if (CONFUSION[className]) return CONFUSION[className](name, resolved.config);
  const make = VALUE[className];
  if (!make) throw new Error(`metric ${className} is not available in the engine`);
  const finish = className === 'RootMeanSquaredError' ? Math.sqrt : undefined;
  return new MeanMetric(name, make(resolved.config), finish);
}
