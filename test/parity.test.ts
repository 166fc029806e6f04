/**
 * Every committed Keras recording (test/fixtures/parity) through the engine: history, final
 * weights, evaluate and predict within the recorded tolerances — and no tensor left behind.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.ts';
import { loadCase } from '../src/parity/parity-case.ts';
import { runCase } from '../src/parity/run-case.ts';

const DIR = new URL('./fixtures/parity/', import.meta.url);
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

describe('Keras parity', () => {
  before(async () => {
    await initBackend();
  });

  test('the fixtures are all here (15 published cases, 57 recorded by our generators)', () => {
    assert.equal(files.length, 72);
  });

  // Both execution paths answer to Keras: the graph-compiled step (where the model allows it) and
  // the eager step it is traced from.
  const executions = new Map<string, string | undefined>();
  for (const graph of [true, false]) {
    for (const file of files) {
      test(`${file.replace(/\.json$/, '')} (${graph ? 'graph where possible' : 'eager'})`, async () => {
        const before = tf.memory().numTensors;
        const result = await runCase(await loadCase(new URL(file, DIR).pathname), { graph });
        assert.deepEqual(result.failures, [], `worst ${result.worst_error} at ${result.where}`);
        assert.ok(result.pass);
        assert.equal(tf.memory().numTensors, before, 'every tensor made by the case was disposed');
        if (graph) executions.set(file, result.execution);
        else if (result.execution) assert.equal(result.execution, 'eager');
      });
    }
  }

  test('the graph step trained every case that trains', (t) => {
    if (tf.getBackend() !== 'tensorflow') return t.skip('graph execution needs tfjs-node');
    const eager = [...executions].filter(([, e]) => e === 'eager').map(([f]) => f.replace(/\.json$/, ''));
    assert.deepEqual(eager, []);
    const inferenceOnly = files.filter((f) => JSON.parse(fs.readFileSync(new URL(f, DIR), 'utf8')).spec.fit === null);
    assert.deepEqual(inferenceOnly, ['15_inference_only_dropout.json', '74_noise_layers_inference.json']);
    assert.equal([...executions.values()].filter((e) => e === 'graph').length, files.length - inferenceOnly.length, 'all but the inference-only cases');
  });
});
