/**
 * Keras files in and out: golden .keras / .h5 files written by real Keras 3
 * (test/fixtures/keras/archives/make_archive_golden.py) read back with the values Keras recorded;
 * our .keras output compared structurally with Keras's own (CI has no Python; the load check
 * with real Keras is scripts/keras_load_check.py); bad files rejected with pointers.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import yauzl from 'yauzl';
import { initBackend } from '../src/engine/backend.ts';
import { KerasModel } from '../src/engine/model.ts';
import { modelFiles } from '../src/engine/serialize.ts';
import { checkGraph, normalizeModel } from '../src/spec/graph.ts';
import { h5Ready, keras3LayerPaths, readKeras3WeightsH5, readLegacyH5, writeKeras3WeightsH5 } from '../src/keras/h5-weights.ts';
import { detectKerasFormat, kerasLayersOf, pythonJson, readKerasArchive, readLegacyArchive, readWeightsFromTfjs, writeKerasArchive } from '../src/keras/keras-archive.ts';
import { KerasImportError, type KerasArchive, type KerasWeights } from '../src/keras/types.ts';
import { zip } from './helpers/zip.ts';

const DIR = new URL('./fixtures/keras/archives/', import.meta.url);
const KERAS_FILES = ['tutorial_mlp', 'cnn_bn', 'lstm', 'gru', 'mixed'];

interface Golden {
  file: string;
  keras_version: string;
  model_class: string;
  layers: Array<{ name: string; class_name: string; h5_path: string; weights: Array<{ shape: number[]; sum: number; head: number[] }> }>;
}

const fixture = async (name: string) => new Uint8Array(await fs.readFile(new URL(name, DIR)));
const golden = async (name: string) => JSON.parse(await fs.readFile(new URL(`${name}.json`, DIR), 'utf8')) as Golden;

/** Every member of a zip, in order, with its compression method and inflated bytes. */
async function unzip(bytes: Uint8Array): Promise<Array<{ name: string; method: number; data: Buffer }>> {
  const z = await yauzl.fromBufferPromise(Buffer.from(bytes), { lazyEntries: true });
  const out: Array<{ name: string; method: number; data: Buffer }> = [];
  for await (const entry of z.eachEntry()) {
    const chunks: Buffer[] = [];
    for await (const c of (await z.openReadStreamPromise(entry)) as AsyncIterable<Buffer>) chunks.push(c);
    out.push({ name: entry.fileName, method: entry.compressionMethod, data: Buffer.concat(chunks) });
  }
  return out;
}

/** An HDF5 file's groups and datasets (path, shape, vars name attribute), optimizer state left out. */
async function h5Layout(bytes: Uint8Array): Promise<string[]> {
  const h5wasm = await import('h5wasm');
  const FS = h5wasm.Module.FS as unknown as { writeFile(p: string, d: Uint8Array): void; unlink(p: string): void };
  FS.writeFile('/layout.h5', bytes);
  const file = new h5wasm.File('/layout.h5', 'r');
  const out: string[] = [];
  const walk = (group: InstanceType<typeof h5wasm.Group>, at: string) => {
    for (const key of group.keys().sort()) {
      const path = at ? `${at}/${key}` : key;
      if (path === 'optimizer') continue;
      const child = group.get(key);
      if (child instanceof h5wasm.Dataset) out.push(`${path} [${child.shape}] ${child.dtype}`);
      else if (child instanceof h5wasm.Group) {
        const name = Object.hasOwn(child.attrs, 'name') ? ` name=${child.attrs.name.json_value}` : '';
        out.push(`${path}/${name}`);
        walk(child, path);
      }
    }
  };
  try {
    walk(file, '');
  } finally {
    file.close();
    FS.unlink('/layout.h5');
  }
  return out;
}

/** An HDF5 file built with h5wasm, as bytes. */
async function makeH5(build: (file: InstanceType<Awaited<typeof import('h5wasm')>['File']>) => void): Promise<Uint8Array> {
  const h5wasm = await import('h5wasm');
  const FS = h5wasm.Module.FS as unknown as { readFile(p: string): Uint8Array; unlink(p: string): void };
  const file = new h5wasm.File('/made.h5', 'w');
  try {
    build(file);
  } finally {
    file.close();
  }
  const bytes = FS.readFile('/made.h5');
  FS.unlink('/made.h5');
  return bytes;
}

function assertMatchesGolden(weights: KerasWeights, g: Golden) {
  const withWeights = g.layers.filter((l) => l.weights.length);
  assert.deepEqual(Object.keys(weights), withWeights.map((l) => l.name), 'layers with weights, in model order');
  for (const layer of withWeights) {
    const arrays = weights[layer.name];
    assert.deepEqual(arrays.map((a) => a.shape), layer.weights.map((w) => w.shape), `${layer.name}: shapes`);
    layer.weights.forEach((w, i) => {
      const data = arrays[i].data;
      assert.ok(data instanceof Float32Array);
      assert.deepEqual([...data.subarray(0, w.head.length)], w.head, `${layer.name}[${i}]: first values`);
      let sum = 0;
      let scale = 0;
      for (const v of data) {
        sum += v;
        scale += Math.abs(v);
      }
      assert.ok(Math.abs(sum - w.sum) <= 1e-9 * scale + 1e-12, `${layer.name}[${i}]: sum ${sum}, Keras ${w.sum}`);
    });
  }
}

function assertSameBits(a: KerasWeights, b: KerasWeights) {
  assert.deepEqual(Object.keys(a), Object.keys(b));
  for (const [name, arrays] of Object.entries(a)) {
    assert.equal(arrays.length, b[name].length, name);
    arrays.forEach((x, i) => {
      assert.deepEqual(x.shape, b[name][i].shape, `${name}[${i}] shape`);
      assert.ok(Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength).equals(Buffer.from(b[name][i].data.buffer, b[name][i].data.byteOffset, b[name][i].data.byteLength)), `${name}[${i}] bits`);
    });
  }
}

async function rejects(work: Promise<unknown> | (() => unknown), pointer: string, message: RegExp) {
  let caught: unknown;
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof KerasImportError, `expected a KerasImportError, got ${caught}`);
  const issue = caught.issues.find((i) => i.pointer === pointer);
  assert.ok(issue, `no issue at "${pointer}": ${JSON.stringify(caught.issues)}`);
  assert.match(issue.message, message);
}

const member = (name: string, data: Uint8Array | string, extra: { declaredSize?: number; method?: 0 | 8 } = {}) => ({
  name,
  data: typeof data === 'string' ? Buffer.from(data) : data,
  method: extra.method ?? (8 as const),
  declaredSize: extra.declaredSize,
});

describe('Keras archives', () => {
  const archives = new Map<string, KerasArchive>();
  before(async () => {
    await h5Ready();
    for (const name of KERAS_FILES) archives.set(name, await readKerasArchive(await fixture(`${name}.keras`)));
  });

  test('detectKerasFormat tells zip from HDF5 from anything else', async () => {
    assert.equal(detectKerasFormat(await fixture('lstm.keras')), 'keras');
    assert.equal(detectKerasFormat(await fixture('legacy.h5')), 'h5');
    assert.equal(detectKerasFormat(new TextEncoder().encode('{"class_name": "Sequential"}')), undefined);
    assert.equal(detectKerasFormat(new Uint8Array(0)), undefined);
  });

  for (const name of KERAS_FILES) {
    test(`${name}.keras: layer names, shapes and values as Keras recorded them`, async () => {
      const g = await golden(name);
      const archive = archives.get(name)!;
      assertMatchesGolden(archive.weights, g);
      assert.equal(archive.config.class_name, g.model_class === 'Sequential' ? 'Sequential' : 'Functional');
      assert.equal(archive.metadata.keras_version, g.keras_version);
      assert.match(String(archive.metadata.date_saved), /^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$/);
      // Our naming of the HDF5 groups is Keras's (the generator records where Keras put each layer).
      const layers = kerasLayersOf(archive.config).filter((l) => g.model_class === 'Functional' || l.class_name !== 'InputLayer');
      assert.deepEqual(keras3LayerPaths(layers.map((l) => l.class_name)).map((p) => `layers/${p}`), g.layers.map((l) => l.h5_path));
    });
  }

  test('the GRU model: layers named encoder/decoder/head sit in groups gru, gru_1, dense; names alone find them too', async () => {
    const members = await unzip(await fixture('gru.keras'));
    const h5 = new Uint8Array(members.find((m) => m.name === 'model.weights.h5')!.data);
    const byName = readKeras3WeightsH5(h5, ['input_layer', 'encoder', 'decoder', 'head']);
    assertSameBits(byName, archives.get('gru')!.weights);
    assert.deepEqual(byName.encoder[2].shape, [2, 12], 'reset_after=True: input and recurrent bias rows');
  });

  test('legacy .h5 from model.save("x.h5"): config, training config, weights', async () => {
    const g = await golden('legacy');
    const bytes = await fixture('legacy.h5');
    const legacy = readLegacyH5(bytes);
    assert.equal((legacy.modelConfig as { class_name: string }).class_name, 'Functional');
    assert.equal((legacy.trainingConfig as { loss: string }).loss, 'mse');
    assert.equal(legacy.kerasVersion, g.keras_version);
    assertMatchesGolden(legacy.weights, g);
    const archive = await readLegacyArchive(bytes);
    assert.deepEqual(archive.config, legacy.modelConfig);
    assert.equal(archive.metadata.keras_version, g.keras_version);
    assertSameBits(archive.weights, legacy.weights);
  });

  test('legacy weights-only .h5: weights read, but no archive without an architecture', async () => {
    const bytes = await fixture('legacy_weights_only.h5');
    const legacy = readLegacyH5(bytes);
    assert.equal(legacy.modelConfig, undefined);
    assertMatchesGolden(legacy.weights, await golden('legacy_weights_only'));
    await rejects(readLegacyArchive(bytes), '/model_config', /weights only/);
  });

  test('tf.keras 2 layout: fixed-length name attributes, ":0" weight names, layer_names split in chunks', async () => {
    // Written here with h5wasm as tf.keras 2.x's hdf5_format writes it (no tf.keras 2 in the test Python).
    const kernel = Float32Array.from({ length: 6 }, (_, i) => i / 8);
    const bytes = await makeH5((f) => {
      f.create_attribute('keras_version', '2.15.0');
      f.create_attribute('backend', 'tensorflow');
      f.create_attribute('model_config', JSON.stringify({ class_name: 'Sequential', config: { name: 'sequential', layers: [{ class_name: 'Dense', config: { name: 'dense', units: 2 } }] } }));
      const mw = f.create_group('model_weights');
      // save_attributes_to_hdf5_group splits a list past 64 KB into name0, name1, ...
      mw.create_attribute('layer_names0', ['dense'], null, 'S5');
      mw.create_attribute('layer_names1', ['dropout'], null, 'S7');
      const dense = mw.create_group('dense');
      dense.create_attribute('weight_names', ['dense/kernel:0', 'dense/bias:0'], null, 'S14');
      const inner = dense.create_group('dense');
      inner.create_dataset({ name: 'kernel:0', data: kernel, shape: [3, 2], dtype: '<f' });
      inner.create_dataset({ name: 'bias:0', data: new Float32Array([0.5, -0.5]), shape: [2], dtype: '<f' });
      mw.create_group('dropout').create_attribute('weight_names', new Float64Array(0), [0], '<d');
    });
    const legacy = readLegacyH5(bytes);
    assert.equal(legacy.kerasVersion, '2.15.0');
    assert.deepEqual(Object.keys(legacy.weights), ['dense']);
    assert.deepEqual(legacy.weights.dense.map((a) => a.shape), [[3, 2], [2]]);
    assert.deepEqual(legacy.weights.dense[0].data, kernel);
    assert.deepEqual([...legacy.weights.dense[1].data], [0.5, -0.5]);
  });

  test('a Keras 3 file without name attributes (older Keras 3): found by class names, not by names alone', async () => {
    const bytes = await makeH5((f) => {
      const vars = f.create_group('layers').create_group('dense').create_group('vars');
      vars.create_dataset({ name: '0', data: new Float32Array([1, 2]), shape: [1, 2], dtype: '<f' });
      vars.create_dataset({ name: '1', data: new Float32Array([3, 4]), shape: [2], dtype: '<f' });
    });
    const weights = readKeras3WeightsH5(bytes, [{ name: 'out', class_name: 'Dense' }]);
    assert.deepEqual(weights.out.map((a) => [...a.data]), [[1, 2], [3, 4]]);
    await rejects(() => readKeras3WeightsH5(bytes, ['out']), '/model.weights.h5/layers', /no name attribute/);
  });

  for (const name of KERAS_FILES) {
    test(`${name}: write → read keeps every array bit for bit; the HDF5 layout is the one Keras wrote`, async () => {
      const archive = archives.get(name)!;
      const written = await writeKerasArchive({ config: archive.config, weights: archive.weights, layers: kerasLayersOf(archive.config) });
      const back = await readKerasArchive(written);
      assertSameBits(back.weights, archive.weights);
      assert.deepEqual(back.config, archive.config);

      const ours = await unzip(written);
      const keras = await unzip(await fixture(`${name}.keras`));
      assert.deepEqual(ours.map((m) => m.name), ['metadata.json', 'config.json', 'model.weights.h5']);
      assert.deepEqual(ours.map((m) => m.name), keras.map((m) => m.name), 'member order as Keras writes it');
      assert.deepEqual(ours.map((m) => m.method), keras.map((m) => m.method), 'stored, like Keras');
      const metadata = JSON.parse(ours[0].data.toString());
      assert.deepEqual(Object.keys(metadata), ['keras_version', 'date_saved']);
      assert.match(metadata.date_saved, /^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$/);
      assert.deepEqual(JSON.parse(ours[1].data.toString()), JSON.parse(keras[1].data.toString()));
      // Spelled as json.dumps spells it. JavaScript cannot tell 1.0 from 1: options Keras holds as
      // floats are written 1.0 (KERAS_FLOAT_OPTIONS), other whole floats as integers.
      const wholeFloatsAsIntegers = (text: string) => text.replace(/(\d)\.0(?=[,\]}])/g, '$1');
      assert.equal(wholeFloatsAsIntegers(ours[1].data.toString()), wholeFloatsAsIntegers(keras[1].data.toString()), 'config.json');
      for (const key of ['gain', 'dropout', 'recurrent_dropout', 'learning_rate']) {
        for (const m of ours[1].data.toString().matchAll(new RegExp(`"${key}": (-?\\d+(?:\\.\\d+)?)[,}]`, 'g'))) assert.match(m[1], /\./, `${key} written as a float`);
      }
      // Every group, dataset path, shape and dtype (and vars name) of Keras's own file, optimizer aside.
      assert.deepEqual(await h5Layout(new Uint8Array(ours[2].data)), await h5Layout(new Uint8Array(keras[2].data)));
    });
  }

  test('legacy .h5 → .keras → read keeps the weights', async () => {
    const legacy = await readLegacyArchive(await fixture('legacy.h5'));
    const config = { module: 'keras.src.models.functional', class_name: 'Functional', config: (legacy.config as { config: object }).config, registered_name: 'Functional' };
    const back = await readKerasArchive(await writeKerasArchive({ config, weights: legacy.weights, layers: kerasLayersOf(config) }));
    assertSameBits(back.weights, legacy.weights);
  });

  test('pythonJson spells JSON as json.dumps does', () => {
    assert.equal(pythonJson({ a: [1, 0.5, 'é'], b: null, c: { d: true } }), '{"a": [1, 0.5, "\\u00e9"], "b": null, "c": {"d": true}}');
    assert.equal(pythonJson([1e-7, 1.5e-5, 0.0001, 0.001, 1e-300, -2.5e-8, 1e21]), '[1e-07, 1.5e-05, 0.0001, 0.001, 1e-300, -2.5e-08, 1e+21]');
  });

  test('writeKeras3WeightsH5 refuses what Keras could not load', () => {
    const dense = { name: 'd', class_name: 'Dense' };
    assert.throws(() => writeKeras3WeightsH5({ x: [] }, [dense]), /"x", which is not among the layers/);
    assert.throws(() => writeKeras3WeightsH5({ d: [{ shape: [2, 2], data: new Float32Array(3) }] }, [dense]), /3 values for shape \[2,2\]/);
    assert.throws(() => writeKeras3WeightsH5({ b: [{ shape: [1], data: new Float32Array(1) }] }, [{ name: 'b', class_name: 'RNN' }]), /cannot lay out/);
    assert.throws(() => writeKeras3WeightsH5({}, [dense, dense]), /two layers are named "d"/);
  });
});

describe('bad Keras files', () => {
  let h5: Uint8Array;
  let config: string;
  before(async () => {
    await h5Ready();
    const members = await unzip(await fixture('lstm.keras'));
    h5 = new Uint8Array(members.find((m) => m.name === 'model.weights.h5')!.data);
    config = members.find((m) => m.name === 'config.json')!.data.toString();
  });

  test('not a zip', async () => {
    await rejects(readKerasArchive(new TextEncoder().encode('hello, not a model')), '', /not a \.keras archive \(not a zip file\)/);
    await rejects(readKerasArchive(await fixture('legacy.h5')), '', /HDF5 \(\.h5\) file, not a \.keras archive/);
    const lying = new Uint8Array(200);
    lying.set([0x50, 0x4b, 0x03, 0x04]);
    await rejects(readKerasArchive(lying), '', /not a valid \.keras archive \(zip\)/);
  });

  test('a zip without config.json (or without weights)', async () => {
    await rejects(readKerasArchive(zip([member('metadata.json', '{}'), member('model.weights.h5', h5)])), '/config.json', /is missing/);
    await rejects(readKerasArchive(zip([member('config.json', config), member('model.weights.npz', 'x')])), '/model.weights.h5', /npz are not supported/);
  });

  test('config.json that is not JSON, or not a Sequential/Functional model', async () => {
    await rejects(readKerasArchive(zip([member('config.json', '{"class_name": '), member('model.weights.h5', h5)])), '/config.json', /not valid JSON/);
    await rejects(readKerasArchive(zip([member('config.json', '[1, 2]'), member('model.weights.h5', h5)])), '/config.json', /not a JSON object/);
    await rejects(readKerasArchive(zip([member('config.json', '{"class_name": "MyModel", "config": {}}'), member('model.weights.h5', h5)])), '/config.json/config/layers', /only Sequential and Functional.*MyModel/);
  });

  test('a truncated or foreign model.weights.h5', async () => {
    await rejects(readKerasArchive(zip([member('config.json', config), member('model.weights.h5', h5.subarray(0, h5.length - 1000))])), '/model.weights.h5', /cannot be read as HDF5: truncated file/);
    await rejects(readKerasArchive(zip([member('config.json', config), member('model.weights.h5', 'not hdf5')])), '/model.weights.h5', /not an HDF5 file/);
    await rejects(readLegacyArchive((await fixture('legacy.h5')).subarray(0, 5000)), '', /truncated file/);
    await rejects(readLegacyArchive(h5), '', /Keras 3 weights file/);
    await rejects(readLegacyArchive(await fixture('lstm.keras')), '', /is a \.keras archive/);
  });

  test('a zip bomb: declared sizes over the cap, or members inflating past their declared size', async () => {
    const bomb = zip([member('config.json', config), member('model.weights.h5', new Uint8Array(1024), { declaredSize: 0xffffffff })]);
    await rejects(readKerasArchive(bomb), '', /would inflate to \d+ bytes, more than the limit of 2147483648/);
    await rejects(readKerasArchive(await fixture('lstm.keras'), { maxUncompressedBytes: 10_000 }), '', /more than the limit of 10000 bytes/);
    const liar = zip([member('config.json', config), member('model.weights.h5', new Uint8Array(1 << 20), { declaredSize: 100 })]);
    await rejects(readKerasArchive(liar), '/model.weights.h5', /more than the 100 bytes its zip header declares|cannot be read from the zip/);
  });
});

describe('readWeightsFromTfjs (models saved by our engine)', () => {
  before(async () => {
    await initBackend(() => {});
  });

  const cases = {
    recurrent: {
      inputs: [{ name: 'x', shape: [6, 4] }],
      layers: [
        { name: 'conv', class_name: 'Conv1D', config: { filters: 3, kernel_size: 2 } },
        { name: 'bn', class_name: 'BatchNormalization', config: {} },
        { name: 'lstm', class_name: 'LSTM', config: { units: 5, return_sequences: true } },
        { name: 'gru', class_name: 'GRU', config: { units: 4, return_sequences: true } },
        { name: 'gru_1', class_name: 'GRU', config: { units: 4, return_sequences: true, reset_after: false } },
        { name: 'rnn', class_name: 'SimpleRNN', config: { units: 3 } },
        { name: 'ln', class_name: 'LayerNormalization', config: {} },
        { name: 'dense', class_name: 'Dense', config: { units: 2 } },
      ],
      outputs: ['dense'],
    },
    embedding: {
      inputs: [{ name: 'ids', shape: [5], dtype: 'int32' }],
      layers: [
        { name: 'embedding', class_name: 'Embedding', config: { input_dim: 20, output_dim: 3 } },
        { name: 'flatten', class_name: 'Flatten', config: {} },
        { name: 'dense_1', class_name: 'Dense', config: { units: 2 } },
        { name: 'dense', class_name: 'Dense', config: { units: 1 } },
      ],
      outputs: ['dense'],
    },
  };

  for (const [label, spec] of Object.entries(cases)) {
    test(`${label}: the engine's getWeights(), exactly, per layer in Keras order`, async () => {
      const model = new KerasModel(checkGraph(normalizeModel(spec as never)));
      try {
        // Moving statistics apart from their initial zeros/ones, so that order mistakes show.
        const bn = model.layers.get('bn');
        if (bn) {
          const moved = bn.getWeights().map((w, i) => tf.add(w, i + 1));
          bn.setWeights(moved);
          tf.dispose(moved);
        }
        const files = await modelFiles(model);
        const names = spec.layers.map((l) => l.name);
        const weights = readWeightsFromTfjs(files['model.json'] as string, files['weights.bin'] as Uint8Array, names);
        const expected = model.getWeights();
        assert.deepEqual(Object.keys(weights), Object.keys(expected));
        for (const [name, tensors] of Object.entries(expected)) {
          assert.equal(weights[name].length, tensors.length, name);
          tensors.forEach((t, i) => {
            assert.deepEqual(weights[name][i].shape, t.shape, `${name}[${i}] shape`);
            assert.deepEqual(weights[name][i].data, t.dataSync(), `${name}[${i}] values`);
          });
        }
        await assert.rejects(async () => readWeightsFromTfjs(files['model.json'] as string, files['weights.bin'] as Uint8Array, names.slice(1)), /belongs to none of the layers/);
        await assert.rejects(async () => readWeightsFromTfjs(files['model.json'] as string, (files['weights.bin'] as Uint8Array).subarray(4), names), /weights\.bin holds/);
      } finally {
        model.dispose();
      }
    });
  }
});
