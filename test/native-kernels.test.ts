/**
 * The TensorFlow-kernel fast paths (native-kernels.ts) against tfjs's generic ops on the same
 * backend: values and gradients must agree, or training would silently drift from Keras.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.ts';
import { elementwise, nativeActivation, nativeBatchNormTraining, nativeConv2d, nativeDense, nativeDropout, nativeSoftmaxCrossEntropy, type NativeActivation } from '../src/engine/native-kernels.ts';

const ACT: Record<NativeActivation, (x: tf.Tensor) => tf.Tensor> = { linear: (x) => x, relu: tf.relu, sigmoid: tf.sigmoid, tanh: tf.tanh };

function assertClose(got: tf.Tensor, want: tf.Tensor, what: string, tol = 1e-5): void {
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  const g = got.dataSync();
  const w = want.dataSync();
  let worst = 0;
  for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(g[i] - w[i]) / Math.max(1, Math.abs(w[i])));
  assert.ok(worst <= tol, `${what}: worst difference ${worst}`);
}

/** Value and gradients (w.r.t. every input) of sum(f(...) * probe), the probe making dy non-uniform. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], probe: tf.Tensor) {
  const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), probe)))(inputs);
  return { value, grads };
}

describe('native TensorFlow kernels match tfjs ops', () => {
  let backend = '';
  before(async () => {
    backend = await initBackend();
  });

  test('they serve on tfjs-node and step aside elsewhere', () => {
    const x = tf.ones([2, 3]);
    const out = nativeDense(x, tf.ones([3, 4]), undefined, 'relu');
    assert.equal(out !== undefined, backend === 'tensorflow');
    // A rank-3 input is not a batch of vectors: the generic path must take it.
    assert.equal(nativeDense(tf.ones([2, 3, 3]), tf.ones([3, 4]), undefined, 'relu'), undefined);
  });

  for (const act of Object.keys(ACT) as NativeActivation[]) {
    for (const withBias of [true, false]) {
      test(`Dense ${act}${withBias ? ' + bias' : ''}: value and gradients`, (t) => {
        if (backend !== 'tensorflow') return t.skip('tfjs-node is not loaded');
        tf.tidy(() => {
          const x = tf.randomNormal([5, 7], 0, 1, 'float32', 1);
          const w = tf.randomNormal([7, 3], 0, 1, 'float32', 2);
          const b = tf.randomNormal([3], 0, 1, 'float32', 3);
          const probe = tf.randomNormal([5, 3], 0, 1, 'float32', 4);
          const inputs = withBias ? [x, w, b] : [x, w];
          const native = valueAndGrads((...a) => nativeDense(a[0], a[1], a[2], act)!, inputs, probe);
          const generic = valueAndGrads((...a) => ACT[act](a[2] ? tf.add(tf.matMul(a[0], a[1]), a[2]) : tf.matMul(a[0], a[1])), inputs, probe);
          assertClose(native.value, generic.value, 'value');
          native.grads.forEach((g, i) => assertClose(g, generic.grads[i], `gradient ${i}`));
        });
      });
    }
  }

  for (const act of ['relu', 'sigmoid', 'tanh'] as const) {
    test(`Activation ${act} alone: value and gradient`, (t) => {
      if (backend !== 'tensorflow') return t.skip('tfjs-node is not loaded');
      tf.tidy(() => {
        // Rank 4 as after a BatchNormalization, with negatives so relu's gradient masks some.
        const x = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 11);
        const probe = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 12);
        const native = valueAndGrads((xs) => nativeActivation(xs, act)!, [x], probe);
        const generic = valueAndGrads(ACT[act], [x], probe);
        assertClose(native.value, generic.value, 'value');
        assertClose(native.grads[0], generic.grads[0], 'gradient');
      });
    });
  }

  for (const [padding, strides, dilations] of [
    ['valid', [1, 1], [1, 1]],
    ['same', [2, 2], [1, 1]],
  ] as const) {
    test(`Conv2D ${padding} strides ${strides} dilations ${dilations}: value and gradients`, (t) => {
      if (backend !== 'tensorflow') return t.skip('tfjs-node is not loaded');
      tf.tidy(() => {
        const x = tf.randomNormal([2, 9, 8, 3], 0, 1, 'float32', 5);
        const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 6);
        const b = tf.randomNormal([4], 0, 1, 'float32', 7);
        const config = { strides: [...strides] as [number, number], padding, dilations: [...dilations] as [number, number] };
        const generic = (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => tf.relu(tf.add(tf.conv2d(xs as tf.Tensor4D, ws as tf.Tensor4D, config.strides, padding, 'NHWC', config.dilations), bs));
        const shape = (generic(x, w, b) as tf.Tensor).shape;
        const probe = tf.randomNormal(shape, 0, 1, 'float32', 8);
        const native = valueAndGrads((xs, ws, bs) => nativeConv2d(xs, ws, bs, 'relu', config)!, [x, w, b], probe);
        const want = valueAndGrads(generic, [x, w, b], probe);
        assertClose(native.value, want.value, 'value', 1e-4);
        native.grads.forEach((g, i) => assertClose(g, want.grads[i], `gradient ${i}`, 1e-4));
      });
    });
  }

  test('a dilated Conv2D takes the generic path (TensorFlow has no dilated CPU backprop kernel)', () => {
    assert.equal(nativeConv2d(tf.ones([1, 5, 5, 1]), tf.ones([2, 2, 1, 1]), undefined, 'relu', { strides: [1, 1], padding: 'valid', dilations: [2, 2] }), undefined);
  });

  for (const sparse of [true, false]) {
    test(`${sparse ? 'sparse ' : ''}softmax crossentropy from logits: value and gradient`, (t) => {
      if (backend !== 'tensorflow') return t.skip('tfjs-node is not loaded');
      tf.tidy(() => {
        const logits = tf.randomNormal([6, 4], 0, 2, 'float32', 9);
        const classes = tf.tensor1d([0, 3, 1, 2, 3, 0], 'int32');
        const labels = sparse ? classes : tf.oneHot(classes, 4).toFloat();
        const probe = tf.randomNormal([6], 0, 1, 'float32', 10);
        const native = valueAndGrads((l) => nativeSoftmaxCrossEntropy(labels, l, sparse)!, [logits], probe);
        const generic = valueAndGrads((l) => tf.neg(tf.sum(tf.mul(tf.oneHot(classes, 4), tf.logSoftmax(l)), -1)), [logits], probe);
        assertClose(native.value, generic.value, 'value');
        assertClose(native.grads[0], generic.grads[0], 'gradient');
      });
    });
  }

  for (const [shape, affine] of [[[4, 3, 5, 6], true], [[9, 6], true], [[3, 4, 6], false]] as const) {
    test(`BatchNormalization in training, input ${shape}${affine ? '' : ' without scale and center'}: value, gradients, batch moments`, (t) => {
      if (backend !== 'tensorflow') return t.skip('tfjs-node is not loaded');
      tf.tidy(() => {
        const x = tf.randomNormal([...shape], 2, 3, 'float32', 13);
        const gamma = tf.randomNormal([6], 1, 0.5, 'float32', 14);
        const beta = tf.randomNormal([6], 0, 1, 'float32', 15);
        const probe = tf.randomNormal([...shape], 0, 1, 'float32', 16);
        const axes = shape.slice(0, -1).map((_, i) => i);
        const moments: tf.Tensor[] = [];
        const inputs = affine ? [x, gamma, beta] : [x];
        const native = valueAndGrads((xs, g, b) => nativeBatchNormTraining(xs, g, b, 1e-3, (m, v) => moments.push(tf.keep(tf.clone(m)), tf.keep(tf.clone(v))))!, inputs, probe);
        // Keras: tf.nn.moments over every axis but the last, then tf.nn.batch_normalization.
        const generic = valueAndGrads((xs, g, b) => {
          const { mean, variance } = tf.moments(xs, axes);
          const inv = g ? tf.mul(tf.rsqrt(tf.add(variance, 1e-3)), g) : tf.rsqrt(tf.add(variance, 1e-3));
          const y = tf.mul(tf.sub(xs, mean), inv);
          return b ? tf.add(y, b) : y;
        }, inputs, probe);
        assertClose(native.value, generic.value, 'value', 1e-4);
        native.grads.forEach((g, i) => assertClose(g, generic.grads[i], `gradient ${i}`, 1e-4));
        const want = tf.moments(x, axes);
        // valueAndGrads ran the layer once: one mean and one (biased) variance.
        assert.equal(moments.length, 2);
        assertClose(moments[0], want.mean, 'batch mean');
        assertClose(moments[1], want.variance, 'batch variance (not Bessel-corrected)');
        tf.dispose(moments);
      });
    });
  }

  test('elementwise math equals tfjs ops, with numbers as scalars', () => {
    tf.tidy(() => {
      const ops = elementwise();
      const a = tf.tensor1d([1, 4, 9, -2]);
      const b = tf.tensor1d([2, 0.5, 3, 4]);
      assertClose(ops.add(a, b), tf.add(a, b), 'add');
      assertClose(ops.sub(a, 1.5), tf.sub(a, 1.5), 'sub');
      assertClose(ops.mul(2, b), tf.mul(2, b), 'mul');
      assertClose(ops.div(a, b), tf.div(a, b), 'div');
      assertClose(ops.maximum(a, b), tf.maximum(a, b), 'maximum');
      assertClose(ops.sqrt(b), tf.sqrt(b), 'sqrt');
      assertClose(ops.square(a), tf.square(a), 'square');
      assertClose(ops.neg(a), tf.neg(a), 'neg');
      assertClose(ops.abs(a), tf.abs(a), 'abs');
    });
  });

  test("dropout drawn by TensorFlow: Keras's scaling, about `rate` zeros, a fresh mask per call, the gradient masked", (t) => {
    if (backend !== 'tensorflow') return t.skip('tfjs-node is not loaded');
    const x = tf.fill([200, 50], 2);
    const rate = 0.3;
    const [a, b] = [nativeDropout(x, rate)!, nativeDropout(x, rate)!];
    const values = a.dataSync();
    const zeros = values.filter((v) => v === 0).length / values.length;
    assert.ok(Math.abs(zeros - rate) < 0.02, `${zeros} of the values dropped`);
    assert.ok(values.every((v) => v === 0 || Math.abs(v - 2 / (1 - rate)) < 1e-6), 'kept values scaled by 1 / (1 - rate)');
    assert.notDeepEqual(Array.from(b.dataSync()), Array.from(values), 'each call draws a new mask');
    const dx = tf.grad((input: tf.Tensor) => tf.sum(nativeDropout(input, rate)!))(x).dataSync();
    assert.ok(dx.every((g) => g === 0 || Math.abs(g - 1 / (1 - rate)) < 1e-6), 'the gradient is the mask, scaled');
    tf.dispose([x, a, b]);
  });

  test('no tensor outlives a fast-path training step', (t) => {
    if (backend !== 'tensorflow') return t.skip('tfjs-node is not loaded');
    const w = tf.variable(tf.randomNormal([4, 3], 0, 1, 'float32', 11));
    const x = tf.randomNormal([8, 4], 0, 1, 'float32', 12);
    const labels = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.mean(nativeSoftmaxCrossEntropy(labels, nativeDense(x, w, undefined, 'tanh')!, true)!) as tf.Scalar, [w]);
        w.assign(tf.sub(w, tf.mul(grads[w.name], 0.1)));
        assert.ok(Number.isFinite(value.dataSync()[0]));
      });
    }
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([w, x, labels]);
  });
});
