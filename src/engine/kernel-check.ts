/**
 * A start-up check of the convolution kernels this process got. On some CPUs and VMs (measured:
 * an AMD EPYC VM whose cache topology oneDNN cannot read), TensorFlow 2.21's oneDNN computes the
 * input gradient of a 1x1 convolution with 512, 1024 or 2048 input channels 7-14% wrong, silently:
 * ResNet's and MobileNetV3's heads train on wrong gradients, in Keras as here. The check computes
 * that gradient for one such shape and compares it with the exact sum.
 */
import * as tf from '@tensorflow/tfjs';

const CHANNELS = 1024;
const FILTERS = 10;

/** The relative error of the 1x1-convolution input gradient (1024 -> 10 channels): ~1e-7 when right. */
export function pointwiseConvGradError(): number {
  // Deterministic values of both signs and several magnitudes.
  const x = Float32Array.from({ length: CHANNELS }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));
  const w = Float32Array.from({ length: CHANNELS * FILTERS }, (_, i) => Math.cos(i * 0.11) * 0.05);
  const dy = Float32Array.from({ length: FILTERS }, (_, i) => i - 4.5);
  const got = tf.tidy(() => {
    const kernel = tf.tensor4d(w, [1, 1, CHANNELS, FILTERS]);
    const weights = tf.tensor4d(dy, [1, 1, 1, FILTERS]);
    const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(input as tf.Tensor4D, kernel, 1, 'valid'), weights)));
    return grad(tf.tensor4d(x, [1, 1, 1, CHANNELS])).dataSync();
  });
  let diff = 0;
  let norm = 0;
  for (let c = 0; c < CHANNELS; c++) {
    let exact = 0;
    for (let f = 0; f < FILTERS; f++) exact += w[c * FILTERS + f] * dy[f];
    diff += (got[c] - exact) ** 2;
    norm += exact ** 2;
  }
  return Math.sqrt(diff / norm);
}
