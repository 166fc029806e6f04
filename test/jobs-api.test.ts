/**
 * The tutorial's whole workflow over HTTP — fit, evaluate, predict — as separate jobs and as one,
 * plus cancelling, resuming, listing and the model endpoints, on real Redis, tfjs-node and files.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import { initBackend } from '../src/engine/backend.ts';
import { bindData, materialize } from '../src/spec/arrays.ts';
import { HostRows } from '../src/engine/data-source.ts';
import { ModelStore } from '../src/store/model-store.ts';
import { parseNpy } from '../src/datasets/npy.ts';
import { loadModel } from '../workers/model-loader.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { readEvents } from './helpers/sse.ts';
import { del, getJson, post, waitForState } from './helpers/http.ts';
import { seedMlpJob } from './helpers/specs.ts';

const testX = { random: { kind: 'uniform' as const, shape: [200, 32], seed: 11 } };
const testY = { random: { kind: 'randint' as const, shape: [200], high: 10, seed: 12 } };

describe('the jobs API', () => {
  let stack: Stack;
  let modelId: string;
  let fitJobId: string;
  before(async () => {
    await initBackend();
    stack = await startStack();
    const fit = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 3 }));
    fitJobId = fit.body.id;
    modelId = (await waitForState(stack, fitJobId, ['completed'])).model_id;
  });
  after(async () => {
    await stack.close();
  });

  test('evaluate and predict jobs on the trained model; evaluate equals the engine called directly', async () => {
    const ev = await post(stack, '/v1/jobs', { type: 'evaluate', model_id: modelId, evaluate: { x: testX, y: testY, batch_size: 128 } });
    assert.equal(ev.status, 202, JSON.stringify(ev.body));
    const evaluated = await waitForState(stack, ev.body.id, ['completed', 'failed']);
    assert.equal(evaluated.state, 'completed', evaluated.error?.message);
    assert.deepEqual(Object.keys(evaluated.result.evaluate), ['accuracy', 'loss']);
    assert.equal(evaluated.model_id, modelId);

    const { model, trainer } = await loadModel(new ModelStore(stack.config.checkpointDir), modelId);
    const x = bindData(testX, ['digits'], '', (a) => new HostRows(materialize(a)));
    const y = bindData(testY, ['predictions'], '', (a) => new HostRows(materialize(a)));
    const direct = await trainer.evaluate({ x, y }, { batchSize: 128 });
    assert.deepEqual(evaluated.result.evaluate, direct);

    const pr = await post(stack, '/v1/jobs', { type: 'predict', model_id: modelId, predict: { x: { random: { ...testX.random, shape: [3, 32] } } } });
    const predicted = await waitForState(stack, pr.body.id, ['completed', 'failed']);
    assert.equal(predicted.state, 'completed', predicted.error?.message);
    assert.deepEqual(predicted.result.output_names, ['predictions']);
    const [out] = predicted.result.predictions;
    assert.equal(out.length, 3);
    assert.equal(out[0].length, 10);
    const directOut = (await trainer.predict(bindData({ random: { ...testX.random, shape: [3, 32] } }, ['digits'], '', (a) => new HostRows(materialize(a)))))[0].arraySync() as number[][];
    assert.deepEqual(out, directOut);
    assert.deepEqual(predicted.result.shapes, [[3, 10]]);
    const npy = Buffer.from(await (await fetch(`${stack.baseUrl}/v1/jobs/${pr.body.id}/result/predictions.npy`)).arrayBuffer());
    const decoded = parseNpy(npy);
    assert.deepEqual(decoded.shape, [3, 10]);
    assert.deepEqual(Array.from(decoded.values), directOut.flat());
    assert.equal((await fetch(`${stack.baseUrl}/v1/jobs/${pr.body.id}/result/other.npy`)).status, 404);
    assert.equal((await fetch(`${stack.baseUrl}/v1/jobs/${ev.body.id}/result/predictions.npy`)).status, 409);
    trainer.dispose();
    model.dispose();
  });

  test('a fit job with evaluate and predict sections, as the tutorial runs them', async () => {
    const spec = { ...seedMlpJob({ epochs: 2 }), evaluate: { x: testX, y: testY, batch_size: 128 }, predict: { x: { random: { ...testX.random, shape: [3, 32] } } } };
    const res = await post(stack, '/v1/jobs', spec);
    const events = await readEvents(`${stack.baseUrl}/v1/jobs/${res.body.id}/events`);
    assert.deepEqual(events.slice(-4).map((e) => e.event), ['train_end', 'evaluate', 'predict', 'completed']);
    const job = await waitForState(stack, res.body.id, ['completed']);
    assert.deepEqual(Object.keys(job.result.evaluate), ['accuracy', 'loss']);
    assert.deepEqual(JSON.parse(events.at(-3)!.data).logs, job.result.evaluate);
    assert.equal(job.result.predictions[0].length, 3);
  });

  test('POST /v1/models/{id}/predict?wait answers with the result; without wait it is a 202', async () => {
    const quick = await post(stack, `/v1/models/${modelId}/predict?wait=30`, { x: [[...Array(32).keys()].map((i) => i / 32)] });
    assert.equal(quick.status, 200, JSON.stringify(quick.body));
    assert.equal(quick.body.state, 'completed');
    assert.equal(quick.body.result.predictions[0][0].length, 10);
    const later = await post(stack, `/v1/models/${modelId}/evaluate`, { x: testX, y: testY });
    assert.equal(later.status, 202);
    assert.equal(later.body.links.self, `/v1/jobs/${later.body.id}`);
    await waitForState(stack, later.body.id, ['completed']);
    const missing = await post(stack, '/v1/models/nope/predict', { x: [[0]] });
    assert.equal(missing.status, 404);
  });

  test('resuming from a checkpoint continues the epoch count, history and optimizer state', async () => {
    const original = await getJson(stack, `/v1/jobs/${fitJobId}`);
    const res = await post(stack, '/v1/jobs', { type: 'fit', initial_model: { model_id: modelId, checkpoint: 'epoch-0002' }, fit: { ...seedMlpJob().fit, epochs: 4 } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const events = await readEvents(`${stack.baseUrl}/v1/jobs/${res.body.id}/events`);
    assert.deepEqual(events.filter((e) => e.event === 'epoch_end').map((e) => JSON.parse(e.data).epoch), [2, 3]);
    const job = await waitForState(stack, res.body.id, ['completed']);
    assert.deepEqual({ epoch: job.progress.epoch, epochs: job.progress.epochs }, { epoch: 4, epochs: 4 });
    assert.ok(job.progress.samples_per_s > 0);
    assert.equal(job.history.loss.length, 4);
    assert.deepEqual(job.history.loss.slice(0, 2), original.body.history.loss.slice(0, 2));
    const model = (await getJson(stack, `/v1/models/${job.model_id}`)).body;
    assert.deepEqual(model.parent, { model_id: modelId, checkpoint: 'epoch-0002' });
    assert.equal(model.epochs_run, 4);
    assert.deepEqual(model.checkpoints.map((c: any) => c.name), ['epoch-0003', 'epoch-0004']);
    const optimizer = JSON.parse(await fs.readFile(path.join(stack.config.checkpointDir, 'models', job.model_id, 'final', 'optimizer.json'), 'utf8'));
    assert.equal(optimizer.iterations, 4 * 32, 'Adam kept counting steps from the checkpoint');

    const tooFew = await post(stack, '/v1/jobs', { type: 'fit', initial_model: { model_id: modelId }, fit: { ...seedMlpJob().fit, epochs: 3 } });
    assert.equal(tooFew.status, 422);
    assert.equal(tooFew.body.errors[0].pointer, '/fit/epochs');
    const noCheckpoint = await post(stack, '/v1/jobs', { type: 'fit', initial_model: { model_id: modelId, checkpoint: 'epoch-0099' }, fit: seedMlpJob().fit });
    assert.equal(noCheckpoint.status, 422);
    assert.equal(noCheckpoint.body.errors[0].pointer, '/initial_model/checkpoint');
  });

  test('cancel: a queued job is removed, a running one stops within a batch and keeps its checkpoints', async () => {
    const long = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 500 }));
    const queued = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 1 }));
    // Follow the long job until two epochs are done.
    const seen = await readEvents(`${stack.baseUrl}/v1/jobs/${long.body.id}/events`, { limit: 12 });
    assert.equal(seen.filter((e) => e.event === 'epoch_end').length >= 2, true);

    const cq = await del(stack, `/v1/jobs/${queued.body.id}`);
    assert.equal(cq.status, 202);
    assert.equal(cq.body.state, 'cancelled');
    assert.equal(await stack.app.services.queue.getJob(queued.body.id), undefined);

    const cr = await del(stack, `/v1/jobs/${long.body.id}`);
    assert.equal(cr.status, 202);
    const ended = await waitForState(stack, long.body.id, ['cancelled', 'failed', 'completed'], 10_000);
    assert.equal(ended.state, 'cancelled');
    const events = await readEvents(`${stack.baseUrl}/v1/jobs/${long.body.id}/events`);
    assert.equal(events.at(-1)!.event, 'cancelled');
    assert.ok(!events.some((e) => e.event === 'completed' || e.event === 'train_end'));
    const epochs = events.filter((e) => e.event === 'epoch_end').length;
    assert.ok(epochs < 500);
    assert.equal(ended.history.loss.length, epochs, 'history holds exactly the finished epochs');
    assert.equal(ended.progress.epoch, epochs);
    const checkpoints = events.filter((e) => e.event === 'checkpoint').map((e) => JSON.parse(e.data).name);
    assert.equal(checkpoints.length, epochs);
    const queuedEvents = await readEvents(`${stack.baseUrl}/v1/jobs/${queued.body.id}/events`);
    assert.deepEqual(queuedEvents.map((e) => e.event), ['state', 'cancelled']);

    const again = await del(stack, `/v1/jobs/${long.body.id}`);
    assert.equal(again.status, 409);
    assert.equal((await del(stack, '/v1/jobs/nope')).status, 404);
  });

  test('timeout_s fails a job that runs too long, with a clear error', async () => {
    const res = await post(stack, '/v1/jobs', { ...seedMlpJob({ epochs: 500 }), timeout_s: 1 });
    const job = await waitForState(stack, res.body.id, ['failed', 'completed', 'cancelled'], 20_000);
    assert.equal(job.state, 'failed');
    assert.match(job.error.message, /timed out: the job ran longer than timeout_s=1 s/);
  });

  test('listing: newest first, filtered, paged with a cursor', async () => {
    const all = (await getJson(stack, '/v1/jobs?limit=100')).body.jobs;
    assert.ok(all.length >= 8);
    const created = all.map((j: any) => Date.parse(j.created_at));
    assert.deepEqual(created, [...created].sort((a, b) => b - a));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = (await getJson(stack, `/v1/jobs?limit=3${cursor ? `&cursor=${cursor}` : ''}`)).body;
      assert.ok(page.jobs.length <= 3);
      seen.push(...page.jobs.map((j: any) => j.id));
      cursor = page.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, all.map((j: any) => j.id));
    const predicts = (await getJson(stack, '/v1/jobs?type=predict')).body.jobs;
    assert.ok(predicts.length >= 2 && predicts.every((j: any) => j.type === 'predict'));
    const cancelled = (await getJson(stack, '/v1/jobs?state=cancelled')).body.jobs;
    assert.ok(cancelled.length >= 2 && cancelled.every((j: any) => j.state === 'cancelled'));
    assert.equal((await getJson(stack, '/v1/jobs?cursor=nope')).status, 400);
  });

  test('models: list, archive, delete', async () => {
    const list = (await getJson(stack, '/v1/models')).body;
    assert.ok(list.models.some((m: any) => m.id === modelId));
    const model = list.models.find((m: any) => m.id === modelId);
    assert.ok(model.size_bytes > 0);
    assert.equal(model.summary.total_params, 6922);

    const res = await fetch(`${stack.baseUrl}/v1/models/${modelId}/archive?checkpoint=epoch-0001`);
    assert.equal(res.status, 200);
    const file = path.join(stack.config.dataDir, 'archive.tar.gz');
    await fs.writeFile(file, Buffer.from(await res.arrayBuffer()));
    const entries: string[] = [];
    await tar.t({ file, onReadEntry: (e) => entries.push(e.path) });
    assert.deepEqual(entries.sort(), ['model.json', 'optimizer.bin', 'optimizer.json', 'state.json', 'weights.bin']);
    assert.equal((await fetch(`${stack.baseUrl}/v1/models/${modelId}/archive?checkpoint=nope`)).status, 404);

    const doomed = (await post(stack, '/v1/jobs', seedMlpJob({ epochs: 1 }))).body.id;
    const doomedModel = (await waitForState(stack, doomed, ['completed'])).model_id;
    assert.equal((await del(stack, `/v1/models/${doomedModel}`)).status, 204);
    assert.equal((await getJson(stack, `/v1/models/${doomedModel}`)).status, 404);
    await assert.rejects(fs.stat(path.join(stack.config.checkpointDir, 'models', doomedModel)));
    assert.equal((await del(stack, `/v1/models/${doomedModel}`)).status, 404);
    const ev = await post(stack, '/v1/jobs', { type: 'evaluate', model_id: doomedModel, evaluate: { x: testX, y: testY } });
    assert.equal(ev.status, 422);
    assert.equal(ev.body.errors[0].pointer, '/model_id');
  });
});
