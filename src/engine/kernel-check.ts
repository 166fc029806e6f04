/**
 * A start-up check of the convolution kernels this process got. On some CPUs and VMs (measured:
 * an AMD EPYC VM whose cache topology oneDNN cannot read), TensorFlow 2.21's oneDNN computes the
 * input gradient of 1x1 convolutions wrong, silently: 7-14% off with its AVX-512 kernels for 512,
 * 1024 or 2048 input channels, 25% off with its AVX2 kernels for 112 -> 1280 channels. ResNet's,
 * MobileNetV2's and MobileNetV3's heads then train on wrong gradients, in Keras as here. The
 * check computes that gradient for those shapes and compares it with the exact sums.
 */
import * as tf from '@tensorflow/tfjs';

/** [input channels, filters] of 1x1 convolutions on a 1x1 image that a broken oneDNN gets wrong. */
const SHAPES: Array<[number, number]> = [
  [1024, 10],
  [112, 1280],
];

/** The worst relative error of those 1x1-convolution input gradients: ~1e-7 when right. */
export function pointwiseConvGradError(): number {
  return Math.max(...SHAPES.map(([channels, filters]) => gradError(channels, filters)));
}

function gradError(channels: number, filters: number): number {
  // Deterministic values of both signs and several magnitudes.
  const x = Float32Array.from({ length: channels }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));
  const w = Float32Array.from({ length: channels * filters }, (_, i) => Math.cos(i * 0.11) * 0.05);
  const dy = Float32Array.from({ length: filters }, (_, i) => Math.sin(i * 0.53) + (i % 3) - 1);
  const got = tf.tidy(() => {
    const kernel = tf.tensor4d(w, [1, 1, channels, filters]);
    const weights = tf.tensor4d(dy, [1, 1, 1, filters]);
    const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(input as tf.Tensor4D, kernel, 1, 'valid'), weights)));
    return grad(tf.tensor4d(x, [1, 1, 1, channels])).dataSync();
  });
  let diff = 0;
  let norm = 0;
  for (let c = 0; c < channels; c++) {
    let exact = 0;
    for (let f = 0; f < filters; f++) exact += w[c * filters + f] * dy[f];
    diff += (got[c] - exact) ** 2;
    norm += exact ** 2;
  }
  return Math.sqrt(diff / norm);
}
