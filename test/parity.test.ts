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

  test('the fixtures are all here (15 published cases, 4 of our own)', () => {
    assert.equal(files.length, 19);
  });

  for (const file of files) {
    test(file.replace(/\.json$/, ''), async () => {
      const before = tf.memory().numTensors;
      const result = await runCase(await loadCase(new URL(file, DIR).pathname));
      assert.deepEqual(result.failures, [], `worst ${result.worst_error} at ${result.where}`);
      assert.ok(result.pass);
      assert.equal(tf.memory().numTensors, before, 'every tensor made by the case was disposed');
    });
  }
});
