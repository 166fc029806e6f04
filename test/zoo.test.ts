/**
 * The model zoo through the real service (test/fixtures/zoo, from real Keras 3 by make_zoo.py):
 * each model imports from its .keras, predicts what Keras predicts (rtol 1e-4) and fine-tunes to
 * Keras's loss history (rtol 1e-3). A fast subset runs here, one of each family of new layers;
 * `npm run zoo` runs every model and prints the table.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startStack, type Stack } from './helpers/stack.ts';
import { ZOO_DIR, loadZooCase, runZooCase, scaleError, worstError, zooNames } from './helpers/zoo.ts';

const FAST = ['mobilenet_v3_small', 'transformer_classifier', 'bidirectional_lstm', 'unet_segmentation', 'dcgan_generator', 'wide_and_deep'];

describe('the model zoo (keras.applications and keras.io archetypes)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.close();
  });

  test('every zoo case has its .keras file and Keras figures', () => {
    const names = zooNames();
    assert.ok(names.length >= 22, `${names.length} zoo cases`);
    for (const name of names) {
      const c = loadZooCase(name);
      assert.ok(fs.existsSync(path.join(ZOO_DIR, c.file)), c.file);
      assert.equal(c.predict.length > 0 && c.history.loss.length, c.fit.epochs, name);
    }
  });

  for (const name of FAST) {
    test(`${name}: imports, predicts as Keras, fine-tunes to Keras's loss history`, async () => {
      const c = loadZooCase(name);
      const run = await runZooCase(stack, c);
      assert.ok(run.imported, run.importError);
      assert.equal(run.fitError, undefined);
      assert.ok(scaleError(run.predicted!, c.predict) <= 1e-4, `${name} predict: got ${run.predicted!.slice(0, 4)}, Keras ${c.predict.slice(0, 4)}`);
      assert.ok(worstError(run.history!, c.history.loss, 1e-3, 1e-6) <= 1, `${name} loss: got ${run.history}, Keras ${c.history.loss}`);
      assert.equal(run.execution, 'graph', `${name} trains as one graph per step`);
    });
  }
});
