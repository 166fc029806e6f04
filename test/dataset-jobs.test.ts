/** Jobs that train and evaluate on uploaded numpy/CSV datasets, referenced as {dataset, array}. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type Stack } from './helpers/stack.ts';
import { post, uploadFixtures as upload, waitForState } from './helpers/http.ts';
import { seedMlpJob } from './helpers/specs.ts';

describe('jobs on uploaded datasets', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.close();
  });

  test('fit on .npy files and validate/evaluate on row slices of an .npz', async () => {
    const files = await upload(stack, 'x_small.npy', 'y_small.npy', 'xy.npz');
    assert.deepEqual(files.arrays.x_small.shape, [64, 32]);
    const ds = (array: string, rows?: [number, number]) => ({ dataset: files.id, array, ...(rows ? { rows } : {}) });
    const spec = seedMlpJob({ epochs: 2 });
    const job = {
      ...spec,
      fit: { ...spec.fit, x: ds('x_small'), y: ds('y_small'), batch_size: 16, validation_data: { x: ds('x', [48, 64]), y: ds('y', [48, 64]) } },
      // Past the end, as Python slices: x[-16:1000] is the last 16 rows, at submit and in the worker.
      evaluate: { x: ds('x', [-16, 1000]), y: ds('y', [-16, 1000]) },
    };
    const res = await post(stack, '/v1/jobs', job);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const done = await waitForState(stack, res.body.id, ['completed', 'failed']);
    assert.equal(done.state, 'completed', done.error?.message);
    assert.equal(done.history.val_loss.length, 2);
    assert.deepEqual(Object.keys(done.result.evaluate), ['accuracy', 'loss']);
    // The last 16 rows validate and evaluate: same data, same model state → the same loss.
    assert.ok(Math.abs(done.result.evaluate.loss - done.history.val_loss[1]) < 1e-6);
  });

  test('fit a regression on CSV columns', async () => {
    const table = await upload(stack, 'table.csv');
    const name = Object.keys(table.arrays)[0];
    const columns = table.arrays[name].columns!;
    const features = columns.filter((c) => c !== 'label');
    const res = await post(stack, '/v1/jobs', {
      type: 'fit',
      model: { sequential: [{ class_name: 'InputLayer', config: { shape: [features.length] } }, { class_name: 'Dense', config: { units: 1 } }] },
      compile: { optimizer: 'sgd', loss: 'mse' },
      fit: { x: { dataset: table.id, array: name, columns: features }, y: { dataset: table.id, array: name, columns: ['label'] }, epochs: 2, batch_size: 5 },
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const done = await waitForState(stack, res.body.id, ['completed', 'failed']);
    assert.equal(done.state, 'completed', done.error?.message);
  });

  test('references to missing datasets, arrays or columns are 422 with the field', async () => {
    const files = await upload(stack, 'x_small.npy', 'y_small.npy');
    const spec = seedMlpJob({ epochs: 1 });
    const cases: Array<[unknown, unknown, string]> = [
      [{ dataset: 'nope', array: 'x_small' }, { dataset: files.id, array: 'y_small' }, '/fit/x/dataset'],
      [{ dataset: files.id, array: 'x_big' }, { dataset: files.id, array: 'y_small' }, '/fit/x/array'],
      [{ dataset: files.id, array: 'x_small', rows: [0, 10] }, { dataset: files.id, array: 'y_small' }, '/fit/y'],
      [{ dataset: files.id, array: 'x_small', columns: [0, 1] }, { dataset: files.id, array: 'y_small' }, '/fit/x'],
    ];
    for (const [x, y, pointer] of cases) {
      const res = await post(stack, '/v1/jobs', { ...spec, fit: { ...spec.fit, x, y, validation_data: undefined } });
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(res.body.errors[0].pointer, pointer, JSON.stringify(res.body));
    }
  });
});
