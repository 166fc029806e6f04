/**
 * Keras in, Keras out through the real API: .keras and .h5 files written by Keras 3 itself
 * (test/fixtures/keras/archives) are imported and predict what Keras predicted; imported models
 * fine-tune; fit jobs take model.to_json(); exports are .keras archives whose config, HDF5
 * layout and weights are checked structurally (CI has no Python: `npm run keras-roundtrip`
 * loads them in real Keras).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fromKerasJson } from '../src/keras/from-keras-json.ts';
import { readKerasArchive } from '../src/keras/keras-archive.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { getJson, post, waitForState } from './helpers/http.ts';
import { seedMlpJob } from './helpers/specs.ts';

const ARCHIVES = path.join(import.meta.dirname, 'fixtures/keras/archives');
const JSONS = path.join(import.meta.dirname, 'fixtures/keras/json');

interface Golden {
  file: string;
  inputs: unknown;
  expected: unknown;
  layers: Array<{ name: string; weights: Array<{ shape: number[] }> }>;
}

const goldens = fs
  .readdirSync(ARCHIVES)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(fs.readFileSync(path.join(ARCHIVES, f), 'utf8')) as Golden)
  // A weights-only legacy file has no architecture to import.
  .filter((g) => !/weights_only/.test(g.file));

async function upload(stack: Stack, bytes: Uint8Array, filename: string, query = '') {
  const form = new FormData();
  form.append("file", new Blob([Buffer.from(bytes)]), filename);
  const res = await fetch(`${stack.baseUrl}/v1/models/import${query}`, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as any };
}

function flat(value: unknown): number[] {
  return Array.isArray(value) ? value.flatMap(flat) : [value as number];
}

function assertClose(got: unknown, want: unknown, what: string): void {
  const g = flat(got);
  const w = flat(want);
  assert.equal(g.length, w.length, `${what}: ${g.length} numbers, Keras gave ${w.length}`);
  const worst = Math.max(...w.map((x, i) => Math.abs(g[i] - x) / (1e-5 / 1e-4 + Math.abs(x))));
  assert.ok(worst <= 1e-4, `${what}: worst relative error ${worst}`);
}

async function predict(stack: Stack, modelId: string, x: unknown) {
  const res = await fetch(`${stack.baseUrl}/v1/models/${modelId}/predict?wait=60`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x }) });
  const body = (await res.json()) as any;
  assert.equal(body.state, 'completed', JSON.stringify(body.error ?? body));
  return body.result.predictions as unknown[];
}

describe('Keras files through the API', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.close();
  });

  for (const golden of goldens) {
    test(`import ${golden.file}: predictions equal Keras's`, async () => {
      const res = await upload(stack, fs.readFileSync(path.join(ARCHIVES, golden.file)), golden.file);
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.job.type, 'import');
      const spec = (await getJson(stack, `/v1/jobs/${res.body.job.id}/spec`)).body.spec;
      assert.equal(spec.type, 'import');
      assert.equal('upload' in spec, false, 'the staged file path stays private');
      const model = (await getJson(stack, res.body.links.model)).body;
      assert.equal(model.status, 'imported');
      const predictions = await predict(stack, res.body.id, golden.inputs);
      assertClose(predictions.length === 1 ? predictions[0] : predictions, golden.expected, golden.file);
    });
  }

  test('an imported compiled model fine-tunes as initial_model and evaluates', async () => {
    const res = await upload(stack, fs.readFileSync(path.join(ARCHIVES, 'tutorial_mlp.keras')), 'tutorial_mlp.keras');
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const { fit } = seedMlpJob({ epochs: 2, samples: 128 });
    const tuned = await post(stack, '/v1/jobs', { type: 'fit', initial_model: { model_id: res.body.id }, fit: { ...fit, validation_data: undefined } });
    assert.equal(tuned.status, 202, JSON.stringify(tuned.body));
    const done = await waitForState(stack, tuned.body.id, ['completed', 'failed']);
    assert.equal(done.state, 'completed', done.error?.message);
    assert.equal(done.history.loss.length, 2);
    const model = (await getJson(stack, `/v1/models/${done.model_id}`)).body;
    assert.deepEqual(model.parent, { model_id: res.body.id, checkpoint: null });
  });

  test('an import with ?ttl_s= stores a model that expires then', async () => {
    const golden = goldens[0];
    const t0 = Date.now();
    const res = await upload(stack, fs.readFileSync(path.join(ARCHIVES, golden.file)), golden.file, '?ttl_s=3600');
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const model = (await getJson(stack, `/v1/models/${res.body.id}`)).body;
    assert.ok(Math.abs(Date.parse(model.expires_at) - (t0 + 3_600_000)) < 60_000, model.expires_at);
    assert.equal((await upload(stack, fs.readFileSync(path.join(ARCHIVES, golden.file)), golden.file, '?ttl_s=-5')).status, 400);
  });

  test('unsupported things are named in a 422; files that are not Keras are refused', async () => {
    const notKeras = await upload(stack, new TextEncoder().encode('hello'), 'x.keras');
    assert.equal(notKeras.status, 422);
    assert.equal(notKeras.body.errors[0].pointer, '/file');
    const empty = await fetch(`${stack.baseUrl}/v1/models/import`, { method: 'POST', body: new FormData() });
    assert.ok([400, 422].includes(empty.status));
    const unsupported = JSON.parse(fs.readFileSync(path.join(JSONS, fs.readdirSync(JSONS).find((f) => /unsupported/.test(f))!), 'utf8'));
    const spec = { ...seedMlpJob({ epochs: 1 }), model: { keras_json: unsupported.to_json ?? unsupported.json ?? unsupported } };
    const res = await post(stack, '/v1/jobs', spec);
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.ok(res.body.errors.every((e: any) => e.pointer.startsWith('/model/keras_json')), JSON.stringify(res.body.errors));
    assert.match(res.body.detail, /Lambda/);
  });

  test('a fit job takes model.to_json() as it is, and trains', async () => {
    const golden = JSON.parse(fs.readFileSync(path.join(JSONS, fs.readdirSync(JSONS).find((f) => /tutorial.*mlp|first/.test(f) && f.endsWith('.json'))!), 'utf8'));
    const json = golden.to_json ?? golden.json;
    const spec = { ...seedMlpJob({ epochs: 2, samples: 128 }), model: { keras_json: json } };
    (spec.fit as any).validation_data = undefined;
    const res = await post(stack, '/v1/jobs', spec);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const done = await waitForState(stack, res.body.id, ['completed', 'failed']);
    assert.equal(done.state, 'completed', done.error?.message);
  });

  test('export: .keras archive (structure and weights), to_json(), tfjs; each checkpoint too', async () => {
    const fit = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 2, samples: 128 }));
    const job = await waitForState(stack, fit.body.id, ['completed']);
    const id = job.model_id;

    const res = await fetch(`${stack.baseUrl}/v1/models/${id}/export?format=keras`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', new RegExp(`filename="${id}\\.keras"`));
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(String.fromCharCode(...bytes.slice(0, 2)), 'PK');
    const archive = await readKerasArchive(bytes);
    assert.equal((archive.config as any).class_name, 'Functional');
    assert.ok(typeof archive.metadata.keras_version === 'string');
    // The weights in the file are the model's: predictions of the re-imported file equal the original's.
    const shapes = Object.fromEntries(Object.entries(archive.weights).map(([k, v]) => [k, v.map((a) => a.shape)]));
    assert.deepEqual(shapes, { dense_1: [[32, 64], [64]], dense_2: [[64, 64], [64]], predictions: [[64, 10], [10]] });
    const back = await upload(stack, bytes, `${id}.keras`);
    assert.equal(back.status, 201, JSON.stringify(back.body));
    const x = [Array.from({ length: 32 }, (_, i) => i / 32), Array.from({ length: 32 }, (_, i) => 1 - i / 32)];
    assertClose(await predict(stack, back.body.id, x), await predict(stack, id, x), 'exported and re-imported');

    const json = await (await fetch(`${stack.baseUrl}/v1/models/${id}/export?format=keras_json`)).json();
    const again = fromKerasJson(json);
    assert.deepEqual(
      (again.model as any).layers?.map((l: any) => l.name) ?? (again.model as any).sequential?.map((l: any) => l.name),
      ['dense_1', 'dense_2', 'predictions'],
    );

    const tfjs = await fetch(`${stack.baseUrl}/v1/models/${id}/export?format=tfjs&checkpoint=epoch-0001`);
    assert.equal(tfjs.status, 200);
    const tarred = gunzipSync(new Uint8Array(await tfjs.arrayBuffer())).toString('latin1');
    assert.match(tarred, /model\.json/);

    const checkpoint = await fetch(`${stack.baseUrl}/v1/models/${id}/export?format=keras&checkpoint=epoch-0001`);
    assert.equal(checkpoint.status, 200);
    assert.equal((await fetch(`${stack.baseUrl}/v1/models/${id}/export?format=keras&checkpoint=nope`)).status, 404);
    assert.equal((await fetch(`${stack.baseUrl}/v1/models/nope/export`)).status, 404);
  });
});
