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
