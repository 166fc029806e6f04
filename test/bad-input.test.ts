/**
 * Bad specs are answered at submit time with application/problem+json naming the field (a JSON
 * pointer) and the reason — and nothing is queued or stored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, keysUnder, type Stack } from './helpers/stack.ts';
import { multiIoJob, seedMlpJob } from './helpers/specs.ts';
import { post } from './helpers/http.ts';

type Mutate = (spec: any) => void;

const cases: Array<{ name: string; mutate?: Mutate; raw?: string; status: number; pointer: string; message: RegExp }> = [
  { name: 'a body that is not JSON', raw: '{"type": "fit", ', status: 400, pointer: '', message: /JSON/i },
  { name: 'an unknown layer', mutate: (s) => (s.model.layers[1].class_name = 'Dense3D'), status: 422, pointer: '/model/layers/1/class_name', message: /unknown layer "Dense3D".*supported: Dense/ },
  { name: 'an unknown layer option', mutate: (s) => (s.model.layers[0].config.unitz = 3), status: 422, pointer: '/model/layers/0/config/unitz', message: /no option "unitz"/ },
  { name: 'an inbound naming a missing layer', mutate: (s) => (s.model.layers[1].inbound = ['dense_9']), status: 422, pointer: '/model/layers/1/inbound/0', message: /no input or layer is named "dense_9"/ },
  {
    name: 'a cycle',
    mutate: (s) => {
      s.model.layers[0].inbound = ['dense_2'];
    },
    status: 422,
    pointer: '/model/layers/0/inbound',
    message: /cycle: dense_1 -> dense_2 -> dense_1|cycle: dense_2 -> dense_1 -> dense_2/,
  },
  { name: 'an output that is not a layer', mutate: (s) => (s.model.outputs = ['logits']), status: 422, pointer: '/model/outputs/0', message: /no layer is named "logits"/ },
  { name: 'an unknown activation', mutate: (s) => (s.model.layers[0].config.activation = 'relu7'), status: 422, pointer: '/model/layers/0/config/activation', message: /unknown activation "relu7".*supported: linear, relu/ },
  { name: 'an unknown regularizer', mutate: (s) => (s.model.layers[0].config.kernel_regularizer = 'l3'), status: 422, pointer: '/model/layers/0/config/kernel_regularizer', message: /unknown regularizer "l3"/ },
  { name: 'a ModelCheckpoint filepath that leaves the job folder', mutate: (s) => (s.fit.callbacks = [{ class_name: 'ModelCheckpoint', config: { filepath: '../../etc/{epoch}' } }]), status: 422, pointer: '/fit/callbacks/0/config/filepath', message: /inside the job's checkpoint folder/ },
  { name: 'a malformed learning-rate schedule', mutate: (s) => (s.fit.callbacks = [{ class_name: 'LearningRateScheduler', config: { schedule: { boundaries: [2], values: [0.1] } } }]), status: 422, pointer: '/fit/callbacks/0/config/schedule', message: /one more rate than boundaries/ },
  { name: 'an unknown loss', mutate: (s) => (s.compile.loss = 'sparse_crossentropy'), status: 422, pointer: '/compile/loss', message: /unknown loss "sparse_crossentropy"/ },
  { name: 'an unknown optimizer', mutate: (s) => (s.compile.optimizer = { class_name: 'Adamm', config: {} }), status: 422, pointer: '/compile/optimizer', message: /unknown optimizer class "Adamm"/ },
  { name: 'an unknown metric', mutate: (s) => (s.compile.metrics = ['accuracy', 'f1']), status: 422, pointer: '/compile/metrics/1', message: /unknown metric "f1"/ },
  { name: 'x and y sample counts that differ', mutate: (s) => (s.fit.y.random.shape = [900]), status: 422, pointer: '/fit/y', message: /900 samples but \/fit\/x has 1000/ },
  { name: 'x of the wrong sample shape', mutate: (s) => (s.fit.x.random.shape = [1000, 31]), status: 422, pointer: '/fit/x', message: /expects samples of shape \(32\), got \(31\)/ },
  { name: 'a negative epoch count', mutate: (s) => (s.fit.epochs = -1), status: 400, pointer: '/fit/epochs', message: /must be >= 1/ },
  { name: 'a ragged nested array', mutate: (s) => (s.fit.x = [[1, 2], [3]]), status: 422, pointer: '/fit/x/1', message: /ragged/ },
  { name: 'NaN smuggled in as a string', mutate: (s) => (s.fit.x = [['NaN']]), status: 422, pointer: '/fit/x/0/0', message: /finite number/ },
  { name: 'an unknown top-level key', mutate: (s) => (s.fitt = {}), status: 400, pointer: '/fitt', message: /not an accepted key/ },
  { name: 'a callback that does not exist', mutate: (s) => (s.fit.callbacks = [{ class_name: 'TensorBoard', config: {} }]), status: 422, pointer: '/fit/callbacks/0/class_name', message: /unknown callback class "TensorBoard"/ },
];

describe('bad input is rejected at submit time', () => {
  let stack: Stack;
  before(async () => {
    // No worker: anything that slipped into the queue would stay there and be counted.
    stack = await startStack({ worker: false });
  });
  after(async () => {
    await stack.close();
  });

  for (const c of cases) {
    test(c.name, async () => {
      let body = c.raw;
      if (!body) {
        const spec = seedMlpJob();
        c.mutate!(spec);
        body = JSON.stringify(spec);
      }
      const res = await fetch(`${stack.baseUrl}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(res.status, c.status);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const problem = (await res.json()) as any;
      assert.equal(problem.status, c.status);
      assert.match(problem.detail, c.message);
      if (c.pointer) assert.ok(problem.errors.some((e: any) => e.pointer === c.pointer), `pointer ${c.pointer} in ${JSON.stringify(problem.errors)}`);
    });
  }

  test('a fit job with an unknown key hears only about that key, not about the other job types', async () => {
    const spec = seedMlpJob();
    (spec.fit as any).bogus = 1;
    const res = await fetch(`${stack.baseUrl}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
    assert.equal(res.status, 400);
    const problem = (await res.json()) as any;
    assert.deepEqual(problem.errors, [{ pointer: '/fit/bogus', message: 'is not an accepted key' }]);
    assert.equal(problem.detail, 'invalid request body: /fit/bogus is not an accepted key');
  });

  test('an unknown job type, or a query value outside its set, is one issue listing what is accepted', async () => {
    const res = await fetch(`${stack.baseUrl}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type": "train"}' });
    assert.equal(res.status, 400);
    assert.deepEqual(((await res.json()) as any).errors, [{ pointer: '/type', message: 'must be one of: fit, evaluate, predict' }]);
    const list = await fetch(`${stack.baseUrl}/v1/jobs?state=bogus`);
    assert.equal(list.status, 400);
    assert.deepEqual(((await list.json()) as any).errors, [{ pointer: '/state', message: 'must be one of: queued, running, completed, failed, cancelled' }]);
    const notAnObject = await fetch(`${stack.baseUrl}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1]' });
    assert.equal(notAnObject.status, 400);
  });

  test('shapes that cannot connect name the layer and both shapes', async () => {
    const spec = multiIoJob();
    // Concatenating the conv outputs directly: (30, 30, 3) and (18, 3) have different ranks.
    spec.model.layers[4].inbound = ['conv2d', 'conv1d'];
    const res = await fetch(`${stack.baseUrl}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
    assert.equal(res.status, 422);
    const problem = (await res.json()) as any;
    assert.deepEqual(problem.errors.map((e: any) => e.pointer), ['/model/layers/4/inbound']);
    assert.match(problem.errors[0].message, /Concatenate "concatenate" cannot take conv2d \(None, 30, 30, 3\), conv1d \(None, 18, 3\)/);
  });

  test('nothing was queued or stored by any rejected request', async () => {
    const counts = await stack.app.services.queue.getJobCounts();
    assert.deepEqual(Object.values(counts).filter((n) => n > 0), []);
    const keys = await keysUnder(stack);
    assert.deepEqual(keys.filter((k) => k.includes(':job:') || k.endsWith(':jobs')), []);
  });

  test('a job id with other characters than letters, digits, - and _ is a 400 before it reaches Redis', async () => {
    for (const url of ['/v1/jobs/x:spec', '/v1/jobs/x*/events', '/v1/jobs/a%20b']) {
      const res = await fetch(`${stack.baseUrl}${url}`);
      assert.equal(res.status, 400, url);
      assert.match(((await res.json()) as any).errors[0].pointer, /id/);
    }
  });

  test('AUC num_thresholds is bounded at submit', async () => {
    const spec = seedMlpJob({ epochs: 1 });
    const res = await post(stack, '/v1/jobs', { ...spec, compile: { ...spec.compile, metrics: [{ class_name: 'AUC', config: { num_thresholds: 1_000_000 } }] } });
    assert.equal(res.status, 422);
    assert.match(JSON.stringify(res.body.errors), /num_thresholds.*from 2 to 10000|must be an integer from 2 to 10000/);
  });

  test('unknown job and model ids are 404 problems', async () => {
    for (const url of ['/v1/jobs/nope', '/v1/jobs/nope/events', '/v1/models/nope']) {
      const res = await fetch(`${stack.baseUrl}${url}`);
      assert.equal(res.status, 404, url);
      assert.match(((await res.json()) as any).detail, /nope/);
    }
  });
});
