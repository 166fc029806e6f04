/** Configurable caps answered with the limit, and Idempotency-Key making retries safe. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type Stack } from './helpers/stack.ts';
import { multiIoJob, seedMlpJob } from './helpers/specs.ts';

async function submit(stack: Stack, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.baseUrl}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

describe('limits and idempotency', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      worker: false,
      env: { MAX_LAYERS: '5', MAX_PARAMS: '20000', MAX_ARRAY_ELEMENTS: '40000', MAX_EPOCH_SAMPLES: '100000', MAX_BATCH_SIZE: '256', MAX_SAMPLE_ACTIVATIONS: '100000', BODY_LIMIT: '200000' },
    });
  });
  after(async () => {
    await stack.close();
  });

  const cases: Array<[string, () => unknown, number, RegExp, string?]> = [
    ['too many layers', () => { const s: any = multiIoJob(); for (const part of [...s.fit.x, ...s.fit.y]) part.random.shape[0] = 2; return s; }, 422, /7 layers; the limit is 5 \(MAX_LAYERS\)/, '/model'],
    ['too many parameters', () => { const s = seedMlpJob(); s.model.layers[0].config.units = 512; return s; }, 422, /parameters; the limit is 20000 \(MAX_PARAMS\)/, '/model'],
    ['activations per sample over the cap', () => {
      const s: any = seedMlpJob();
      s.model.layers.unshift({ name: 'repeat', class_name: 'RepeatVector', config: { n: 5000 }, inbound: ['digits'] }, { name: 'pool', class_name: 'GlobalAveragePooling1D', config: {}, inbound: ['repeat'] });
      s.model.layers[2].inbound = ['pool'];
      return s;
    }, 422, /makes 160202 numbers of activations per sample \(largest: repeat \(5000, 32\)\); the limit is 100000 \(MAX_SAMPLE_ACTIVATIONS\)/, '/model'],
    ['an array with too many numbers', () => { const s = seedMlpJob(); s.fit.x.random.shape = [2000, 32]; s.fit.y.random.shape = [2000]; return s; }, 422, /64000 numbers; the limit is 40000/, '/fit/x'],
    ['too much training (epochs × samples)', () => seedMlpJob({ epochs: 200 }), 422, /epochs × samples = 200000; the limit is 100000/, '/fit/epochs'],
    ['a batch size over the cap', () => { const s: any = seedMlpJob(); s.fit.batch_size = 1024; return s; }, 422, /1024; the limit is 256/, '/fit/batch_size'],
    ['a body over BODY_LIMIT', () => { const s: any = seedMlpJob(); s.fit.x = Array.from({ length: 1000 }, () => Array(32).fill(0.123456)); return s; }, 413, /too large/i],
    ['JSON nested deeper than 32', () => { const s: any = seedMlpJob(); let deep: any = 1; for (let i = 0; i < 40; i++) deep = [deep]; s.fit.x = deep; return s; }, 422, /nesting is \d+ deep; the limit is 32/],
  ];
  for (const [name, make, status, message, pointer] of cases) {
    test(name, async () => {
      const res = await submit(stack, make());
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.match(res.body.detail, message);
      if (pointer) assert.equal(res.body.errors[0].pointer, pointer);
    });
  }

  test('the same Idempotency-Key returns the same job, even for concurrent retries', async () => {
    const body = seedMlpJob({ epochs: 2 });
    const results = await Promise.all(Array.from({ length: 5 }, () => submit(stack, body, { 'idempotency-key': 'retry-me' })));
    for (const r of results) assert.equal(r.status, 202);
    const ids = new Set(results.map((r) => r.body.id));
    assert.equal(ids.size, 1);
    assert.equal(results.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 4);
    const counts = await stack.app.services.queue.getJobCounts();
    assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), 1, 'one job queued');

    const other = await submit(stack, seedMlpJob({ epochs: 3 }), { 'idempotency-key': 'retry-me' });
    assert.equal(other.status, 422);
    assert.match(other.body.detail, /already used with a different body/);

    // A rejected request does not hold its key: fixed and resent with it, it is accepted.
    const bad = seedMlpJob();
    (bad.model.layers[0] as any).class_name = 'Dense3D';
    assert.equal((await submit(stack, bad, { 'idempotency-key': 'fix-and-retry' })).status, 422);
    assert.equal((await submit(stack, seedMlpJob({ epochs: 1 }), { 'idempotency-key': 'fix-and-retry' })).status, 202);
  });
});
