import * as tf from '@tensorflow/tfjs';
import type { HostArray } from '../spec/arrays.ts';

/** Host array → tensor. Inputs of float models are float32 whatever the JSON looked like. */
export function toTensor(a: HostArray, dtype: 'float32' | 'int32' = a.dtype): tf.Tensor {
  const values = dtype === a.dtype ? a.values : dtype === 'float32' ? Float32Array.from(a.values) : Int32Array.from(a.values);
  return tf.tensor(values, a.shape, dtype);
}
