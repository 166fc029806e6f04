/**
 * The tutorial's first model end to end over real HTTP: submit, follow live over SSE, reconnect
 * with Last-Event-ID, poll to completion, find the checkpoints on disk and download them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startStack, type Stack } from './helpers/stack.ts';
import { readEvents } from './helpers/sse.ts';
import { getJson, post as postTo, waitForState } from './helpers/http.ts';
import { multiIoJob, seedMlpJob } from './helpers/specs.ts';
import { loadCase } from '../src/parity/parity-case.ts';
import { compareNumbers, newComparison } from '../src/parity/compare.ts';

const expectedBackend = process.env.KJ_ALLOW_CPU_BACKEND === '1' ? undefined : 'tensorflow';

const post = (stack: Stack, body: unknown) => postTo(stack, '/v1/jobs', body);

describe('a fit job from HTTP to tfjs-node and back', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.close();
  });

  test('the seed model trains, streams every epoch live, and can be replayed from any event', async () => {
    const submitted = await post(stack, seedMlpJob());
    assert.equal(submitted.status, 202);
    assert.equal(submitted.body.state, 'queued');
    assert.equal(submitted.body.type, 'fit');
    assert.equal(submitted.body.links.events, `/v1/jobs/${submitted.body.id}/events`);
    assert.equal(submitted.headers.get('location'), `/v1/jobs/${submitted.body.id}`);
    const id: string = submitted.body.id;

    const events = await readEvents(`${stack.baseUrl}/v1/jobs/${id}/events`);
    const types = events.map((e) => e.event);
    const expected = ['state', 'state', 'train_begin'];
    for (let epoch = 0; epoch < 5; epoch++) expected.push('epoch_begin', 'epoch_end', 'checkpoint');
    expected.push('train_end', 'completed');
    assert.deepEqual(types, expected);
    assert.deepEqual(JSON.parse(events[1].data).state, 'running');

    const ids = events.map((e) => e.id!);
    assert.equal(new Set(ids).size, ids.length, 'event ids are unique');
    const epochEnds = events.filter((e) => e.event === 'epoch_end').map((e) => JSON.parse(e.data));
    epochEnds.forEach((e, i) => {
      assert.equal(e.epoch, i);
      assert.deepEqual(Object.keys(e.logs), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
      for (const v of Object.values(e.logs) as number[]) assert.ok(Number.isFinite(v));
    });
    // Adam on random labels still fits the training set a little: the loss must go down.
    assert.ok(epochEnds[4].logs.loss < epochEnds[0].logs.loss, 'training loss decreases');

    // Reconnect in the middle: exactly the rest, no gap, no duplicate.
    const cut = 7;
    const rest = await readEvents(`${stack.baseUrl}/v1/jobs/${id}/events`, { lastEventId: ids[cut] });
    assert.deepEqual(rest.map((e) => [e.id, e.event, e.data]), events.slice(cut + 1).map((e) => [e.id, e.event, e.data]));
    // Reconnecting after the terminal event closes at once with nothing to replay.
    assert.deepEqual(await readEvents(`${stack.baseUrl}/v1/jobs/${id}/events`, { lastEventId: ids.at(-1), timeoutMs: 5000 }), []);

    // Polling tells the same story.
    const job = await waitForState(stack, id, ['completed']);
    assert.deepEqual({ epoch: job.progress.epoch, epochs: job.progress.epochs }, { epoch: 5, epochs: 5 });
    assert.ok(job.progress.samples_per_s > 0, "the last epoch's speed");
    assert.deepEqual(Object.keys(job.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    for (const key of Object.keys(job.history)) assert.deepEqual(job.history[key], epochEnds.map((e) => e.logs[key]));
    if (expectedBackend) assert.equal(job.backend, expectedBackend);
    assert.ok(job.model_id);
    assert.ok(Date.parse(job.created_at) <= Date.parse(job.started_at) && Date.parse(job.started_at) <= Date.parse(job.finished_at));
    assert.equal(JSON.parse(events.at(-1)!.data).model_id, job.model_id);

    // The model: summary like model.summary(), the latest epoch checkpoints on disk (keep_checkpoints 2 by default), downloadable files.
    const model = (await getJson(stack, `/v1/models/${job.model_id}`)).body;
    assert.equal(model.summary.total_params, 32 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10);
    assert.deepEqual(model.summary.layers.map((l: any) => [l.name, l.output_shape]), [['dense_1', [64]], ['dense_2', [64]], ['predictions', [10]]]);
    assert.deepEqual(model.checkpoints.map((c: any) => [c.name, c.epoch]), [['epoch-0003', 2], ['epoch-0004', 3], ['epoch-0005', 4]]);
    const modelDir = path.join(stack.config.checkpointDir, 'models', job.model_id);
    for (const c of model.checkpoints) {
      const names = (await fs.readdir(path.join(modelDir, 'checkpoints', c.name))).sort();
      assert.deepEqual(names, ['model.json', 'optimizer.bin', 'optimizer.json', 'state.json', 'weights.bin']);
      const state = JSON.parse(await fs.readFile(path.join(modelDir, 'checkpoints', c.name, 'state.json'), 'utf8'));
      assert.equal(state.epoch, c.epoch);
      // The history is the model's history.json; the checkpoint says how much of it was its own.
      assert.equal(state.history_lengths.loss, c.epoch + 1);
      const optimizer = JSON.parse(await fs.readFile(path.join(modelDir, 'checkpoints', c.name, 'optimizer.json'), 'utf8'));
      assert.equal(optimizer.iterations, (c.epoch + 1) * 32, 'optimizer state is saved with its step count');
    }
    assert.equal((await fs.readdir(path.join(modelDir, 'checkpoints'))).filter((n) => n.startsWith('.')).length, 0, 'no temp dirs left');

    const weightsFile = model.files.find((f: any) => f.name === 'weights.bin');
    const download = await fetch(`${stack.baseUrl}${weightsFile.url}`);
    assert.equal(download.status, 200);
    const bytes = Buffer.from(await download.arrayBuffer());
    assert.equal(bytes.length, model.summary.total_params * 4);
    assert.ok(bytes.equals(await fs.readFile(path.join(modelDir, 'final', 'weights.bin'))));
    const manifest = (await getJson(stack, `/v1/models/${job.model_id}/files/checkpoints/epoch-0003/model.json`)).body;
    assert.equal(manifest.format, 'layers-model');
    assert.deepEqual(manifest.weightsManifest[0].weights.map((w: any) => w.name), ['dense_1/kernel', 'dense_1/bias', 'dense_2/kernel', 'dense_2/bias', 'predictions/kernel', 'predictions/bias']);

    const missing = await getJson(stack, `/v1/models/${job.model_id}/files/checkpoints/..%2F..%2Finfo.json/x`);
    assert.equal(missing.status, 404);
  });

  for (const form of ['list', 'dict'] as const) {
    test(`the tutorial's multi-input multi-output model trains with two losses (${form} form)`, async () => {
      const submitted = await post(stack, multiIoJob(form));
      assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
      const job = await waitForState(stack, submitted.body.id, ['completed', 'failed']);
      assert.equal(job.state, 'completed', job.error?.message);
      assert.deepEqual(Object.keys(job.history).sort(), ['class_output_loss', 'loss', 'score_output_loss']);
      // Conv2D, Conv1D, global pooling and concatenate: every step ran as one TensorFlow graph.
      if (job.backend === 'tensorflow') assert.equal(job.execution, 'graph');
      for (const values of Object.values(job.history) as number[][]) assert.equal(values.length, 3);
      // 100 samples in batches of 32, 32, 32, 4: the per-output losses are plain batch means and the
      // total is the batch-size-weighted mean, so they only roughly add up (see FINDINGS §1).
      const weights = form === 'dict' ? [2, 1] : [1, 1];
      const total = job.history.loss[0];
      const combined = weights[0] * job.history.score_output_loss[0] + weights[1] * job.history.class_output_loss[0];
      assert.ok(Math.abs(total - combined) / combined < 0.2, `loss ${total} ~ ${combined}`);
      const model = (await getJson(stack, `/v1/models/${job.model_id}`)).body;
      assert.deepEqual(
        model.summary.layers.map((l: any) => [l.name, l.output_shape, l.params]),
        [
          ['conv2d', [30, 30, 3], 84],
          ['global_max_pooling2d', [3], 0],
          ['conv1d', [18, 3], 93],
          ['global_max_pooling1d', [3], 0],
          ['concatenate', [6], 0],
          ['score_output', [1], 7],
          ['class_output', [5], 35],
        ],
      );
    });
  }

  test('a recorded Keras case through the HTTP API gives Keras\'s history and final weights', async () => {
    const c = await loadCase(new URL('./fixtures/parity/01_mlp_adam_validation_data.json', import.meta.url).pathname);
    const fit = c.spec.fit!;
    const submitted = await post(stack, {
      type: 'fit',
      model: { ...c.spec.model, weights: c.initial_weights },
      compile: c.spec.compile,
      fit: { x: c.data.x, y: c.data.y, batch_size: fit.batch_size, epochs: fit.epochs, shuffle: false, validation_data: fit.validation_data },
    });
    assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
    const job = await waitForState(stack, submitted.body.id, ['completed', 'failed']);
    assert.equal(job.state, 'completed', job.error?.message);
    const cmp = newComparison();
    for (const [key, values] of Object.entries(c.expected.history!)) compareNumbers(cmp, `history.${key}`, job.history[key], values, c.tolerance.history ?? c.tolerance.default, key.startsWith('val_') ? 200 : 1000);
    const model = (await getJson(stack, `/v1/models/${job.model_id}`)).body;
    const manifest = (await getJson(stack, `/v1/models/${job.model_id}/files/final/model.json`)).body;
    const bin = Buffer.from(await (await fetch(`${stack.baseUrl}${model.files.find((f: any) => f.name === 'weights.bin').url}`)).arrayBuffer());
    const values = new Float32Array(bin.buffer, bin.byteOffset, bin.length / 4);
    let offset = 0;
    for (const spec of manifest.weightsManifest[0].weights) {
      const [layer, kind] = spec.name.split('/');
      const size = spec.shape.reduce((a: number, b: number) => a * b, 1);
      const expected = (c.expected.final_weights![layer][kind === 'kernel' ? 0 : 1] as any[]).flat(Infinity);
      compareNumbers(cmp, `final_weights.${spec.name}`, Array.from(values.subarray(offset, offset + size)), expected, c.tolerance.final_weights ?? c.tolerance.default);
      offset += size;
    }
    assert.deepEqual(cmp.failures, [], `worst ${cmp.worst} at ${cmp.where}`);
  });

  test('a job that fails in the worker ends failed with a message, and the stream closes', async () => {
    const spec = seedMlpJob({ epochs: 2 });
    // Weights of the wrong shape pass the submit checks (names are right) but cannot be loaded.
    (spec.model as any).weights = { dense_1: [[[1]], [0]] };
    const submitted = await post(stack, spec);
    assert.equal(submitted.status, 202);
    const events = await readEvents(`${stack.baseUrl}/v1/jobs/${submitted.body.id}/events`);
    assert.equal(events.at(-1)!.event, 'failed');
    const job = await waitForState(stack, submitted.body.id, ['failed']);
    assert.match(job.error.message, /dense_1/);
  });
});
