/**
 * Keras metrics as streaming accumulators. State stays in tensors so a training step never waits
 * for the device; values are read once, when the epoch's logs are built.
 */
import * as tf from '@tensorflow/tfjs';
import type { Resolved } from '../spec/catalog.ts';
import { perSampleFunction } from './losses.ts';

export interface Metric {
  name: string;
  update(yTrue: tf.Tensor, yPred: tf.Tensor): void;
  result(): number;
  reset(): void;
}

/** Mean over samples of a per-sample value, as keras.metrics.MeanMetricWrapper. */
export class MeanMetric implements Metric {
  private total: tf.Tensor = tf.keep(tf.scalar(0));
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
    this.count += yPred.shape[0] ?? 0;
  }

  result(): number {
    return this.count === 0 ? 0 : this.finish(this.total.dataSync()[0] / this.count);
  }

  reset(): void {
    this.total.dispose();
    this.total = tf.keep(tf.scalar(0));
    this.count = 0;
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
  const make = VALUE[className];
  if (!make) throw new Error(`metric ${className} is not available in the engine`);
  const name = resolved.config.name ?? resolved.alias ?? snake(className);
  const finish = className === 'RootMeanSquaredError' ? Math.sqrt : undefined;
  return new MeanMetric(name, make(resolved.config), finish);
}
