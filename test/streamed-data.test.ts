/**
 * Datasets read batch by batch from their stored .npy files (issue 17): the shuffle covers every
 * row once an epoch across windows, and a streamed fit, evaluate and predict give the numbers of
 * the same data in memory — with validation_split, class_weight, sample_weight and selections.
 * Real files (DatasetStore on a temp dir), real tfjs-node, and the real service for the API half.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '../src/engine/backend.ts';
import { batchesOf, epochWindows, windowRowsFor } from '../src/engine/batch-reader.ts';
import { HostRows, type ArrayRows, type DataRows } from '../src/engine/data-source.ts';
import { KerasModel } from '../src/engine/model.ts';
import { Trainer, type FitOptions } from '../src/engine/trainer.ts';
import { DatasetStore } from '../src/datasets/dataset-store.ts';
import type { NpyRows } from '../src/datasets/npy-rows.ts';
import { parseNpy, writeNpy } from '../src/datasets/npy.ts';
import type { HostArray } from '../src/spec/arrays.ts';
import { resolveCompile } from '../src/spec/compile.ts';
import { checkGraph, normalizeModel } from '../src/spec/graph.ts';
import { ModelStore } from '../src/store/model-store.ts';
import { loadModel } from '../workers/model-loader.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { del, post, waitForState } from './helpers/http.ts';

const N = 1000;
/** Deterministic, varied values (no RNG, so failures reproduce). */
const wave = (i: number) => Math.sin(i * 0.731) * 1.5 + Math.cos(i * 0.137);
function arrays(): Record<string, HostArray> {
  const x = Float32Array.from({ length: N * 6 }, (_, i) => wave(i));
  const y = Float32Array.from({ length: N }, (_, r) => 0.5 * x[r * 6] - x[r * 6 + 3] + 0.1);
  const label = Int32Array.from({ length: N }, (_, r) => (x[r * 6 + 1] + x[r * 6 + 2] > 0 ? 1 : 0));
  const weight = Float32Array.from({ length: N }, (_, r) => 0.5 + (r % 4) * 0.25);
  const index = Int32Array.from({ length: N }, (_, r) => r);
  return {
    x: { dtype: 'float32', shape: [N, 6], values: x },
    y: { dtype: 'float32', shape: [N, 1], values: y },
    label: { dtype: 'int32', shape: [N, 1], values: label },
    weight: { dtype: 'float32', shape: [N], values: weight },
    index: { dtype: 'int32', shape: [N], values: index },
  };
}

const dense = (units: number, activation = 'linear', name?: string) => ({ class_name: 'Dense', config: { units, activation, ...(name ? { name } : {}) } });
function makeTrainer(head: 'regression' | 'binary') {
  const spec = { sequential: [{ class_name: 'InputLayer', config: { shape: [6] } }, dense(8, 'relu', 'hidden'), dense(1, head === 'binary' ? 'sigmoid' : 'linear', 'out')] };
  const graph = checkGraph(normalizeModel(spec as any));
  const model = new KerasModel(graph);
  const compile = head === 'binary' ? { optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] } : { optimizer: 'adam', loss: 'mse', metrics: ['mae'] };
  return { model, trainer: new Trainer(model, resolveCompile(compile as any, graph.outputs)) };
}

/** Makes trainers that all start from the first one's weights. */
function sameStart(head: 'regression' | 'binary') {
  let init: Record<string, unknown[]> | undefined;
  return () => {
    const made = makeTrainer(head);
    if (init) made.model.setWeights(init);
    else init = Object.fromEntries(Object.entries(made.model.getWeights()).map(([k, ts]) => [k, ts.map((t) => t.arraySync())]));
    return made;
  };
}

/** Values per layer, flat, to compare two models exactly. */
const weightsOf = (model: KerasModel) => Object.fromEntries(Object.entries(model.getWeights()).map(([k, ts]) => [k, ts.map((t) => Array.from(t.dataSync()))]));

describe('streamed datasets', () => {
  let dir: string;
  let store: DatasetStore;
  const opened: NpyRows[] = [];
  const open = async (name: string, options?: { rows?: [number, number]; columns?: number[] }) => {
    const rows = await store.openRows('ds', name, options);
    opened.push(rows);
    return rows;
  };
  const inMemory = (name: string) => new HostRows(arrays()[name]);

  before(async () => {
    await initBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kj-stream-'));
    store = new DatasetStore(dir, { maxBytes: 0 });
    await store.stage('ds', arrays());
  });
  after(async () => {
    await Promise.all(opened.map((r) => r.close()));
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('shuffled across windows, every row is read exactly once an epoch, in an order that changes by epoch', async () => {
    const index = await open('index');
    const x = await open('x');
    const data: ArrayRows[] = [index, x];
    // 100 rows a window (4 + 24 bytes a row): ten windows of blocks of 2 rows, batches of 32 crossing them.
    const windowRows = windowRowsFor(data, 2800);
    assert.equal(windowRows, 100);
    const orders: number[][] = [];
    for (const epoch of [0, 1]) {
      const windows = epochWindows(N, { shuffle: true, seed: epoch, windowRows, inMemory: false });
      assert.equal(windows.length, 10);
      assert.ok(windows.every((w) => w.rows <= windowRows && w.runs.length === 50));
      const seen: number[] = [];
      for await (const [rows, xs] of batchesOf(data, windows, 32)) {
        assert.ok(rows.length <= 32);
        // x travels with its row: the same permutation applies to every array.
        rows.forEach((r, j) => assert.equal(xs[j * 6 + 2], Math.fround(wave(r * 6 + 2))));
        seen.push(...rows);
      }
      assert.equal(seen.length, N);
      assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i));
      orders.push(seen);
    }
    assert.notDeepEqual(orders[0], orders[1]);
    // Rows of one batch come from all over the file, not from one stretch of it.
    const spread = Math.max(...orders[0].slice(0, 32)) - Math.min(...orders[0].slice(0, 32));
    assert.ok(spread > N / 2, `the first batch spans rows ${spread} apart`);

    const inOrder: number[] = [];
    for await (const [rows] of batchesOf([index], epochWindows(N, { shuffle: false, seed: 0, windowRows: 70, inMemory: false }), 32)) inOrder.push(...rows);
    assert.deepEqual(inOrder, Array.from({ length: N }, (_, i) => i));
  });

  test('small data shuffles by one permutation of all rows, the same from disk as from memory', async () => {
    const index = await open('index');
    const fromDisk: number[] = [];
    const fromMemory: number[] = [];
    for await (const [rows] of batchesOf([index], epochWindows(N, { shuffle: true, seed: 7, windowRows: windowRowsFor([index]), inMemory: false }), 64)) fromDisk.push(...rows);
    for await (const [rows] of batchesOf([inMemory('index')], epochWindows(N, { shuffle: true, seed: 7, windowRows: 10, inMemory: true }), 64)) fromMemory.push(...rows);
    assert.deepEqual(fromDisk, fromMemory);
  });

  test('row and column selections read only what they select', async () => {
    const part = await open('x', { rows: [-300, 900], columns: [4, -1, 0] });
    assert.deepEqual(part.shape, [200, 3]);
    const values = await part.read([[0, 2], [199, 1]]);
    const expect = (r: number) => [4, 5, 0].map((c) => Math.fround(wave((700 + r) * 6 + c)));
    assert.deepEqual(Array.from(values), [...expect(0), ...expect(1), ...expect(199)]);
  });

  const fitBoth = async (head: 'regression' | 'binary', pick: (src: (name: string) => Promise<ArrayRows> | ArrayRows) => Promise<DataRows>, options: FitOptions) => {
    const results = [];
    const make = sameStart(head);
    for (const source of ['disk', 'memory'] as const) {
      const { model, trainer } = make();
      try {
        const data = await pick(source === 'disk' ? (name) => open(name) : inMemory);
        // Windows of 90 rows on disk: batches of 32 straddle them.
        const { history } = await trainer.fit(data, { ...options, windowBytes: source === 'disk' ? 90 * 36 : undefined });
        const evaluated = await trainer.evaluate(data, { batchSize: 50, windowBytes: source === 'disk' ? 3000 : undefined });
        const [predicted] = await trainer.predict(data.x, { batchSize: 64, windowBytes: source === 'disk' ? 1000 : undefined });
        results.push({ history, evaluated, predicted: Array.from(predicted.dataSync()), weights: weightsOf(model), execution: trainer.lastExecution });
        predicted.dispose();
      } finally {
        trainer.dispose();
        model.dispose();
      }
    }
    const [disk, memory] = results;
    assert.equal(disk.execution, 'graph');
    assert.deepEqual(disk.history, memory.history);
    assert.deepEqual(disk.evaluated, memory.evaluated);
    assert.deepEqual(disk.predicted, memory.predicted);
    assert.deepEqual(disk.weights, memory.weights);
    return disk;
  };

  test('shuffle=False: a streamed fit with validation_split and sample_weight is the in-memory fit, to the bit', async () => {
    const run = await fitBoth('regression', async (src) => ({ x: [await src('x')], y: [await src('y')], sampleWeight: [await src('weight')] }), { batchSize: 32, epochs: 3, shuffle: false, validationSplit: 0.25 });
    assert.deepEqual(Object.keys(run.history), ['loss', 'mae', 'val_loss', 'val_mae']);
    assert.ok(run.history.loss[2] < run.history.loss[0]);
  });

  test('shuffle=False with class_weight on streamed int32 labels is the in-memory fit, and class_weight changes it', async () => {
    const pick = async (src: (name: string) => Promise<ArrayRows> | ArrayRows) => ({ x: [await src('x')], y: [await src('label')] });
    const weighted = await fitBoth('binary', pick, { batchSize: 32, epochs: 2, shuffle: false, classWeight: { '0': 1, '1': 3 } });
    const plain = await fitBoth('binary', pick, { batchSize: 32, epochs: 2, shuffle: false });
    assert.notDeepEqual(weighted.history.loss, plain.history.loss);
  });

  test('a shuffled streamed fit trains as well as the in-memory one on the same data', async () => {
    const losses = [];
    const make = sameStart('regression');
    for (const source of ['disk', 'memory']) {
      const { model, trainer } = make();
      try {
        const data = source === 'disk' ? { x: [await open('x')], y: [await open('y')] } : { x: [inMemory('x')], y: [inMemory('y')] };
        const { history } = await trainer.fit(data, { batchSize: 32, epochs: 6, windowBytes: source === 'disk' ? 90 * 28 : undefined });
        losses.push(history.loss);
      } finally {
        trainer.dispose();
        model.dispose();
      }
    }
    const [disk, memory] = losses;
    assert.notDeepEqual(disk, memory, 'the orders differ (block shuffle on disk)');
    assert.ok(disk[5] < 0.75 * disk[0], `streamed loss fell: ${disk}`);
    assert.ok(Math.abs(disk[5] - memory[5]) < 0.25 * memory[5], `final losses close: ${disk} vs ${memory}`);
  });

  test('sparse labels are checked on the whole streamed array before training', async () => {
    const spec = { sequential: [{ class_name: 'InputLayer', config: { shape: [6] } }, dense(2, 'softmax')] };
    const graph = checkGraph(normalizeModel(spec as any));
    const model = new KerasModel(graph);
    const trainer = new Trainer(model, resolveCompile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' } as any, graph.outputs));
    try {
      // index holds 0..999: far outside [0, 2), found in its last windows too.
      await assert.rejects(trainer.fit({ x: [await open('x')], y: [await open('index')] }, { windowBytes: 400 }), /needs integer class indices in \[0, 2\); the labels range over \[0, 999\]/);
      assert.equal(model.getWeights()[Object.keys(model.getWeights())[0]][0].dataSync().length, 12, 'still a model');
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });
});

describe('streamed datasets through the API', () => {
  let stack: Stack;
  before(async () => {
    // A small in-memory cap: datasets are bound by disk, inline arrays by it.
    stack = await startStack({ env: { MAX_ARRAY_ELEMENTS: '5000' } });
  });
  after(async () => {
    await stack.close();
  });

  async function uploadArrays(named: Record<string, HostArray>) {
    const form = new FormData();
    for (const [name, a] of Object.entries(named)) form.append('file', new Blob([new Uint8Array(writeNpy(a))]), `${name}.npy`);
    const res = await fetch(`${stack.baseUrl}/v1/datasets`, { method: 'POST', body: form });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { id: string }).id;
  }
  const model = { sequential: [{ class_name: 'InputLayer', config: { shape: [6] } }, dense(16, 'relu'), dense(1)] };

  test('a fit on a dataset past MAX_ARRAY_ELEMENTS runs; deleting the dataset meanwhile is 409; predict writes its .npy from the stream', async () => {
    const id = await uploadArrays(arrays());
    const ds = (array: string) => ({ dataset: id, array });
    const inline = await post(stack, '/v1/jobs', { type: 'fit', model, compile: { optimizer: 'adam', loss: 'mse' }, fit: { x: Array.from({ length: 1000 }, () => [0, 0, 0, 0, 0, 0]), y: Array.from({ length: 1000 }, () => [0]) } });
    assert.equal(inline.status, 422);
    assert.match(inline.body.errors[0].message, /MAX_ARRAY_ELEMENTS/);

    const fit = await post(stack, '/v1/jobs', { type: 'fit', model, compile: { optimizer: 'adam', loss: 'mse' }, fit: { x: ds('x'), y: ds('y'), batch_size: 8, epochs: 40, validation_split: 0.2 } });
    assert.equal(fit.status, 202, JSON.stringify(fit.body));
    await waitForState(stack, fit.body.id, ['running']);
    const busy = await del(stack, `/v1/datasets/${id}`);
    assert.equal(busy.status, 409, JSON.stringify(busy.body));
    assert.match(JSON.stringify(busy.body), new RegExp(fit.body.id));
    const done = await waitForState(stack, fit.body.id, ['completed', 'failed'], 180_000);
    assert.equal(done.state, 'completed', done.error?.message);
    assert.equal(done.history.val_loss.length, 40);

    const predicted = await post(stack, '/v1/jobs', { type: 'predict', model_id: done.model_id, predict: { x: { ...ds('x'), rows: [100, 1000] }, batch_size: 64 } });
    assert.equal(predicted.status, 202, JSON.stringify(predicted.body));
    const pd = await waitForState(stack, predicted.body.id, ['completed', 'failed']);
    assert.equal(pd.state, 'completed', pd.error?.message);
    assert.deepEqual(pd.result.shapes, [[900, 1]]);
    const npy = parseNpy(Buffer.from(await (await fetch(`${stack.baseUrl}/v1/jobs/${predicted.body.id}/result/${pd.result.output_names[0]}.npy`)).arrayBuffer()));
    assert.deepEqual(npy.shape, [900, 1]);
    const loaded = await loadModel(new ModelStore(stack.config.checkpointDir), done.model_id);
    try {
      const x = arrays().x;
      const [direct] = await loaded.trainer.predict([new HostRows({ ...x, shape: [900, 6], values: x.values.subarray(600) })], { batchSize: 64 });
      assert.deepEqual(Array.from(npy.values), Array.from(direct.dataSync()));
      direct.dispose();
    } finally {
      loaded.trainer.dispose();
      loaded.model.dispose();
    }
    assert.equal((await del(stack, `/v1/datasets/${id}`)).status, 204);
  });

  test('class_weight with sample_weight is refused at submit, as Keras refuses it', async () => {
    const id = await uploadArrays({ x: arrays().x, label: arrays().label, weight: arrays().weight });
    const res = await post(stack, '/v1/jobs', {
      type: 'fit',
      model: { sequential: [{ class_name: 'InputLayer', config: { shape: [6] } }, dense(1, 'sigmoid')] },
      compile: { optimizer: 'adam', loss: 'binary_crossentropy' },
      fit: { x: { dataset: id, array: 'x' }, y: { dataset: id, array: 'label' }, sample_weight: { dataset: id, array: 'weight' }, class_weight: { '0': 1, '1': 2 } },
    });
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.errors[0].pointer, '/fit/class_weight');
    assert.match(res.body.errors[0].message, /sample_weight/);
  });
});
