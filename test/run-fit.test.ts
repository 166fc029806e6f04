/**
 * The worker's fit path (spec → engine → files and events) in-process: callbacks act and are
 * announced, files land in the model's folder, and no tensor outlives a job.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.ts';
import { ModelStore } from '../src/store/model-store.ts';
import { ModelCache } from '../workers/model-loader.ts';
import { DatasetStore } from '../src/datasets/dataset-store.ts';
import { runJob } from '../workers/run-job.ts';
import { seedMlpJob } from './helpers/specs.ts';

function callbackJob() {
  const spec = seedMlpJob({ epochs: 12 });
  (spec.compile as any).optimizer = { class_name: 'Adam', config: { learning_rate: 0.05 } };
  (spec.fit as any).callbacks = [
    { class_name: 'ModelCheckpoint', config: { filepath: 'best_{epoch:02d}-{val_loss:.2f}', monitor: 'val_loss', save_best_only: true } },
    { class_name: 'ReduceLROnPlateau', config: { monitor: 'val_loss', factor: 0.5, patience: 1 } },
    { class_name: 'EarlyStopping', config: { monitor: 'val_loss', patience: 3, restore_best_weights: true } },
    { class_name: 'CSVLogger', config: { filename: 'log.csv' } },
    { class_name: 'TerminateOnNaN' },
  ];
  return spec;
}

describe('runJob (fit)', () => {
  let store: ModelStore;
  before(async () => {
    await initBackend();
    store = new ModelStore(await fs.mkdtemp(path.join(os.tmpdir(), 'kj-runfit-')));
  });

  test('callbacks act, are announced and write inside the model folder; no tensor leaks over several jobs', async () => {
    for (let run = 0; run < 3; run++) {
      const before = tf.memory().numTensors;
      const events: Array<[string, any]> = [];
      const modelId = `m${run}`;
      const result = await runJob({ jobId: `j${run}`, tenant: 'public', modelId, job: callbackJob() }, { store, cache: new ModelCache(store, 2), datasets: new DatasetStore(path.join(store.root, 'datasets'), { maxBytes: 0 }) }, (type, data) => events.push([type, data]));
      assert.equal(tf.memory().numTensors, before, `run ${run}: tensors before and after a job`);

      const history = result.history!;
      const epochs = history.loss.length;
      assert.ok(epochs < 12, 'a learning rate of 0.05 on random labels overfits: EarlyStopping stops it');
      const stop = events.find(([t]) => t === 'early_stopping')![1];
      assert.equal(stop.epoch, epochs - 1);
      assert.equal(stop.monitor, 'val_loss');
      const reductions = events.filter(([t]) => t === 'lr_reduced').map(([, d]) => d);
      assert.ok(reductions.length >= 1);
      for (const r of reductions) assert.equal(Math.fround(r.old_learning_rate * 0.5), r.learning_rate);
      assert.deepEqual(history.learning_rate.slice(0, 2), [Math.fround(0.05), history.learning_rate[1]]);

      const saves = events.filter(([t, d]) => t === 'checkpoint' && d.kind === 'model_checkpoint').map(([, d]) => d);
      assert.ok(saves.length >= 1);
      const vals = history.val_loss;
      for (const s of saves) {
        assert.equal(s.name, `best_${String(s.epoch + 1).padStart(2, '0')}-${vals[s.epoch].toFixed(2)}`);
        assert.equal(s.value, vals[s.epoch]);
      }
      const names = (await store.listCheckpoints(modelId)).map((c) => c.name);
      for (const s of saves) assert.ok(names.includes(s.name));
      assert.equal(events.filter(([t, d]) => t === 'checkpoint' && d.kind === 'epoch').length, epochs, 'one resumable checkpoint per epoch');
      // Retention keeps the latest and the two before it (keep_checkpoints' default), and the best
      // epoch's, which restore_best_weights would load after a resume.
      const best = vals.indexOf(Math.min(...vals));
      const kept = [...new Set([best + 1, epochs - 2, epochs - 1, epochs])].sort((a, b) => a - b);
      assert.deepEqual(names.filter((n) => n.startsWith('epoch-')), kept.map((e) => `epoch-${String(e).padStart(4, '0')}`));

      const csv = (await fs.readFile(path.join(store.dir(modelId), 'artifacts', 'log.csv'), 'utf8')).trim().split('\r\n');
      assert.equal(csv[0], 'epoch,accuracy,learning_rate,loss,val_accuracy,val_loss');
      assert.equal(csv.length, epochs + 1);
    }
  });

  test('progress events report steps within each epoch, between its epoch_begin and epoch_end', async () => {
    const events: Array<[string, any]> = [];
    const spec = seedMlpJob({ epochs: 2, samples: 100 });
    (spec.fit as any).batch_size = 10;
    const ctx = { store, cache: new ModelCache(store, 2), datasets: new DatasetStore(path.join(store.root, 'datasets'), { maxBytes: 0 }), progressIntervalMs: 0 };
    await runJob({ jobId: 'progress', tenant: 'public', modelId: 'progress', job: spec }, ctx, (type, data) => events.push([type, data]));
    const kinds = events.map(([t]) => t).filter((t) => ['epoch_begin', 'progress', 'epoch_end'].includes(t));
    // 10 steps an epoch: steps 1..9 are reported, the last one is the epoch_end itself.
    const epochPattern = ['epoch_begin', ...Array(9).fill('progress'), 'epoch_end'];
    assert.deepEqual(kinds, [...epochPattern, ...epochPattern]);
    const progress = events.filter(([t]) => t === 'progress').map(([, d]) => d);
    assert.deepEqual(progress.map((p) => `${p.epoch}:${p.step}/${p.steps}`), [0, 1].flatMap((e) => [1, 2, 3, 4, 5, 6, 7, 8, 9].map((s) => `${e}:${s}/10`)));
    for (const p of progress) {
      assert.equal(p.epochs, 2);
      assert.ok(Number.isFinite(p.loss) && p.loss > 0);
    }
  });

  test('EarlyStopping(restore_best_weights) restores its best epoch even when the job was interrupted after it', async () => {
    const spec = seedMlpJob({ epochs: 7, samples: 300 });
    // A high learning rate on random labels: val_loss is best early, then rises. Seeded weights
    // keep that so from run to run.
    (spec.compile as any).optimizer = { class_name: 'Adam', config: { learning_rate: 0.05 } };
    spec.model.layers.forEach((l, i) => ((l.config as any).kernel_initializer = { class_name: 'GlorotUniform', config: { seed: 7 + i } }));
    (spec.fit as any).callbacks = [{ class_name: 'EarlyStopping', config: { monitor: 'val_loss', patience: 100, restore_best_weights: true } }];
    const ctx = { store, cache: new ModelCache(store, 2), datasets: new DatasetStore(path.join(store.root, 'datasets'), { maxBytes: 0 }) };
    const modelId = 'es-resume';
    const abort = new AbortController();
    // The first run stops (as a worker shutdown would) once epoch 3 is checkpointed.
    await assert.rejects(
      runJob({ jobId: 'es1', tenant: 'public', modelId, job: spec }, ctx, (type, data) => type === 'checkpoint' && data.epoch === 3 && abort.abort(), abort.signal),
      /cancelled/,
    );
    const latest = (await store.latestEpochCheckpoint(modelId))!;
    assert.equal(latest.name, 'epoch-0004');
    const resume = { model_id: modelId, checkpoint: latest.name, initial_epoch: latest.state.epoch + 1, history: latest.state.history, callbacks: latest.state.callbacks };
    const before = tf.memory().numTensors;
    const result = await runJob({ jobId: 'es2', tenant: 'public', modelId, job: spec, resume }, ctx, () => {});
    assert.equal(tf.memory().numTensors, before, 'the restored snapshot is freed with the job');

    const val = result.history!.val_loss;
    assert.equal(val.length, 7);
    const best = val.indexOf(Math.min(...val));
    assert.ok(best <= 3, `the best epoch (${best}) came before the interruption, or this test proves nothing`);
    const final = await fs.readFile(path.join(store.dir(modelId), 'final', 'weights.bin'));
    const bestCheckpoint = await fs.readFile(path.join(store.dir(modelId), 'checkpoints', `epoch-000${best + 1}`, 'weights.bin'));
    const lastCheckpoint = await fs.readFile(path.join(store.dir(modelId), 'checkpoints', 'epoch-0007', 'weights.bin'));
    assert.ok(final.equals(bestCheckpoint), 'the final model holds the best epoch\'s weights');
    assert.ok(!final.equals(lastCheckpoint));
  });

  test('a job whose data cannot load fails cleanly and frees everything', async () => {
    const before = tf.memory().numTensors;
    const spec = seedMlpJob({ epochs: 1 });
    (spec.model as any).weights = { dense_2: [[[0]], [0]] };
    await assert.rejects(runJob({ jobId: 'bad', tenant: 'public', modelId: 'bad', job: spec }, { store, cache: new ModelCache(store, 2), datasets: new DatasetStore(path.join(store.root, 'datasets'), { maxBytes: 0 }) }, () => {}), /weights\.dense_2\[0\]: expected shape \[64,64\]/);
    assert.equal(tf.memory().numTensors, before);
  });
});
