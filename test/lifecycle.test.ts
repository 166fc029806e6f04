/**
 * Bounded over time: checkpoint retention and history once per model; what a job uses cannot be
 * deleted under it (models and datasets of queued or running jobs answer 409).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startStack, type Stack } from './helpers/stack.ts';
import { del, getJson, post, uploadFixtures, waitForState } from './helpers/http.ts';
import { seedMlpJob } from './helpers/specs.ts';
import { ModelStore } from '../src/store/model-store.ts';
import { parseNpy, writeNpy } from '../src/datasets/npy.ts';
import { startWorker, type RunningWorker } from '../workers/start-worker.ts';
import pino from 'pino';
import crypto from 'node:crypto';
import net from 'node:net';
import { sweepExpired, sweepLeftovers } from '../src/jobs/janitor.ts';

describe('deleting what a job uses', () => {
  let stack: Stack;
  let trained: string;
  before(async () => {
    stack = await startStack();
    const job = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 1, samples: 64 }));
    assert.equal(job.status, 202, JSON.stringify(job.body));
    trained = (await waitForState(stack, job.body.id, ['completed'])).model_id;
  });
  after(async () => {
    await stack.close();
  });

  test('a running fit job: its own model and the model it starts from answer 409 naming it; after a cancel both delete', async () => {
    const spec = seedMlpJob({ epochs: 500, samples: 2000 });
    const job = await post(stack, '/v1/jobs', { type: 'fit', initial_model: { model_id: trained }, fit: spec.fit });
    assert.equal(job.status, 202, JSON.stringify(job.body));
    const running = await waitForState(stack, job.body.id, ['running']);
    for (const id of [trained, running.model_id]) {
      const res = await del(stack, `/v1/models/${id}`);
      assert.equal(res.status, 409, `${id}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.detail, new RegExp(`Model "${id}" is in use by job "${job.body.id}"`));
    }
    // Still there, still training.
    assert.equal((await getJson(stack, `/v1/models/${trained}`)).status, 200);
    assert.equal((await del(stack, `/v1/jobs/${job.body.id}`)).status, 202);
    await waitForState(stack, job.body.id, ['cancelled']);
    for (const id of [running.model_id, trained]) assert.equal((await del(stack, `/v1/models/${id}`)).status, 204, id);
    assert.equal((await getJson(stack, `/v1/models/${trained}`)).status, 404);
    assert.deepEqual(await stack.redis.keys(`${stack.config.redisPrefix}:uses:*`), [], 'no job holds anything once its models are deleted');
  });

  test('queued jobs hold their dataset and model; a job that ends gives them back', async () => {
    const job = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 1, samples: 64 }));
    const model = (await waitForState(stack, job.body.id, ['completed'])).model_id;
    const dataset = (await uploadFixtures(stack, 'x_small.npy', 'y_small.npy')).id;
    // Nothing takes jobs from the queue now.
    await stack.worker!.close();
    stack.worker = undefined;
    const spec = seedMlpJob({ epochs: 1 });
    const fit = await post(stack, '/v1/jobs', { ...spec, fit: { ...spec.fit, x: { dataset, array: 'x_small' }, y: { dataset, array: 'y_small' }, validation_data: undefined } });
    const predict = await post(stack, `/v1/models/${model}/predict`, { x: { random: { kind: 'uniform', shape: [4, 32], seed: 1 } } });
    assert.equal(fit.status, 202, JSON.stringify(fit.body));
    assert.equal(predict.status, 202, JSON.stringify(predict.body));
    const dsDelete = await del(stack, `/v1/datasets/${dataset}`);
    assert.equal(dsDelete.status, 409);
    assert.match(dsDelete.body.detail, new RegExp(`Dataset "${dataset}" is in use by job "${fit.body.id}"`));
    assert.match((await del(stack, `/v1/models/${model}`)).body.detail, new RegExp(`in use by job "${predict.body.id}"`));
    for (const id of [fit.body.id, predict.body.id]) assert.equal((await del(stack, `/v1/jobs/${id}`)).status, 202);
    assert.equal((await del(stack, `/v1/datasets/${dataset}`)).status, 204);
    assert.equal((await del(stack, `/v1/models/${model}`)).status, 204);
  });

  test('a job submitted while its model is being deleted is refused, not queued on a vanishing model', async () => {
    // The delete's mark, as a delete under way leaves it.
    await stack.redis.set(`${stack.config.redisPrefix}:deleting:model:${trained}-x`, '1', 'PX', 5000);
    const res = await post(stack, '/v1/jobs', { type: 'predict', model_id: `${trained}-x`, predict: { x: { random: { kind: 'uniform', shape: [2, 32], seed: 1 } } } });
    assert.equal(res.status, 409, JSON.stringify(res.body));
    assert.match(res.body.detail, /is being deleted/);
    assert.deepEqual(await stack.redis.keys(`${stack.config.redisPrefix}:uses:*`), [], 'the refused job holds nothing');
  });
});

describe('TTL of models and datasets', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.close();
  });
  const patch = async (url: string, body: unknown) => {
    const res = await fetch(`${stack.baseUrl}${url}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const uploadWithTtl = async (ttl: string) => {
    const form = new FormData();
    for (const name of ['x_small.npy', 'y_small.npy']) form.append('file', new Blob([await fs.readFile(new URL(`fixtures/datasets/${name}`, import.meta.url))]), name);
    const res = await fetch(`${stack.baseUrl}/v1/datasets?ttl_s=${ttl}`, { method: 'POST', body: form });
    return { status: res.status, body: (await res.json()) as any };
  };

  test('expired models and datasets are removed by the janitor, except while a queued job uses them', async () => {
    const job = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 1, samples: 64 }));
    const model = (await waitForState(stack, job.body.id, ['completed'])).model_id;
    const t0 = Date.now();
    const timed = await patch(`/v1/models/${model}`, { ttl_s: 60 });
    assert.equal(timed.status, 200, JSON.stringify(timed.body));
    assert.ok(Math.abs(Date.parse(timed.body.expires_at) - (t0 + 60_000)) < 5000, timed.body.expires_at);
    assert.equal((await getJson(stack, `/v1/models/${model}`)).body.expires_at, timed.body.expires_at);

    const [used, unused] = [await uploadWithTtl('60'), await uploadWithTtl('60')];
    assert.equal(used.status, 201, JSON.stringify(used.body));
    assert.ok(used.body.expires_at, 'the upload answers its expires_at');
    const kept = (await uploadFixtures(stack, 'x_small.npy', 'y_small.npy')).id;
    const cleared = (await uploadWithTtl('60')).body.id;
    const none = await patch(`/v1/datasets/${cleared}`, { ttl_s: null });
    assert.equal(none.status, 200);
    assert.equal(none.body.expires_at, undefined, 'null clears the TTL');

    // A job that reads `used` waits in the queue: nothing takes jobs now.
    await stack.worker!.close();
    stack.worker = undefined;
    const spec = seedMlpJob({ epochs: 1 });
    const ds = used.body.id;
    const fit = await post(stack, '/v1/jobs', { ...spec, fit: { ...spec.fit, x: { dataset: ds, array: 'x_small' }, y: { dataset: ds, array: 'y_small' }, validation_data: undefined } });
    assert.equal(fit.status, 202, JSON.stringify(fit.body));

    const stores = { models: stack.app.services.models, datasets: stack.app.datasets };
    const { references } = stack.app.services;
    assert.deepEqual(await sweepExpired(stores, references, t0 + 30_000), [], 'nothing has expired yet');
    const later = t0 + 120_000;
    assert.deepEqual((await sweepExpired(stores, references, later)).sort(), [`dataset ${unused.body.id}`, `model ${model}`].sort());
    assert.equal((await getJson(stack, `/v1/models/${model}`)).status, 404);
    assert.equal((await getJson(stack, `/v1/datasets/${unused.body.id}`)).status, 404);
    for (const id of [ds, kept, cleared]) assert.equal((await getJson(stack, `/v1/datasets/${id}`)).status, 200, `${id} stays`);

    assert.equal((await del(stack, `/v1/jobs/${fit.body.id}`)).status, 202);
    await waitForState(stack, fit.body.id, ['cancelled']);
    assert.deepEqual(await sweepExpired(stores, references, later), [`dataset ${ds}`], 'once its job has ended, the used dataset goes too');
  });

  test('a TTL out of range or of the wrong type is refused naming ttl_s', async () => {
    const zero = await uploadWithTtl('0');
    assert.equal(zero.status, 400, JSON.stringify(zero.body));
    assert.match(zero.body.detail, /ttl_s/);
    const dataset = (await uploadFixtures(stack, 'x_small.npy')).id;
    for (const body of [{ ttl_s: 'soon' }, { ttl_s: 1e12 }, {}, { ttl_s: 5, extra: 1 }]) {
      const res = await patch(`/v1/datasets/${dataset}`, body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
    }
    assert.equal((await patch('/v1/models/no-such-model', { ttl_s: 5 })).status, 404);
  });
});

/** Every file under a folder: count and bytes. */
async function usage(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    files += 1;
    bytes += (await fs.stat(path.join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

describe('checkpoint retention', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.close();
  });

  test('a 3,000-epoch fit of a 3-weight model keeps a few checkpoints and its history once', async (t) => {
    const EPOCHS = 3000;
    const job = await post(stack, '/v1/jobs', {
      type: 'fit',
      model: { sequential: [{ class_name: 'InputLayer', config: { shape: [2] } }, { class_name: 'Dense', config: { units: 1 } }] },
      compile: { optimizer: 'sgd', loss: 'mse' },
      fit: { x: { random: { kind: 'uniform', shape: [4, 2], seed: 1 } }, y: { random: { kind: 'uniform', shape: [4, 1], seed: 2 } }, batch_size: 4, epochs: EPOCHS },
    });
    assert.equal(job.status, 202, JSON.stringify(job.body));
    const done = await waitForState(stack, job.body.id, ['completed', 'failed'], 600_000);
    assert.equal(done.state, 'completed', JSON.stringify(done.error));
    const model = (await getJson(stack, `/v1/models/${done.model_id}`)).body;
    assert.deepEqual(model.checkpoints.map((c: any) => c.name), ['epoch-2998', 'epoch-2999', 'epoch-3000']);
    const dir = path.join(stack.config.checkpointDir, 'models', done.model_id);
    const { files, bytes } = await usage(dir);
    t.diagnostic(`model folder after ${EPOCHS} epochs: ${files} files, ${bytes} bytes`);
    // Unbounded, this was 15,005 files and 141 MB.
    assert.ok(files <= 25, `${files} files`);
    assert.ok(bytes < 1_000_000, `${bytes} bytes`);
    // The history is on disk once, whole; a checkpoint holds its lengths, not a copy.
    const history = JSON.parse(await fs.readFile(path.join(dir, 'history.json'), 'utf8'));
    assert.equal(history.loss.length, EPOCHS);
    assert.deepEqual(history.loss, done.history.loss);
    const state = await fs.readFile(path.join(dir, 'checkpoints', 'epoch-3000', 'state.json'), 'utf8');
    assert.ok(state.length < 1000, state);
    assert.deepEqual(JSON.parse(state).history_lengths, { loss: EPOCHS });

    // Continuing from a kept checkpoint starts from its own history.
    const next = await post(stack, '/v1/jobs', { type: 'fit', initial_model: { model_id: done.model_id, checkpoint: 'epoch-2998' }, fit: { x: { random: { kind: 'uniform', shape: [4, 2], seed: 1 } }, y: { random: { kind: 'uniform', shape: [4, 1], seed: 2 } }, batch_size: 4, epochs: EPOCHS + 1 } });
    assert.equal(next.status, 202, JSON.stringify(next.body));
    const continued = await waitForState(stack, next.body.id, ['completed', 'failed'], 60_000);
    assert.equal(continued.state, 'completed', JSON.stringify(continued.error));
    assert.equal(continued.history.loss.length, EPOCHS + 1);
    assert.deepEqual(continued.history.loss.slice(0, 2998), history.loss.slice(0, 2998));
    // An epoch checkpoint that retention removed is not there to start from.
    const gone = await post(stack, '/v1/jobs', { type: 'fit', initial_model: { model_id: done.model_id, checkpoint: 'epoch-0001' }, fit: { x: { random: { kind: 'uniform', shape: [4, 2], seed: 1 } }, y: { random: { kind: 'uniform', shape: [4, 1], seed: 2 } }, epochs: 2 } });
    assert.equal(gone.status, 422);
    assert.match(gone.body.errors[0].message, /has no checkpoint "epoch-0001"; it has epoch-2998, epoch-2999, epoch-3000/);
  });

  test('retention spares an epoch checkpoint that a queued job names, while its model still trains', async () => {
    const spec = seedMlpJob({ epochs: 40, samples: 4000 });
    const fit = await post(stack, '/v1/jobs', spec);
    assert.equal(fit.status, 202, JSON.stringify(fit.body));
    // epoch-0002 exists once two epochs are done, and keep_checkpoints=2 would prune it after the fifth.
    let record: any;
    do {
      await new Promise((r) => setTimeout(r, 20));
      record = (await getJson(stack, `/v1/jobs/${fit.body.id}`)).body;
    } while (record.progress.epoch < 2 && !['completed', 'failed'].includes(record.state));
    assert.equal(record.state, 'running');
    const predict = await post(stack, `/v1/models/${record.model_id}/predict?checkpoint=epoch-0002`, { x: { random: { kind: 'uniform', shape: [3, 32], seed: 1 } } });
    assert.equal(predict.status, 202, JSON.stringify(predict.body));
    assert.equal((await waitForState(stack, fit.body.id, ['completed'], 120_000)).state, 'completed');
    const done = await waitForState(stack, predict.body.id, ['completed', 'failed']);
    assert.equal(done.state, 'completed', JSON.stringify(done.error));
    assert.equal(done.result.predictions[0].length, 3);
    const names = (await getJson(stack, `/v1/models/${record.model_id}`)).body.checkpoints.map((c: any) => c.name);
    assert.deepEqual(names, ['epoch-0002', 'epoch-0038', 'epoch-0039', 'epoch-0040'], 'the named one stayed; the others went as usual');
  });

  test('keep_checkpoints keeps that many more; 0 keeps only the latest', async () => {
    for (const keep of [0, 4]) {
      const spec = seedMlpJob({ epochs: 6, samples: 32 });
      const job = await post(stack, '/v1/jobs', { ...spec, fit: { ...spec.fit, keep_checkpoints: keep } });
      const done = await waitForState(stack, job.body.id, ['completed']);
      const model = (await getJson(stack, `/v1/models/${done.model_id}`)).body;
      assert.deepEqual(model.checkpoints.map((c: any) => c.epoch), [5, 4, 3, 2, 1].slice(0, keep + 1).reverse(), `keep_checkpoints ${keep}`);
    }
    const spec = seedMlpJob({ epochs: 1 });
    const bad = await post(stack, '/v1/jobs', { ...spec, fit: { ...spec.fit, keep_checkpoints: -1 } });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /keep_checkpoints/);
    // Retention deletes epoch-NNNN: a ModelCheckpoint may not write under that name.
    const clash = await post(stack, '/v1/jobs', { ...spec, fit: { ...spec.fit, callbacks: [{ class_name: 'ModelCheckpoint', config: { filepath: 'epoch-{epoch:04d}.keras' } }] } });
    assert.equal(clash.status, 422);
    assert.match(clash.body.errors[0].message, /names starting with "epoch-" are reserved/);
  });
});

describe('interrupted replacing writes', () => {
  test('killed between the two renames, the old copy is put back; beside a complete new copy it is removed', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'kj-store-'));
    try {
      const store = new ModelStore(root);
      await store.writeCheckpoint('m1', 'best.keras', { 'state.json': '{"epoch":3}', 'weights.bin': new Uint8Array([1, 2, 3]) });
      const base = path.join(store.dir('m1'), 'checkpoints');
      // writeDirAtomic renames the old folder aside, then the new one into place: a kill between leaves only the old one.
      await fs.rename(path.join(base, 'best.keras'), path.join(base, '.old-best.keras-0badf00d'));
      await fs.mkdir(path.join(base, '.tmp-best.keras-0badf00d'));
      await store.writeCheckpoint('m1', 'epoch-0002', { 'state.json': '{"epoch":1}' });
      await fs.mkdir(path.join(base, '.old-epoch-0002-12345678'));
      const removed = await store.removeInterruptedWrites('m1');
      assert.deepEqual(removed.sort(), ['.old-best.keras-0badf00d (restored as best.keras)', '.old-epoch-0002-12345678', '.tmp-best.keras-0badf00d']);
      assert.deepEqual((await fs.readdir(base)).sort(), ['best.keras', 'epoch-0002']);
      assert.deepEqual([...(await fs.readFile(path.join(base, 'best.keras', 'weights.bin')))], [1, 2, 3]);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});

/** Bytes Redis holds under the stack's prefix (MEMORY USAGE of every key). */
async function redisBytes(stack: Stack): Promise<number> {
  const keys = await stack.redis.keys(`${stack.config.redisPrefix}:*`);
  let total = 0;
  for (const key of keys) total += (await stack.redis.memory('USAGE', key)) ?? 0;
  return total;
}

describe('payloads out of Redis', () => {
  let stack: Stack;
  let worker: RunningWorker | undefined;
  before(async () => {
    // No worker until the first test has looked at a queued job.
    stack = await startStack({ worker: false });
  });
  after(async () => {
    await worker?.close();
    await stack.close();
  });

  /** A seeded model and unshuffled fit on these arrays (inline, or as dataset references), so two runs can be compared. */
  const seededFit = (x: unknown, y: unknown) => {
    const spec = seedMlpJob({ epochs: 2 });
    spec.model.layers.forEach((l, i) => ((l.config as any).kernel_initializer = { class_name: 'GlorotUniform', config: { seed: 11 + i } }));
    return { ...spec, fit: { x, y, batch_size: 64, epochs: 2, shuffle: false } };
  };
  const rows = 3000;
  const xs = Array.from({ length: rows }, (_, i) => Array.from({ length: 32 }, (_, j) => Math.sin(i * 32 + j)));
  const ys = Array.from({ length: rows }, (_, i) => i % 10);

  test('big inline arrays are staged to disk at submit, train as if inline, and leave nothing once the job ends', async (t) => {
    const before = await redisBytes(stack);
    const body = seededFit(xs, ys);
    const bodyBytes = JSON.stringify(body).length;
    const job = await post(stack, '/v1/jobs', body);
    assert.equal(job.status, 202, JSON.stringify(job.body));
    const payloadDir = path.join(stack.config.datasetDir, `payload-${job.body.id}`);
    assert.deepEqual((await fs.readdir(payloadDir)).sort(), ['a0.npy', 'a1.npy', 'meta.json']);
    const queued = await redisBytes(stack);
    t.diagnostic(`a queued job with a ${bodyBytes}-byte body: ${queued - before} bytes of Redis`);
    assert.ok(queued - before < 30_000, `a queued ${bodyBytes}-byte job takes ${queued - before} bytes of Redis`);
    // The spec still shows the data by shape.
    const spec = (await getJson(stack, `/v1/jobs/${job.body.id}/spec`)).body.spec;
    assert.deepEqual(spec.fit.x, { array: { shape: [rows, 32], inline: true } });
    worker = await startWorker(stack.config, pino({ level: 'warn' }));
    const staged = await waitForState(stack, job.body.id, ['completed', 'failed']);
    assert.equal(staged.state, 'completed', JSON.stringify(staged.error));
    await assert.rejects(fs.stat(payloadDir), 'the staged payload is removed when the job ends');

    // The same arrays uploaded as a dataset train to the same numbers.
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(writeNpy({ shape: [rows, 32], dtype: 'float32', values: Float32Array.from(xs.flat()) }))]), 'x.npy');
    form.append('file', new Blob([new Uint8Array(writeNpy({ shape: [rows], dtype: 'int32', values: Int32Array.from(ys) }))]), 'y.npy');
    const dataset = (await (await fetch(`${stack.baseUrl}/v1/datasets`, { method: 'POST', body: form })).json()) as { id: string };
    const reference = await post(stack, '/v1/jobs', seededFit({ dataset: dataset.id, array: 'x' }, { dataset: dataset.id, array: 'y' }));
    const expected = await waitForState(stack, reference.body.id, ['completed', 'failed']);
    assert.deepEqual(staged.history, expected.history);
  });

  test('Redis holds no more after a batch of big-body jobs than before it, but their records', async (t) => {
    const spec = seedMlpJob({ epochs: 1 });
    const body = { ...spec, fit: { ...spec.fit, x: xs, y: ys, validation_data: undefined } };
    const one = await post(stack, '/v1/jobs', body);
    await waitForState(stack, one.body.id, ['completed']);
    const before = await redisBytes(stack);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await post(stack, '/v1/jobs', body)).body.id);
    for (const id of ids) assert.equal((await waitForState(stack, id, ['completed', 'failed'])).state, 'completed');
    const grown = (await redisBytes(stack)) - before;
    const perJob = grown / ids.length;
    t.diagnostic(`${ids.length} finished jobs with ${JSON.stringify(body).length}-byte bodies: Redis grew ${grown} bytes (${Math.round(perJob)} a job)`);
    // The bodies were ~2 MB each; what stays is each job's record, events and abbreviated spec.
    assert.ok(perJob < 20_000, `${perJob} bytes of Redis per finished job (${JSON.stringify(body).length}-byte body)`);
    assert.deepEqual(await stack.redis.keys(`${stack.config.redisPrefix}:${stack.config.queueName}:${ids[0]}*`), [], 'the queue entry is gone');
  });

  test('finished predict jobs keep their predictions on disk, not in Redis, and still show them inline', async (t) => {
    worker ??= await startWorker(stack.config, pino({ level: 'warn' }));
    const trained = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 1, samples: 64 }));
    const model = (await waitForState(stack, trained.body.id, ['completed'])).model_id;
    // 5,000 × 10 = 50,000 numbers: under PREDICTIONS_INLINE_MAX, so the view carries them.
    const before = await redisBytes(stack);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await post(stack, `/v1/models/${model}/predict`, { x: { random: { kind: 'uniform', shape: [5000, 32], seed: i } } })).body.id);
    const done = await Promise.all(ids.map((id) => waitForState(stack, id, ['completed', 'failed'])));
    const perJob = ((await redisBytes(stack)) - before) / ids.length;
    t.diagnostic(`${ids.length} finished predict jobs of 50,000 numbers each: ${Math.round(perJob)} bytes of Redis a job`);
    assert.ok(perJob < 20_000, `${perJob} bytes of Redis per finished predict job`);
    const [out] = done[0].result.predictions;
    assert.equal(out.length, 5000);
    assert.equal(out[0].length, 10);
    const npy = Buffer.from(await (await fetch(`${stack.baseUrl}/v1/jobs/${ids[0]}/result/predictions.npy`)).arrayBuffer());
    assert.deepEqual(out.flat(), Array.from(parseNpy(new Uint8Array(npy)).values), 'the inline numbers are the .npy numbers');
  });
});

describe('leftovers of ended jobs', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ worker: false });
  });
  after(async () => {
    await stack.close();
  });

  test('the janitor removes results of expired jobs and payloads and uploads of ended or never-queued jobs, nothing younger or still needed', async () => {
    const { checkpointDir, datasetDir } = stack.config;
    const jobs = stack.app.services.jobs;
    const id = () => crypto.randomUUID();
    const record = (jobId: string, state: 'queued' | 'completed') => ({ id: jobId, type: 'predict', state, created_at: new Date().toISOString(), progress: { epoch: 0, epochs: 0 }, history: {}, attempts: 0, tenant: 'public' }) as const;
    const [expired, live, ended, orphan, young, queued] = [id(), id(), id(), id(), id(), id()];
    await jobs.create(record(live, 'completed'), {});
    await jobs.create(record(ended, 'completed'), {});
    await jobs.create(record(queued, 'queued'), {});
    const made: string[] = [];
    const make = async (p: string, old = true) => {
      await fs.mkdir(path.dirname(p), { recursive: true });
      await fs.writeFile(p, 'x');
      if (old) await fs.utimes(p, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
      made.push(p);
      return p;
    };
    const result = (j: string) => path.join(checkpointDir, 'results', j);
    await make(path.join(result(expired), 'out.npy'));
    await fs.utimes(result(expired), new Date(0), new Date(0));
    await make(path.join(result(live), 'out.npy'));
    await fs.utimes(result(live), new Date(0), new Date(0));
    const payload = (j: string) => path.join(datasetDir, `payload-${j}`);
    for (const j of [ended, orphan, queued]) {
      await make(path.join(payload(j), 'a0.npy'));
      await fs.utimes(payload(j), new Date(0), new Date(0));
    }
    await make(path.join(payload(young), 'a0.npy'));
    const upload = (j: string) => path.join(checkpointDir, 'imports', `${j}.keras`);
    await make(upload(ended));
    await make(upload(orphan));
    await make(upload(young), false);
    const removed = await sweepLeftovers({ checkpointDir, datasetDir }, jobs, 600_000);
    assert.deepEqual(removed.sort(), [`import ${ended}.keras`, `import ${orphan}.keras`, `payload payload-${ended}`, `payload payload-${orphan}`, `result ${expired}`].sort());
    const exists = (p: string) => fs.stat(p).then(() => true, () => false);
    assert.ok(await exists(result(live)), "a live record's predictions stay");
    assert.ok(await exists(payload(queued)), "a queued job's payload stays");
    assert.ok(await exists(payload(young)) && (await exists(upload(young))), 'files younger than the grace period stay');
  });
});

describe('a client that does not read its event stream', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ worker: false });
  });
  after(async () => {
    await stack.close();
  });

  test('is dropped once its unsent events pass the buffer cap, instead of growing the API without bound', async () => {
    const job = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 1 }));
    const { port } = new URL(stack.baseUrl);
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(`GET /v1/jobs/${job.body.id}/events HTTP/1.1\r\nHost: x\r\n\r\n`);
    socket.pause(); // and never read
    const { quotas, events } = stack.app.services;
    for (let i = 0; i < 100 && (await quotas.openStreams('public')) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await quotas.openStreams('public'), 1);
    // 40 MB of events: far more than loopback socket buffers and the 1 MB cap together.
    const blob = 'x'.repeat(200_000);
    for (let i = 0; i < 200 && (await quotas.openStreams('public')) > 0; i++) await events.append(job.body.id, 'progress', { blob, i });
    for (let i = 0; i < 100 && (await quotas.openStreams('public')) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await quotas.openStreams('public'), 0, 'the stream was closed');
    socket.destroy();
  });
});
