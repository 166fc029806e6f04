/**
 * Training data as rows that are read when a batch needs them, so a fit on a dataset larger than
 * memory holds a few windows of it at a time. An array is either in memory (inline and random
 * data, tensors) or a stored .npy read with positioned reads (datasets/npy-rows.ts); the trainer
 * sees only this interface.
 */
import type * as tf from '@tensorflow/tfjs';
import type { DType, HostArray } from '../spec/arrays.ts';

export type HostValues = Float32Array | Int32Array;

/** Rows [begin, begin + count) of an array. */
export type Run = readonly [begin: number, count: number];

export interface ArrayRows {
  readonly dtype: DType;
  /** [rows, ...sample shape]. */
  readonly shape: readonly number[];
  /** Whether reads are views of values already in memory (then the whole array is one window). */
  readonly inMemory: boolean;
  /** The values of these runs of rows, concatenated in order. */
  read(runs: readonly Run[]): HostValues | Promise<HostValues>;
}

/** x, y and sample weights of a fit, evaluate or predict, in the model's input and output order. */
export interface DataRows {
  x: ArrayRows[];
  y: ArrayRows[];
  /** One weight per sample, or per output. */
  sampleWeight?: ArrayRows[];
}

export const rowCount = (a: ArrayRows) => a.shape[0] ?? 0;
/** Values per row. */
export const rowWidth = (a: ArrayRows) => a.shape.slice(1).reduce((x, y) => x * y, 1);
export const arraysOfRows = (d: DataRows): ArrayRows[] => [...d.x, ...d.y, ...(d.sampleWeight ?? [])];

const typed = (dtype: DType, length: number): HostValues => (dtype === 'int32' ? new Int32Array(length) : new Float32Array(length));

/** Rows of an array in memory: one run is a view (no copy), several are gathered. */
export class HostRows implements ArrayRows {
  readonly inMemory = true;
  readonly dtype: DType;
  readonly shape: readonly number[];
  private readonly values: HostValues;
  constructor(array: HostArray) {
    this.dtype = array.dtype;
    this.shape = array.shape.length ? array.shape : [1];
    this.values = array.values;
  }

  static fromTensor(t: tf.Tensor): HostRows {
    const dtype: DType = t.dtype === 'int32' ? 'int32' : 'float32';
    const values = t.dataSync();
    return new HostRows({ dtype, shape: t.shape, values: values instanceof Int32Array || values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>) });
  }

  read(runs: readonly Run[]): HostValues {
    const width = rowWidth(this);
    if (runs.length === 1) return this.values.subarray(runs[0][0] * width, (runs[0][0] + runs[0][1]) * width);
    const out = typed(this.dtype, runs.reduce((n, [, c]) => n + c, 0) * width);
    let at = 0;
    for (const [begin, count] of runs) {
      out.set(this.values.subarray(begin * width, (begin + count) * width), at);
      at += count * width;
    }
    return out;
  }
}

/** Rows [start, start + length) of another array: validation_split's two parts, as views. */
export class RowRange implements ArrayRows {
  readonly shape: readonly number[];
  constructor(private readonly source: ArrayRows, private readonly start: number, length: number) {
    this.shape = [length, ...source.shape.slice(1)];
  }
  get dtype() {
    return this.source.dtype;
  }
  get inMemory() {
    return this.source.inMemory;
  }
  read(runs: readonly Run[]) {
    return this.source.read(runs.map(([b, c]) => [b + this.start, c] as const));
  }
}

const then = <T, U>(v: T | Promise<T>, fn: (v: T) => U): U | Promise<U> => (v instanceof Promise ? v.then(fn) : fn(v));

/** Another array's rows in another dtype: inputs as the model's input dtype, sample weights as float32. */
export class CastRows implements ArrayRows {
  constructor(private readonly source: ArrayRows, readonly dtype: DType) {}
  get shape() {
    return this.source.shape;
  }
  get inMemory() {
    return this.source.inMemory;
  }
  read(runs: readonly Run[]) {
    return then(this.source.read(runs), (v) => (this.dtype === 'int32' ? Int32Array.from(v) : Float32Array.from(v)));
  }
}

/** An array in the given dtype: itself when it already is. */
export const castRows = (a: ArrayRows, dtype: DType): ArrayRows => (a.dtype === dtype ? a : new CastRows(a, dtype));

/** As np.round and tf.round: halves go to the even neighbour. */
export const roundHalfEven = (v: number) => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));

/**
 * Keras's class_weight as per-sample weights: cw[class of y_i], the class being y's argmax for
 * one-hot rows and round(y) for one label per row (classes not listed weigh 1).
 */
export class ClassWeightRows implements ArrayRows {
  readonly dtype = 'float32';
  readonly shape: readonly number[];
  constructor(private readonly y: ArrayRows, private readonly classWeight: Record<string, number>) {
    this.shape = [rowCount(y)];
  }
  get inMemory() {
    return this.y.inMemory;
  }
  read(runs: readonly Run[]) {
    const width = rowWidth(this.y);
    return then(this.y.read(runs), (labels) => {
      const out = new Float32Array(labels.length / width);
      for (let i = 0; i < out.length; i++) {
        let cls: number;
        if (width > 1) {
          cls = 0;
          for (let j = 1; j < width; j++) if (labels[i * width + j] > labels[i * width + cls]) cls = j;
        } else {
          cls = roundHalfEven(labels[i]);
        }
        out[i] = this.classWeight[String(cls)] ?? 1;
      }
      return out;
    });
  }
}

/** A dataset's tensors as rows in memory (copied to the host once). */
export function rowsOfTensors(d: { x: tf.Tensor[]; y: tf.Tensor[]; sampleWeight?: tf.Tensor[] }): DataRows {
  return { x: d.x.map(HostRows.fromTensor), y: d.y.map(HostRows.fromTensor), sampleWeight: d.sampleWeight?.map(HostRows.fromTensor) };
}
