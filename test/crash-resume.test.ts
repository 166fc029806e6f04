/**
 * Faults done for real: a worker process SIGKILLed mid-fit, a worker SIGTERMed mid-fit, and a job
 * whose workers keep dying. The interrupted job must end with the same history as an
 * uninterrupted run of the same deterministic spec, each epoch once.
 */
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCase } from '../src/parity/parity-case.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { readEvents } from './helpers/sse.ts';
import { getJson, post, waitForState } from './helpers/http.ts';
import { spawnWorker, workerReady, type WorkerProcess } from './helpers/worker-process.ts';

// Enough epochs that a signal sent after the second or third lands well before the last, at
// graph speed (a few ms an epoch on this small case).
const EPOCHS = 30;

async function deterministicJob() {
  // A recorded Keras case: fixed initial weights, no shuffling, so every run is identical.
  const c = await loadCase(new URL('./fixtures/parity/01_mlp_adam_validation_data.json', import.meta.url).pathname);
  return {
    type: 'fit',
    model: { ...c.spec.model, weights: c.initial_weights },
    compile: c.spec.compile,
    fit: { x: c.data.x, y: c.data.y, batch_size: 32, epochs: EPOCHS, shuffle: false, validation_data: c.spec.fit!.validation_data },
  };
}

function assertSameHistory(got: Record<string, number[]>, want: Record<string, number[]>) {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
  for (const key of Object.keys(want)) {
    assert.equal(got[key].length, EPOCHS, `${key}: each epoch once`);
    want[key].forEach((v, i) => assert.ok(Math.abs(got[key][i] - v) <= 1e-5 + 1e-4 * Math.abs(v), `${key}[${i}]: ${got[key][i]} vs uninterrupted ${v}`));
  }
}

describe('a worker dies or stops mid-fit', () => {
  let stack: Stack;
  let reference: Record<string, number[]>;
  const workers: WorkerProcess[] = [];
  const worker = async () => {
    const w = spawnWorker(stack.config);
    workers.push(w);
    await workerReady(w);
    return w;
  };
  /** Each test starts with no worker running. */
  const stopAll = async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
  };

  before(async () => {
    stack = await startStack({ worker: false, env: { LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '1000', MAX_CRASHES: '2' } });
    const w = await worker();
    const res = await post(stack, '/v1/jobs', await deterministicJob());
    reference = (await waitForState(stack, res.body.id, ['completed'])).history;
    w.child.kill('SIGTERM');
    await w.exited;
  });
  // A failed test must not leave its worker running into the next one.
  afterEach(stopAll);
  after(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await stack.close();
  });

  test('SIGKILL: the job is picked up again and resumes from its last checkpoint', async () => {
    const a = await worker();
    const res = await post(stack, '/v1/jobs', await deterministicJob());
    const id = res.body.id;
    // Wait until epoch 3's checkpoint is on disk, then kill the worker without warning.
    const before = await readEvents(`${stack.baseUrl}/v1/jobs/${id}/events`, { limit: 3 + 3 * 3 });
    assert.equal(before.at(-1)!.event, 'checkpoint');
    a.child.kill('SIGKILL');
    await a.exited;
    await worker();
    const job = await waitForState(stack, id, ['completed', 'failed'], 60_000);
    assert.equal(job.state, 'completed', job.error?.message);
    assertSameHistory(job.history, reference);

    const events = await readEvents(`${stack.baseUrl}/v1/jobs/${id}/events`);
    const resumed = events.filter((e) => e.event === 'resumed').map((e) => JSON.parse(e.data));
    assert.equal(resumed.length, 1);
    assert.ok(resumed[0].epoch >= 3, `resumed at epoch ${resumed[0].epoch}`);
    const epochEnds = events.filter((e) => e.event === 'epoch_end').map((e) => JSON.parse(e.data).epoch);
    const redone = epochEnds.length - EPOCHS;
    assert.ok(redone >= 0 && redone <= 1, `at most one epoch redone, got ${redone} (${epochEnds.join(',')})`);
    assert.equal(job.attempts, 2);
    console.log(`# SIGKILL trial: resumed at epoch ${resumed[0].epoch}, epochs redone ${redone}`);
    await stopAll();
  });

  test('SIGTERM: the worker stops after the batch, hands the job back and exits; another finishes it', async () => {
    const b = await worker();
    const res = await post(stack, '/v1/jobs', await deterministicJob());
    const id = res.body.id;
    await readEvents(`${stack.baseUrl}/v1/jobs/${id}/events`, { limit: 3 + 3 * 2 });
    const t0 = Date.now();
    b.child.kill('SIGTERM');
    const exit = await b.exited;
    const exitMs = Date.now() - t0;
    assert.equal(exit.code, 0, b.output());
    assert.ok(exitMs < 10_000, `exited in ${exitMs} ms`);
    const handedBack = await getJson(stack, `/v1/jobs/${id}`);
    assert.equal(handedBack.body.state, 'queued');
    await worker();
    const job = await waitForState(stack, id, ['completed', 'failed'], 60_000);
    assert.equal(job.state, 'completed', job.error?.message);
    assertSameHistory(job.history, reference);
    const events = await readEvents(`${stack.baseUrl}/v1/jobs/${id}/events`);
    assert.ok(events.some((e) => e.event === 'state' && JSON.parse(e.data).reason?.includes('shutting down')));
    console.log(`# SIGTERM trial: worker exited ${exitMs} ms after the signal`);
    await stopAll();
  });

  test('a worker killed before it appended epochs its trainer checkpointed: the resume appends them from the checkpoint', async () => {
    const a = await worker();
    const spec = await deterministicJob();
    const res = await post(stack, '/v1/jobs', { ...spec, fit: { ...spec.fit, epochs: 100_000 } });
    const id = res.body.id;
    try {
      await readEvents(`${stack.baseUrl}/v1/jobs/${id}/events`, { limit: 3 + 3 * 5 });
      a.child.kill('SIGKILL');
      await a.exited;
      // The race, made certain: the stream loses its last three epoch_end events; the checkpoints
      // stay. (The newest of them may be past the last checkpoint: epoch_end goes out first.)
      const key = `${stack.config.redisPrefix}:job:${id}:events`;
      const entries = await stack.redis.xrange(key, '-', '+');
      const field = (f: string[], name: string) => f[f.indexOf(name) + 1];
      const dropped = entries.filter(([, f]) => field(f, 'type') === 'epoch_end').slice(-3);
      await stack.redis.xdel(key, ...dropped.map(([entryId]) => entryId));
      const droppedEpochs = dropped.map(([, f]) => JSON.parse(field(f, 'data')).epoch as number);
      await worker();
      const deadline = Date.now() + 30_000;
      let events = await readEvents(`${stack.baseUrl}/v1/jobs/${id}/events`, { limit: entries.length + 10 });
      while (!events.some((e) => e.event === 'resumed')) {
        assert.ok(Date.now() < deadline, 'the job resumed');
        await new Promise((r) => setTimeout(r, 100));
        events = await readEvents(`${stack.baseUrl}/v1/jobs/${id}/events`, { limit: entries.length + 10 });
      }
      const resumedAt = events.findIndex((e) => e.event === 'resumed');
      const resumed = JSON.parse(events[resumedAt].data);
      const before = events.slice(0, resumedAt).filter((e) => e.event === 'epoch_end').map((e) => JSON.parse(e.data));
      assert.deepEqual(before.map((e) => e.epoch), Array.from({ length: resumed.epoch }, (_, i) => i), 'every checkpointed epoch once, in order');
      const recovered = before.filter((e) => e.recovered).map((e) => e.epoch);
      const checkpointed = droppedEpochs.filter((epoch) => epoch < resumed.epoch);
      assert.ok(checkpointed.length >= 2, `dropped ${droppedEpochs}, resumed at ${resumed.epoch}`);
      for (const epoch of checkpointed) assert.ok(recovered.includes(epoch), `epoch ${epoch} came back (recovered: ${recovered})`);
      const job = (await getJson(stack, `/v1/jobs/${id}`)).body;
      for (const e of before.filter((b) => b.recovered)) assert.equal(e.logs.loss, job.history.loss[e.epoch], 'from the checkpoint history');
    } finally {
      // A 100,000-epoch job must not outlive the test.
      await fetch(`${stack.baseUrl}/v1/jobs/${id}`, { method: 'DELETE' });
    }
  });

  test('a job whose workers keep dying fails with a clear error instead of looping', async () => {
    const spec = await deterministicJob();
    const res = await post(stack, '/v1/jobs', { ...spec, fit: { ...spec.fit, epochs: 100_000 } });
    const id = res.body.id;
    // MAX_CRASHES=2: the third death of its worker fails the job.
    for (let crash = 1; crash <= 3; crash++) {
      const w = await worker();
      const deadline = Date.now() + 30_000;
      while ((await getJson(stack, `/v1/jobs/${id}`)).body.attempts < crash) {
        if (Date.now() > deadline) throw new Error(`attempt ${crash} never started`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 300));
      w.child.kill('SIGKILL');
      await w.exited;
    }
    await worker(); // its stall check finds the job dead a third time
    const job = await waitForState(stack, id, ['failed', 'completed', 'cancelled'], 30_000);
    assert.equal(job.state, 'failed');
    assert.match(job.error.message, /died 3 times/);
    await stopAll();
  });
});
