/**
 * Options whose effect a parity case cannot show, held to what Keras documents for them: the
 * initializers (parity cases load their initial weights), Dropout's noise_shape (random draws),
 * ModelCheckpoint's choice of epochs and CSVLogger's file.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.ts';
import { KerasModel } from '../src/engine/model.ts';
import { CSVLogger } from '../src/engine/callbacks/csv-logger.ts';
import { ModelCheckpoint } from '../src/engine/callbacks/model-checkpoint.ts';
import type { TrainingContext } from '../src/engine/callbacks/callback.ts';
import { checkGraph, normalizeModel } from '../src/spec/graph.ts';
import { LAYERS } from '../src/spec/layers/index.ts';
import { kerasWeightSpecs } from '../src/keras/to-keras-json.ts';
import { oneLayerModel, REGISTERED_LAYERS } from './helpers/layer-hosts.ts';

const build = (model: unknown) => new KerasModel(checkGraph(normalizeModel(model as never)));

/**
 * The weights an initializer option fills: kernel_initializer → kernel, recurrent_initializer →
 * recurrent_kernel, a separable conv's depthwise/pointwise_initializer → depthwise/pointwise_kernel,
 * a DepthwiseConv's depthwise_initializer → kernel, MultiHeadAttention's → its four projections'.
 */
const weightOf = (key: string) => {
  const base = key.replace(/_initializer$/, '');
  return base === 'recurrent' ? 'recurrent_kernel' : base;
};
const fills = (cls: string, key: string, name: string) => {
  const w = weightOf(key);
  if (cls.startsWith('DepthwiseConv') && w === 'depthwise') return name === 'kernel';
  if (cls.startsWith('SeparableConv') && (w === 'depthwise' || w === 'pointwise')) return name === `${w}_kernel`;
  return name === w || name.endsWith(`/${w}`);
};

describe('options beyond parity', () => {
  before(async () => {
    await initBackend();
  });

  const initializerKeys = REGISTERED_LAYERS.flatMap((cls) => Object.keys(LAYERS[cls].honours).filter((k) => k.endsWith('_initializer')).map((k) => [cls, k] as const));

  test('every layer with weights has initializer options to test', () => {
    assert.ok(initializerKeys.length >= 20, `${initializerKeys.length} initializer options`);
  });

  for (const [cls, key] of initializerKeys) {
    test(`${cls} ${key}: Constant(0.25) fills exactly the ${weightOf(key)} weight`, () => {
      const spec = oneLayerModel(cls, { [key]: { class_name: 'Constant', config: { value: 0.25 } } });
      const graph = checkGraph(normalizeModel(spec as never));
      const names = kerasWeightSpecs(graph.layers[0], graph.layers[0].calls[0].inbound.map((r) => graph.tensors[`${r.layer}:0:0`])).map((w) => w.name);
      const model = new KerasModel(graph);
      try {
        const weights = model.getWeights().layer;
        const filled = names.flatMap((n, i) => (fills(cls, key, n) ? [i] : []));
        assert.ok(filled.length >= 1, `${cls} has a ${weightOf(key)} weight (weights: ${names.join(', ')})`);
        for (const i of filled) assert.ok((weights[i].dataSync() as Float32Array).every((v) => v === Math.fround(0.25)), `${names[i]} is all 0.25`);
        // The other weights keep their own initializers: a constant kernel must not leak into the bias.
        weights.forEach((w, j) => {
          if (!filled.includes(j) && w.size > 1) assert.ok(!(w.dataSync() as Float32Array).every((v) => v === Math.fround(0.25)), `${names[j]} is not 0.25`);
        });
      } finally {
        model.dispose();
      }
    });
  }

  test('Dropout noise_shape: one draw per broadcast axis, rate of zeros, survivors scaled by 1 / (1 - rate)', () => {
    const model = build({ sequential: [{ class_name: 'InputLayer', config: { shape: [8] } }, { class_name: 'Dropout', config: { rate: 0.5, noise_shape: [null, 1] } }] });
    try {
      const rows = tf.tidy(() => model.forward([tf.ones([2000, 8])], true)[0].arraySync() as number[][]);
      for (const row of rows) assert.ok(row.every((v) => v === row[0]) && (row[0] === 0 || row[0] === 2), `a row is all 0 or all 2: ${row}`);
      const dropped = rows.filter((r) => r[0] === 0).length / rows.length;
      assert.ok(Math.abs(dropped - 0.5) < 0.05, `dropped ${dropped} of the rows`);
      const inference = tf.tidy(() => model.forward([tf.ones([4, 8])], false)[0].arraySync() as number[][]);
      assert.ok(inference.flat().every((v) => v === 1), 'the identity at inference');
    } finally {
      model.dispose();
    }
  });

  /** One noise layer on inputs of `shape`: its training output for x, and a check that inference is the identity. */
  const noisy = (cls: string, config: Record<string, unknown>, x: tf.Tensor): number[] => {
    const model = build({ sequential: [{ class_name: 'InputLayer', config: { shape: x.shape.slice(1) } }, { class_name: cls, config }] });
    try {
      return tf.tidy(() => {
        assert.deepEqual(model.forward([x], false)[0].arraySync(), x.arraySync(), `${cls} is the identity at inference`);
        return Array.from(model.forward([x], true)[0].dataSync());
      });
    } finally {
      model.dispose();
      x.dispose();
    }
  };
  const moments = (v: number[]) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return { mean, variance: v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length };
  };

  for (const [cls, shape] of [['SpatialDropout1D', [500, 6, 4]], ['SpatialDropout2D', [500, 3, 2, 4]]] as const) {
    test(`${cls} rate: whole channels zeroed with probability rate, survivors scaled by 1 / (1 - rate)`, () => {
      const values = noisy(cls, { rate: 0.3 }, tf.ones([...shape]));
      const [n, channels] = [shape[0], shape.at(-1)!];
      const steps = values.length / n / channels;
      let dropped = 0;
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < channels; c++) {
          const channel = Array.from({ length: steps }, (_, t) => values[(i * steps + t) * channels + c]);
          assert.ok(channel.every((v) => v === channel[0]) && (channel[0] === 0 || Math.abs(channel[0] - 1 / 0.7) < 1e-6), `one value per sample and channel: ${channel}`);
          if (channel[0] === 0) dropped++;
        }
      }
      const rate = dropped / (n * channels);
      assert.ok(Math.abs(rate - 0.3) < 0.04, `dropped ${rate} of the channels`);
    });
  }

  test('GaussianNoise stddev: x + N(0, stddev) in training', () => {
    const { mean, variance } = moments(noisy('GaussianNoise', { stddev: 0.4 }, tf.fill([4000, 5], 2)));
    assert.ok(Math.abs(mean - 2) < 0.02 && Math.abs(Math.sqrt(variance) - 0.4) < 0.02, `mean ${mean}, stddev ${Math.sqrt(variance)}`);
  });

  test('GaussianDropout rate: x * N(1, sqrt(rate / (1 - rate))) in training', () => {
    const { mean, variance } = moments(noisy('GaussianDropout', { rate: 0.2 }, tf.fill([4000, 5], 3)));
    const sd = 3 * Math.sqrt(0.2 / 0.8);
    assert.ok(Math.abs(mean - 3) < 0.05 && Math.abs(Math.sqrt(variance) - sd) < 0.05, `mean ${mean}, stddev ${Math.sqrt(variance)} (expected ${sd})`);
  });

  test('AlphaDropout rate and noise_shape: dropped units at a·alpha_p + b, mean and variance of standard normal inputs kept', () => {
    const rate = 0.25;
    const alphaP = -1.6732632423543772 * 1.0507009873554805;
    const a = ((1 - rate) * (1 + rate * alphaP ** 2)) ** -0.5;
    const droppedValue = Math.fround(Math.fround(alphaP) * Math.fround(a) + Math.fround(-a * alphaP * rate));
    const values = noisy('AlphaDropout', { rate }, tf.randomNormal([4000, 5], 0, 1, 'float32', 7));
    const { mean, variance } = moments(values);
    assert.ok(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.05, `mean ${mean}, variance ${variance}`);
    const dropped = values.filter((v) => Math.abs(v - droppedValue) < 1e-5).length / values.length;
    assert.ok(Math.abs(dropped - rate) < 0.02, `dropped ${dropped}`);
    // noise_shape [null, 1]: one draw per sample, shared by its features.
    const rows = noisy('AlphaDropout', { rate, noise_shape: [null, 1] }, tf.zeros([1000, 4]));
    for (let i = 0; i < 1000; i++) {
      const row = rows.slice(i * 4, i * 4 + 4);
      assert.ok(row.every((v) => v === row[0]), `one draw per sample: ${row}`);
    }
  });

  test('a BatchNormalization with trainable false runs in inference mode in training too, as in Keras', () => {
    const bn = (trainable: boolean) => build({ sequential: [{ class_name: 'InputLayer', config: { shape: [3] } }, { class_name: 'BatchNormalization', config: { trainable } }] });
    const [frozen, live] = [bn(false), bn(true)];
    try {
      const x = tf.tensor2d([[1, 2, 3], [3, 5, 9]]);
      const [inTraining, atInference, liveTraining] = tf.tidy(() => [frozen.forward([x], true)[0].arraySync(), frozen.forward([x], false)[0].arraySync(), live.forward([x], true)[0].arraySync()]);
      assert.deepEqual(inTraining, atInference);
      assert.notDeepEqual(liveTraining, atInference, 'a trainable one normalizes by the batch');
      assert.deepEqual(Object.values(frozen.getWeights())[0][2].arraySync(), [0, 0, 0], 'moving mean not updated');
      x.dispose();
    } finally {
      frozen.dispose();
      live.dispose();
    }
  });

  for (const cls of ['SimpleRNN', 'LSTM', 'GRU']) {
    test(`${cls} dropout: one mask per sample and feature for every timestep in training, none at inference`, () => {
      // Dropped input features act as zeros at every step; with the same weights the model without
      // dropout, fed x * mask, gives the same output. Find the mask by trying each feature pattern.
      const spec = (dropout: number) => ({ sequential: [{ class_name: 'InputLayer', config: { shape: [5, 2] } }, { name: 'rnn', class_name: cls, config: { units: 3, dropout } }] });
      const [withDropout, plain] = [build(spec(0.5)), build(spec(0))];
      try {
        plain.setWeights(withDropout.getWeights());
        const x = tf.randomNormal([64, 5, 2], 0, 1, 'float32', 3);
        tf.tidy(() => {
          assert.deepEqual(withDropout.forward([x], false)[0].arraySync(), plain.forward([x], false)[0].arraySync(), 'the identity at inference');
          const got = withDropout.forward([x], true)[0].arraySync() as number[][];
          const candidates = [[0, 0], [0, 2], [2, 0], [2, 2]].map((m) => plain.forward([tf.mul(x, tf.tensor1d(m))], false)[0].arraySync() as number[][]);
          let dropped = 0;
          got.forEach((row, i) => {
            const hit = candidates.findIndex((c) => c[i].every((v, j) => Math.abs(v - row[j]) < 1e-5));
            assert.ok(hit >= 0, `sample ${i}: the output is the RNN's on x times a per-feature mask of 0 or 1 / (1 - rate)`);
            dropped += [2, 1, 1, 0][hit];
          });
          assert.ok(Math.abs(dropped / 128 - 0.5) < 0.15, `${dropped} of 128 features dropped`);
        });
        x.dispose();
      } finally {
        withDropout.dispose();
        plain.dispose();
      }
    });
  }

  test('ModelCheckpoint monitor, mode and initial_value_threshold decide the saved epochs as Keras does', async () => {
    const saved: number[] = [];
    const cb = new ModelCheckpoint({ filepath: 'best', monitor: 'val_acc', mode: 'max', save_best_only: true, initial_value_threshold: 0.6 }, async (req) => {
      saved.push(req.epoch);
    });
    const ctx = { metricDirections: {} } as unknown as TrainingContext;
    cb.onTrainBegin(ctx);
    const accs = [0.5, 0.62, 0.61, 0.7, 0.7];
    for (const [epoch, acc] of accs.entries()) await cb.onEpochEnd(epoch, { val_acc: acc }, ctx);
    // 0.5 is below the threshold, 0.61 below the best so far, and Keras saves only on strict improvement.
    assert.deepEqual(saved, [1, 3]);
  });

  test('CSVLogger separator; append writes what Keras writes to a new file', async () => {
    const files = new Map<string, string>();
    for (const append of [false, true]) {
      const cb = new CSVLogger({ filename: `log_${append}.csv`, separator: ';', append }, async (name, content) => {
        files.set(name, content);
      });
      await cb.onEpochEnd(0, { loss: 0.5, acc: 0.25 });
      await cb.onEpochEnd(1, { loss: 0.25, acc: 0.5 });
    }
    assert.equal(files.get('log_false.csv'), 'epoch;acc;loss\r\n0;0.25;0.5\r\n1;0.5;0.25\r\n');
    assert.equal(files.get('log_true.csv'), files.get('log_false.csv'));
  });
});
