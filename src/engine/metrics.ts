/**
 * Keras metrics as streaming accumulators. State stays in tensors so a training step never waits
 * for the device; values are read once, when the epoch's logs are built.
 */
import * as tf from '@tensorflow/tfjs';
import { METRICS, type Resolved } from '../spec/catalog.ts';
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
    let size = 0;
    const next = tf.tidy(() => {
      const values = this.fn(yTrue, yPred);
      size = values.size;
      return tf.add(this.total, tf.sum(tf.cast(values, 'float32')));
    });
    this.total.dispose();
    this.total = tf.keep(next);
    this.inTensor = true;
    // Keras's Mean counts values: one per sample, or one per timestep of a sequence output.
    this.count += size;
  }

  /** [sum, number of values]. */
  partial(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
    const values = this.fn(yTrue, yPred);
    return tf.stack([tf.sum(tf.cast(values, 'float32')), tf.scalar(values.size)]);
  }

  addPartial(values: ArrayLike<number>): void {
    const value = values[0];
    // Carry on the sum eager steps left in the tensor, in the order Keras adds.
    if (this.inTensor) {
      this.hostTotal = Math.fround(this.hostTotal + this.total.dataSync()[0]);
      this.total.dispose();
      this.total = tf.keep(tf.scalar(0));
      this.inTensor = false;
    }
    this.hostTotal = Math.fround(this.hostTotal + value);
    this.count += values[1];
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

/** Keras's NEG_INF: predictions outside the top k become this before thresholding. */
const NEG_INF = -1e10;

export interface ConfusionOptions {
  thresholds: number[];
  /** AUC multi_label: counts per label (the last axis), an AUC per label, then their mean. */
  multiLabel?: boolean;
  /** AUC from_logits: a sigmoid first. */
  fromLogits?: boolean;
  /** Precision/Recall top_k: only the k largest predictions of a row can be positive. */
  topK?: number;
  /** Precision/Recall class_id: only this column of the last axis counts. */
  classId?: number;
}

type Counts = { tp: Float32Array; fp: Float32Array; tn: Float32Array; fn: Float32Array };

/**
 * Confusion counts over thresholds (and labels, for multi_label), accumulated over the epoch
 * (keras.metrics AUC, Precision, Recall): a prediction counts as positive iff it is strictly above
 * the threshold; a label is positive iff it is not 0. Counts are laid out [threshold][label].
 */
class ConfusionMetric implements Metric {
  private readonly thresholds: tf.Tensor;
  private counts?: { tp: tf.Tensor; fp: tf.Tensor; tn: tf.Tensor; fn: tf.Tensor };
  private labels = 1;
  constructor(
    public name: string,
    private readonly options: ConfusionOptions,
    private readonly summarize: (c: Counts, labels: number) => number,
  ) {
    this.thresholds = tf.keep(tf.tensor1d(options.thresholds));
  }

  /** This batch's counts per threshold and label, as tp, fp, tn, fn. */
  private batchCounts(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor[] {
    const { fromLogits, topK, classId, multiLabel } = this.options;
    let pred = f32(yPred);
    let label = f32(yTrue);
    if (label.rank === pred.rank - 1) label = tf.expandDims(label, -1);
    if (fromLogits) pred = tf.sigmoid(pred);
    if (topK !== undefined) {
      const width = pred.shape[pred.rank - 1]!;
      const { indices } = tf.topk(pred, Math.min(topK, width));
      const mask = tf.sum(tf.oneHot(indices, width), -2);
      pred = tf.add(tf.mul(pred, mask), tf.mul(NEG_INF, tf.sub(1, mask)));
    }
    if (classId !== undefined) {
      const last = pred.rank - 1;
      const column = (t: tf.Tensor) => tf.squeeze(tf.slice(t, [...Array(last).fill(0), classId], [...t.shape.slice(0, last), 1]), [last]);
      pred = column(pred);
      label = column(label);
    }
    const labels = multiLabel ? pred.shape[pred.rank - 1]! : 1;
    this.labels = labels;
    const p = tf.reshape(pred, [-1, 1, labels]);
    const l = tf.reshape(f32(tf.notEqual(label, 0)), [-1, 1, labels]);
    const positive = f32(tf.greater(p, tf.reshape(this.thresholds, [1, -1, 1])));
    const negative = tf.sub(1, positive);
    const notL = tf.sub(1, l);
    return [tf.mul(positive, l), tf.mul(positive, notL), tf.mul(negative, notL), tf.mul(negative, l)].map((t) => tf.reshape(tf.sum(t, 0), [-1]));
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
    const t = this.thresholds.size * this.labels;
    const part = (k: number, tensor?: tf.Tensor) => {
      const out = new Float32Array(t);
      const fromTensor = tensor?.dataSync();
      for (let i = 0; i < t; i++) out[i] = Math.fround((fromTensor?.[i] ?? 0) + (this.hostCounts?.[k * t + i] ?? 0));
      return out;
    };
    const c = this.counts;
    return this.summarize({ tp: part(0, c?.tp), fp: part(1, c?.fp), tn: part(2, c?.tn), fn: part(3, c?.fn) }, this.labels);
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

/** Counts of one label across thresholds. */
function ofLabel(c: Counts, labels: number, label: number, n: number): Counts {
  const pick = (a: Float32Array) => Float32Array.from({ length: n }, (_, i) => a[i * labels + label]);
  return { tp: pick(c.tp), fp: pick(c.fp), tn: pick(c.tn), fn: pick(c.fn) };
}

/** Keras's interpolate_pr_auc (Davis & Goadrich 2006): precision interpolated between thresholds. */
function interpolatedPrAuc({ tp, fp, fn }: Counts, n: number): number {
  let sum = 0;
  for (let i = 0; i < n - 1; i++) {
    const dtp = tp[i] - tp[i + 1];
    const p0 = tp[i] + fp[i];
    const p1 = tp[i + 1] + fp[i + 1];
    const slope = divNoNan(dtp, Math.max(p0 - p1, 0));
    const intercept = tp[i + 1] - slope * p1;
    const ratio = p0 > 0 && p1 > 0 ? divNoNan(p0, Math.max(p1, 0)) : 1;
    sum += divNoNan(slope * (dtp + intercept * Math.log(ratio)), Math.max(tp[i + 1] + fn[i + 1], 0));
  }
  return sum;
}

/** Keras's AUC.result: a Riemann sum over num_thresholds evenly spaced thresholds, per label, then the mean. */
function auc(name: string, cfg: Record<string, any>): Metric {
  const n = cfg.num_thresholds ?? 200;
  const eps = 1e-7;
  const thresholds = [0 - eps, ...Array.from({ length: n - 2 }, (_, i) => (i + 1) / (n - 1)), 1 + eps];
  const curve = cfg.curve ?? 'ROC';
  const summation = cfg.summation_method ?? 'interpolation';
  const one = (c: Counts): number => {
    if (curve === 'PR' && summation === 'interpolation') return interpolatedPrAuc(c, n);
    const recall = Array.from(c.tp, (v, i) => divNoNan(v, v + c.fn[i]));
    const [x, y] = curve === 'ROC' ? [Array.from(c.fp, (v, i) => divNoNan(v, v + c.tn[i])), recall] : [recall, Array.from(c.tp, (v, i) => divNoNan(v, v + c.fp[i]))];
    let sum = 0;
    for (let i = 0; i < n - 1; i++) {
      const height = summation === 'minoring' ? Math.min(y[i], y[i + 1]) : summation === 'majoring' ? Math.max(y[i], y[i + 1]) : (y[i] + y[i + 1]) / 2;
      sum += (x[i] - x[i + 1]) * height;
    }
    return sum;
  };
  const options = { thresholds, multiLabel: !!cfg.multi_label, fromLogits: !!cfg.from_logits };
  return new ConfusionMetric(name, options, (c, labels) => {
    let total = 0;
    for (let l = 0; l < labels; l++) total += one(ofLabel(c, labels, l, n));
    return total / labels;
  });
}

/** Precision and Recall options: one threshold (0.5, or NEG_INF with top_k, as Keras), top_k, class_id. */
function confusionOptions(cfg: Record<string, any>): ConfusionOptions {
  const given = Array.isArray(cfg.thresholds) ? cfg.thresholds[0] : cfg.thresholds;
  const topK = cfg.top_k ?? undefined;
  return { thresholds: [given ?? (topK === undefined ? 0.5 : NEG_INF)], topK, classId: cfg.class_id ?? undefined };
}

const CONFUSION: Record<string, (name: string, cfg: Record<string, any>) => Metric> = {
  AUC: auc,
  Precision: (name, cfg) => new ConfusionMetric(name, confusionOptions(cfg), ({ tp, fp }) => divNoNan(tp[0], tp[0] + fp[0])),
  Recall: (name, cfg) => new ConfusionMetric(name, confusionOptions(cfg), ({ tp, fn }) => divNoNan(tp[0], tp[0] + fn[0])),
};

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
  const name = resolved.config.name ?? resolved.alias ?? (METRICS.classes[className]?.keras.name as string | undefined) ?? className;
  if (CONFUSION[className]) return CONFUSION[className](name, resolved.config);
  const make = VALUE[className];
  if (!make) throw new Error(`metric ${className} is not available in the engine`);
  const finish = className === 'RootMeanSquaredError' ? Math.sqrt : undefined;
  return new MeanMetric(name, make(resolved.config), finish);
}
