/**
 * Redis dies (SIGKILL) in the middle of a training run and comes back a moment later from its
 * append-only file: the API and the worker reconnect by themselves, every job completes, and an
 * SSE client that follows the running job — one connection that rides the outage out, one that
 * is cut during it and reconnects with Last-Event-ID — sees every event exactly once, in order.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startStack, type Stack } from './helpers/stack.ts';
import { getJson, post, waitForState } from './helpers/http.ts';
import { seedMlpJob } from './helpers/specs.ts';
import { followEvents, type Follower } from './helpers/sse-follow.ts';
import { readEvents } from './helpers/sse.ts';
import { PrivateRedis, noRedisServer } from './helpers/redis-server.ts';
import { compareStreamIds } from '../src/events/event-log.ts';

const EPOCHS = 40;
/** How long Redis stays dead. */
const OUTAGE_MS = 1500;

async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A GET with a deadline: during the outage a request may wait for Redis instead of answering.
 * node:http on a connection of its own, not fetch: an aborted fetch can leave undici holding a
 * fresh connection that never sends a request, and the server's close then waits for
 * headersTimeout (60 s) before dropping it.
 */
function getWithin(url: string, ms: number): Promise<{ status: number; body: any } | 'no answer'> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const req = http.get(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        clearTimeout(timer);
        if (!timedOut) resolve({ status: res.statusCode!, body: JSON.parse(text) });
      });
    });
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy();
      resolve('no answer');
    }, ms);
    req.on('error', (err) => {
      clearTimeout(timer);
      if (!timedOut) reject(err);
    });
  });
}

function fitSequence(epochs: number): string[] {
  const types = ['state', 'state', 'train_begin'];
  for (let i = 0; i < epochs; i++) types.push('epoch_begin', 'epoch_end', 'checkpoint');
  types.push('train_end', 'completed');
  return types;
}

describe('a Redis restart in the middle of training', { skip: noRedisServer() }, () => {
  let redis: PrivateRedis;
  let stack: Stack | undefined;
  const followers: Follower[] = [];

  before(async () => {
    redis = await PrivateRedis.create();
    await redis.start();
    stack = await startStack({ env: { REDIS_URL: redis.url } });
  });

  after(async () => {
    for (const f of followers) f.close();
    // Closing the stack talks to Redis: bring it back if a failed test left it dead.
    if (!redis.running) await redis.start().catch(() => {});
    await stack?.close();
    await redis.destroy();
  });

  test('loses nothing: every job completes and every event is seen exactly once, in order', async (t) => {
    const s = stack!;
    // 10,000 samples: epochs long enough (~50 ms at graph speed) for Redis to die mid-training.
    const long = await post(s, '/v1/jobs', seedMlpJob({ epochs: EPOCHS, samples: 10_000 }));
    assert.equal(long.status, 202, JSON.stringify(long.body));
    const longId: string = long.body.id;
    const eventsUrl = `${s.baseUrl}/v1/jobs/${longId}/events`;
    // One client stays connected through the outage; the other loses its connection while Redis is
    // down and comes back with Last-Event-ID, as a browser's EventSource would.
    const steady = followEvents(eventsUrl, { timeoutMs: 50_000 });
    const cut = followEvents(eventsUrl, { timeoutMs: 50_000, retryMs: 200 });
    followers.push(steady, cut);

    await waitForState(s, longId, ['running'], 30_000);
    const queued: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await post(s, '/v1/jobs', seedMlpJob({ epochs: 3 }));
      assert.equal(res.status, 202, JSON.stringify(res.body));
      queued.push(res.body.id);
    }
    for (const id of queued) assert.equal((await getJson(s, `/v1/jobs/${id}`)).body.state, 'queued', 'concurrency 1: the others wait');

    // Mid-training: a few epochs done, many to go.
    const epochEnds = () => steady.events.filter((e) => e.event === 'epoch_end').length;
    await until('epoch 5 on the stream', () => epochEnds() >= 5, 30_000);
    const epochsBefore = epochEnds();
    const redisPid = redis.pid;
    const killedAt = Date.now();
    await redis.kill('SIGKILL');
    t.diagnostic(`redis-server ${redisPid} killed (SIGKILL) after ${epochsBefore} epochs`);
    cut.drop();

    // While Redis is away the API cannot read anything: see what a client gets (for the record).
    const duringOutage = await getWithin(`${s.baseUrl}/health`, 500);
    t.diagnostic(`GET /health during the outage: ${JSON.stringify(duringOutage)}`);
    assert.ok(duringOutage === 'no answer' || duringOutage.body.redis === 'down', 'health never claims Redis is up while it is dead');
    // A client that gives up while its request waits for Redis must not leave a subscription behind.
    const impatient = await getWithin(eventsUrl, 300);
    assert.equal(impatient, 'no answer');
    const remaining = OUTAGE_MS - (Date.now() - killedAt);
    if (remaining > 0) await new Promise((r) => setTimeout(r, remaining));
    await redis.start();
    const restartedAt = Date.now();
    assert.notEqual(redis.pid, redisPid);
    t.diagnostic(`redis-server ${redis.pid} restarted from its AOF ${restartedAt - killedAt} ms after the kill`);

    // Once the cut client is back, the API holds exactly its two streams: the impatient one is gone.
    await until('two live subscriptions', () => s.app.services.hub.subscriberCount === 2, 5000);
    assert.ok(!steady.events.some((e) => e.event === 'completed'), 'checked while the job still runs');
    // Everything finishes by itself.
    await Promise.all([steady.done, cut.done]);
    const final = await waitForState(s, longId, ['completed', 'failed', 'cancelled'], 30_000);
    assert.equal(final.state, 'completed', final.error?.message);
    for (const id of queued) {
      const job = await waitForState(s, id, ['completed', 'failed', 'cancelled'], 30_000);
      assert.equal(job.state, 'completed', job.error?.message);
      assert.equal(job.attempts, 1, 'ran once');
      assert.deepEqual((await readEvents(`${s.baseUrl}/v1/jobs/${id}/events`, { timeoutMs: 5000 })).map((e) => e.event), fitSequence(3));
    }
    assert.ok(epochsBefore < EPOCHS && final.progress.epoch === EPOCHS, 'the outage happened mid-training');
    assert.equal(final.attempts, 1, 'the long job was neither stalled nor retried');

    // The SSE clients: every event exactly once, in stream-id order, the same for both.
    const key = (e: { id?: string; event?: string; data: string }) => `${e.id} ${e.event} ${e.data}`;
    for (const [name, f] of [['steady', steady], ['cut', cut]] as const) {
      const ids = f.events.map((e) => e.id!);
      assert.equal(new Set(ids).size, ids.length, `${name}: no event twice`);
      for (let i = 1; i < ids.length; i++) assert.ok(compareStreamIds(ids[i - 1], ids[i]) < 0, `${name}: ids increase (${ids[i - 1]} then ${ids[i]})`);
      assert.deepEqual(f.events.map((e) => e.event), fitSequence(EPOCHS), `${name}: the whole run, nothing missing`);
    }
    assert.deepEqual(cut.events.map(key), steady.events.map(key));
    assert.equal(steady.connections.length, 1, `the steady client was never disconnected: ${JSON.stringify(steady.connections)}`);
    assert.ok(cut.connections.length >= 2, 'the cut client reconnected');
    assert.equal(cut.connections[1].lastEventId, cut.events[cut.connections[0].events - 1].id, 'it resumed after the last event it had');
    // The stored stream is exactly what the clients saw.
    const replay = await readEvents(eventsUrl, { timeoutMs: 5000 });
    assert.deepEqual(replay.map(key), steady.events.map(key));

    // The record: one history entry per epoch, equal to the epoch_end logs on the stream.
    const logs = steady.events.filter((e) => e.event === 'epoch_end').map((e) => JSON.parse(e.data));
    assert.deepEqual(logs.map((l) => l.epoch), [...Array(EPOCHS).keys()]);
    assert.deepEqual({ epoch: final.progress.epoch, epochs: final.progress.epochs }, { epoch: EPOCHS, epochs: EPOCHS });
    assert.deepEqual(Object.keys(final.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    for (const [k, values] of Object.entries(final.history) as Array<[string, number[]]>) assert.deepEqual(values, logs.map((l) => l.logs[k]), `history.${k}`);
    const model = (await getJson(s, `/v1/models/${final.model_id}`)).body;
    // Retention kept the latest epoch checkpoint and the two before it (keep_checkpoints' default).
    assert.deepEqual(model.checkpoints.map((c: any) => c.epoch), [EPOCHS - 3, EPOCHS - 2, EPOCHS - 1]);

    // Events that happened while Redis was down arrived after it came back, none lost.
    // Training went on meanwhile: the worker queued them (ioredis offline queue) and sent them on reconnect.
    const late = steady.events.filter((e) => e.at >= restartedAt);
    const burst = late.filter((e) => e.at - late[0].at < 100);
    const epochOf = (e: { data: string }) => JSON.parse(e.data).epoch;
    t.diagnostic(
      `after the restart: first event ${late[0].at - restartedAt} ms later; a burst of ${burst.length} events within 100 ms ` +
        `(epoch_end of epochs ${burst.filter((e) => e.event === 'epoch_end').map(epochOf).join(',')}); ${late.length} events in all after the restart`,
    );
    assert.ok(burst.some((e) => e.event === 'epoch_end'), 'epochs trained during the outage were delivered on reconnect');
    const back = cut.connections[1];
    assert.ok(back.openedAt < restartedAt && back.respondedAt! >= restartedAt, 'the cut client asked again while Redis was down and was answered once it was back');
    t.diagnostic(`the cut client reconnected with Last-Event-ID ${back.lastEventId} during the outage; its request was answered ${back.respondedAt! - restartedAt} ms after the restart`);

    // Health is back, the worker heartbeats again, BullMQ saw no failure and no stall.
    const health = await until('health ok', async () => {
      const h = await getJson(s, '/health');
      return h.body.status === 'ok' && h.body;
    }, 10_000);
    assert.equal(health.redis, 'up');
    assert.equal(health.workers.length, 1);
    assert.equal(health.workers[0].id, s.worker!.id);
    // Ended jobs leave the queue at once (their records are the truth): nothing failed or is left.
    const counts = await s.app.services.queue.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed', 'prioritized');
    assert.deepEqual(counts, { completed: 0, failed: 0, active: 0, wait: 0, delayed: 0, prioritized: 0 });
    for (const id of [longId, ...queued]) {
      // A stalled job would have been started again: a second attempt on its record.
      assert.equal((await s.app.services.jobs.get(id))?.attempts, 1, `${id} ran once, never stalled`);
    }
    assert.deepEqual((await getJson(s, '/v1/jobs?state=failed')).body.jobs, []);
    assert.equal((await getJson(s, '/v1/jobs?state=completed')).body.jobs.length, 3);
    // Every stream has ended, including the one whose client left during the outage.
    await until('no live subscription', () => s.app.services.hub.subscriberCount === 0, 5000).catch(() => {});
    assert.equal(s.app.services.hub.subscriberCount, 0, 'no SSE subscription left behind');
  });

  test('an idle worker (blocked waiting for work) picks up a job submitted after another restart', async (t) => {
    const s = stack!;
    await until('the worker to be idle', async () => (await s.app.services.queue.getActiveCount()) === 0 && (await s.app.services.queue.getWaitingCount()) === 0);
    await redis.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await redis.start();
    // The API's first request after the restart may wait for its connection to come back.
    const res = await post(s, '/v1/jobs', seedMlpJob({ epochs: 2 }));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const startedAt = Date.now();
    const events = await readEvents(`${s.baseUrl}/v1/jobs/${res.body.id}/events`, { timeoutMs: 30_000 });
    t.diagnostic(`job submitted after the second restart ran to its end in ${Date.now() - startedAt} ms`);
    assert.deepEqual(events.map((e) => e.event), fitSequence(2));
    const job = await waitForState(s, res.body.id, ['completed', 'failed'], 10_000);
    assert.equal(job.state, 'completed', job.error?.message);
    assert.equal(job.attempts, 1);
    const health = await until('health ok', async () => {
      const h = await getJson(s, '/health');
      return h.body.status === 'ok' && h.body;
    }, 10_000);
    assert.equal(health.redis, 'up');
  });
});
