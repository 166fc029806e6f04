/**
 * tf.image.resize (half-pixel centers, no antialiasing) as matrix products along the height, then
 * the width axis: tfjs's resizeBilinear gradient ignores half-pixel centers, and a matrix product's
 * gradient is the transposed product, which is what TensorFlow's resize gradients sum up. The
 * weights follow TensorFlow's kernels in float32: scale = in / out, source = (o + 0.5) * scale.
 */
import type * as TF from '@tensorflow/tfjs';
import type { BuildContext } from './layer-def.ts';

export type ResizeMethod = 'bilinear' | 'nearest';

const f32 = Math.fround;

/** (out, n) weights of ResizeBilinear: lerp between floor(source - 0.5) and the next pixel, clamped to the edges. */
function bilinearWeights(n: number, out: number): number[][] {
  const scale = f32(n / out);
  return Array.from({ length: out }, (_, o) => {
    const row = new Array(n).fill(0);
    const src = f32(f32(f32(o + 0.5) * scale) - 0.5);
    const floor = Math.floor(src);
    const lo = Math.min(Math.max(floor, 0), n - 1);
    const hi = Math.min(Math.ceil(src), n - 1);
    const lerp = f32(src - floor);
    row[lo] += 1 - lerp;
    row[Math.max(hi, 0)] += lerp;
    return row;
  });
}

/** (out, n) one-hot rows of ResizeNearestNeighbor: pixel min(floor((o + 0.5) * scale), n - 1). */
function nearestWeights(n: number, out: number): number[][] {
  const scale = f32(n / out);
  return Array.from({ length: out }, (_, o) => {
    const row = new Array(n).fill(0);
    row[Math.min(Math.floor(f32(f32(o + 0.5) * scale)), n - 1)] = 1;
    return row;
  });
}

/**
 * A resize of (batch, height, width, channels) images to outSize(height, width); the weights depend
 * on the sizes only, so they are made once per size, not every batch.
 */
export function resizer({ tf, constant }: BuildContext, method: ResizeMethod, outSize: (h: number, w: number) => [number, number]): (x: TF.Tensor) => TF.Tensor {
  const weights = new Map<string, () => TF.Tensor>();
  const weightsFor = (n: number, out: number) => {
    const key = `${n}:${out}`;
    if (!weights.has(key)) weights.set(key, constant(() => tf.tensor2d(method === 'nearest' ? nearestWeights(n, out) : bilinearWeights(n, out))));
    return weights.get(key)!();
  };
  const alongAxis = (t: TF.Tensor, perm: number[], inverse: number[], out: number) => {
    const moved = tf.transpose(t, perm);
    const lead = moved.shape.slice(0, 3) as number[];
    const n = moved.shape[3]!;
    if (n === out) return t;
    const m = weightsFor(n, out);
    const y = tf.matMul(tf.reshape(moved, [-1, n]), m, false, true);
    return tf.transpose(tf.reshape(y, [...lead, out]), inverse);
  };
  return (x) => {
    const [h, w] = outSize(x.shape[1]!, x.shape[2]!);
    return alongAxis(alongAxis(x, [0, 2, 3, 1], [0, 3, 1, 2], h), [0, 1, 3, 2], [0, 1, 3, 2], w);
  };
}
