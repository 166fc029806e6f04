import * as tf from '@tensorflow/tfjs-node';
const x = tf.randomNormal([1, 3, 3, 1]);
const w = tf.randomNormal([1, 6, 6, 1]);
const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.image.resizeBilinear(t as tf.Tensor4D, [6, 6], false, true), w));
const g = tf.grad(f)(x);
const eps = 1e-2; const xs = x.arraySync() as number[][][][]; const num: number[] = [];
for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
  const p = xs.map(a => a.map(b => b.map(c => [...c]))); p[0][i][j][0] += eps;
  const m = xs.map(a => a.map(b => b.map(c => [...c]))); m[0][i][j][0] -= eps;
  num.push((f(tf.tensor(p)).dataSync()[0] - f(tf.tensor(m)).dataSync()[0]) / (2 * eps));
}
console.log(Array.from(g.dataSync()).map(v => v.toFixed(4)).join(' '));
console.log(num.map(v => v.toFixed(4)).join(' '));
