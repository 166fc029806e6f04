/**
 * Keras files are untrusted bytes: the API streams them to disk and checks them in a child
 * process (heap- and time-capped, IMPORT_MAX_CONCURRENT at a time), every HDF5 dataset's shape
 * is held to its layer's parameter count before its data is read, and a .keras archive's
 * members inflate to MODEL_IMPORT_MAX_BYTES at most. Real files, real child processes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readKerasArchive, kerasLayersOf } from '../src/keras/keras-archive.ts';
import { keras3LayerPaths } from '../src/keras/h5-weights.ts';
import { importsDir } from '../src/jobs/import-model.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { getJson } from './helpers/http.ts';
import { zip } from './helpers/zip.ts';

const MLP = path.join(import.meta.dirname, 'fixtures/keras/archives/tutorial_mlp.keras');

async function upload(stack: Stack, bytes: Uint8Array, filename = 'model.keras') {
  const form = new FormData();
  form.append('file', new Blob([Buffer.from(bytes)]), filename);
  const res = await fetch(`${stack.baseUrl}/v1/models/import`, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as any };
}

/** The tutorial MLP's archive with its first layer's kernel replaced by a gzip-compressed [rows, 1000] array of zeros. */
async function archiveWithHugeKernel(rows: number): Promise<Buffer> {
  const { config, metadata, weights } = await readKerasArchive(new Uint8Array(fs.readFileSync(MLP)));
  const layers = kerasLayersOf(config).filter((l) => l.class_name !== 'InputLayer');
  const groups = keras3LayerPaths(layers.map((l) => l.class_name));
  const h5 = await import('h5wasm');
  const { FS } = await h5.ready;
  const file = new h5.File('/huge.h5', 'w');
  const container = file.create_group('layers');
  layers.forEach((layer, i) => {
    const arrays = weights[layer.name];
    if (!arrays) return;
    const vars = container.create_group(groups[i]).create_group('vars');
    arrays.forEach((a, j) => {
      if (i === 0 && j === 0) vars.create_dataset({ name: '0', data: new Float32Array(rows * 1000), shape: [rows, 1000], dtype: '<f', chunks: [rows, 1000], compression: 'gzip', compression_opts: 9 });
      else vars.create_dataset({ name: String(j), data: a.data, shape: a.shape, dtype: '<f' });
    });
  });
  file.close();
  const bytes = FS!.readFile('/huge.h5');
  FS!.unlink('/huge.h5');
  return zip([
    { name: 'metadata.json', data: Buffer.from(JSON.stringify(metadata)), method: 8 },
    { name: 'config.json', data: Buffer.from(JSON.stringify(config)), method: 8 },
    { name: 'model.weights.h5', data: bytes, method: 8 },
  ]);
}

/** What waits in imports/: uploads being checked, and checked ones the worker has not taken yet. */
const leftovers = (stack: Stack) => (fs.existsSync(importsDir(stack.config.checkpointDir)) ? fs.readdirSync(importsDir(stack.config.checkpointDir)) : []);

describe('Keras imports are checked outside the API process, within limits', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { MODEL_IMPORT_MAX_BYTES: String(1024 * 1024), IMPORT_MAX_CONCURRENT: '1' } });
  });
  after(async () => {
    await stack.close();
  });

  test("an HDF5 dataset larger than its layer is refused from its shape, and nothing is left behind", async () => {
    const bytes = await archiveWithHugeKernel(4000);
    assert.ok(bytes.length < 1024 * 1024, `the archive is ${bytes.length} bytes, under MODEL_IMPORT_MAX_BYTES`);
    const res = await upload(stack, bytes);
    assert.equal(res.status, 422, JSON.stringify(res.body));
    const issue = res.body.errors.find((e: any) => /vars\/0$/.test(e.pointer));
    assert.ok(issue, JSON.stringify(res.body.errors));
    assert.match(issue.pointer, /^\/file\/model\.weights\.h5\/layers\/dense\/vars\/0$/);
    assert.match(issue.message, /has shape \[4000,1000\] \(4000000 values\), more than the \d+ that layer "\w+" has left of its parameters/);
    assert.deepEqual(leftovers(stack), []);
  });

  test('members that would inflate past MODEL_IMPORT_MAX_BYTES are refused, though the file is small', async () => {
    const original = await readKerasArchive(new Uint8Array(fs.readFileSync(MLP)));
    const padded = Buffer.from(JSON.stringify(original.config) + ' '.repeat(2 * 1024 * 1024));
    const bytes = zip([{ name: 'config.json', data: padded, method: 8 }, { name: 'model.weights.h5', data: Buffer.alloc(16), method: 0 }]);
    assert.ok(bytes.length < 64 * 1024);
    const res = await upload(stack, bytes);
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.match(res.body.detail, /would inflate to \d+ bytes, more than the limit of 1048576 bytes/);
  });

  test('a file over MODEL_IMPORT_MAX_BYTES is 413 and is not kept', async () => {
    const res = await upload(stack, new Uint8Array(1024 * 1024 + 1));
    assert.equal(res.status, 413, JSON.stringify(res.body));
    assert.match(res.body.detail, /larger than 1048576 bytes \(MODEL_IMPORT_MAX_BYTES\)/);
    assert.deepEqual(leftovers(stack), []);
  });

  test('one import more than IMPORT_MAX_CONCURRENT answers 429 naming it; the other is imported', async () => {
    const bytes = new Uint8Array(fs.readFileSync(MLP));
    const answers = await Promise.all([upload(stack, bytes), upload(stack, bytes)]);
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [201, 429], JSON.stringify(answers.map((a) => a.body)));
    const refused = answers.find((a) => a.status === 429)!.body;
    assert.equal(refused.quota.limit, 'IMPORT_MAX_CONCURRENT');
    assert.equal(refused.quota.max, 1);
    const imported = answers.find((a) => a.status === 201)!.body;
    assert.equal((await getJson(stack, `/v1/models/${imported.id}`)).body.status, 'imported');
    // Once the first check is over, the next import is taken.
    assert.equal((await upload(stack, bytes)).status, 201);
  });
});

describe('a Keras file that exhausts the checker kills only the checker', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ worker: false, env: { IMPORT_HEAP_MB: '64' } });
  });
  after(async () => {
    await stack.close();
  });

  test('a config.json that needs more than IMPORT_HEAP_MB is a 422; the API answers on', async () => {
    // 200 MB of JSON string deflates to about 200 kB; decoding and parsing it needs 200 MB of heap twice over.
    const config = Buffer.alloc(200 * 1024 * 1024, 0x61);
    config[0] = 0x22;
    config[config.length - 1] = 0x22;
    const bytes = zip([{ name: 'config.json', data: config, method: 8 }, { name: 'model.weights.h5', data: Buffer.alloc(16), method: 0 }]);
    const res = await upload(stack, bytes);
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.match(res.body.detail, /ran out of memory or was killed .*IMPORT_HEAP_MB is 64/);
    assert.equal((await fetch(`${stack.baseUrl}/health`)).status, 200);
    assert.deepEqual(leftovers(stack), []);
  });
});
