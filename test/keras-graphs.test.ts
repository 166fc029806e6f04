/**
 * Functional graphs Keras users write, through the real API: a siamese model (a nested Sequential
 * tower called on two inputs, one set of weights) and an LSTM seq2seq model (the decoder starts
 * from the encoder's return_state via initial_state), both saved by Keras 3 as .keras
 * (test/fixtures/keras/graphs, with their generator). Each imports, predicts what Keras predicts,
 * fine-tunes to Keras's loss history, and exports back to a .keras whose config keeps the graph.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readKerasArchive } from '../src/keras/keras-archive.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { getJson, post, waitForState } from './helpers/http.ts';

const DIR = path.join(import.meta.dirname, 'fixtures/keras/graphs');

interface Golden {
  file: string;
  inputs: Record<string, unknown>;
  expected: unknown;
  fine_tune: { compile: unknown; fit: Record<string, unknown>; history: Record<string, number[]>; predict_after: unknown };
}

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

function assertClose(got: unknown, want: unknown, what: string, rtol = 1e-4, atol = 1e-5): void {
  const g = flat(got);
  const w = flat(want);
  assert.equal(g.length, w.length, `${what}: ${g.length} numbers, Keras gave ${w.length}`);
  w.forEach((x, i) => assert.ok(Math.abs(g[i] - x) <= atol + rtol * Math.abs(x), `${what}[${i}]: got ${g[i]}, Keras ${x}`));
}

async function upload(stack: Stack, file: string) {
  const form = new FormData();
  form.append('file', new Blob([fs.readFileSync(path.join(DIR, file))]), file);
  const res = await fetch(`${stack.baseUrl}/v1/models/import`, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as any };
}

async function predict(stack: Stack, modelId: string, x: unknown): Promise<unknown> {
  const res = await fetch(`${stack.baseUrl}/v1/models/${modelId}/predict?wait=60`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x }) });
  const body = (await res.json()) as any;
  assert.equal(body.state, 'completed', JSON.stringify(body.error ?? body));
  const p = body.result.predictions as unknown[];
  return p.length === 1 ? p[0] : p;
}

describe('Keras graphs with shared layers, nested models and initial_state through the API', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.close();
  });

  for (const name of ['siamese', 'seq2seq']) {
    const golden = JSON.parse(fs.readFileSync(path.join(DIR, `${name}.json`), 'utf8')) as Golden;

    test(`${name}: imports, predicts as Keras, fine-tunes to Keras's history, exports the same graph`, async () => {
      const imported = await upload(stack, golden.file);
      assert.equal(imported.status, 201, JSON.stringify(imported.body));
      const modelId = imported.body.id as string;
      const model = (await getJson(stack, imported.body.links.model)).body;
      assert.equal(model.status, 'imported', JSON.stringify(model));
      assertClose(await predict(stack, modelId, golden.inputs), golden.expected, `${name} predict`);

      const { compile, fit, history, predict_after } = golden.fine_tune;
      const job = await post(stack, '/v1/jobs', { type: 'fit', initial_model: { model_id: modelId }, compile, fit });
      assert.equal(job.status, 202, JSON.stringify(job.body));
      const done = await waitForState(stack, job.body.id, ['completed', 'failed']);
      assert.equal(done.state, 'completed', done.error?.message);
      assert.deepEqual(Object.keys(done.history).sort(), Object.keys(history).sort());
      for (const [key, values] of Object.entries(history)) assertClose(done.history[key], values, `${name} history.${key}`, 3e-4);
      assertClose(await predict(stack, done.model_id, golden.inputs), predict_after, `${name} predict after fine-tuning`, 3e-4);

      // The export keeps the graph: the same layers, calls and tensor references Keras wrote.
      const res = await fetch(`${stack.baseUrl}/v1/models/${done.model_id}/export?format=keras`);
      assert.equal(res.status, 200, await res.clone().text());
      const exported = await readKerasArchive(new Uint8Array(await res.arrayBuffer()));
      const original = await readKerasArchive(fs.readFileSync(path.join(DIR, golden.file)));
      const wiring = (config: any) =>
        (config.config.layers as any[]).map((l) => ({
          name: l.name,
          nodes: (l.inbound_nodes as any[]).map((n) => JSON.stringify([n.args, n.kwargs?.initial_state ?? null], (k, v) => (k === 'shape' || k === 'dtype' ? undefined : v))),
        }));
      assert.deepEqual(wiring(exported.config).sort((a, b) => a.name.localeCompare(b.name)), wiring(original.config).sort((a, b) => a.name.localeCompare(b.name)));
      assert.deepEqual(Object.keys(exported.weights).sort(), Object.keys(original.weights).sort());
    });
  }
});
