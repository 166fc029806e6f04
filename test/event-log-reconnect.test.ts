/**
 * The event log and hub across broken Redis connections, made deterministic with a proxy:
 * - ioredis resends a command whose reply was lost (autoResendUnfulfilledCommands), so an append
 *   that Redis ran but never acknowledged — what a SIGKILL right after the AOF fsync looks like to
 *   the client — reaches Redis twice; it must still be stored once.
 * - pub/sub nudges published while the hub's subscriber connection is reconnecting go nowhere;
 *   live subscribers must still get those events once it is back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectRedis } from '../src/redis/connect.ts';
import { Keys } from '../src/redis/keys.ts';
import { EventLog, type JobEvent } from '../src/events/event-log.ts';
import { EventHub } from '../src/events/event-hub.ts';
import { PrivateRedis, noRedisServer } from './helpers/redis-server.ts';
import { TcpProxy } from './helpers/tcp-proxy.ts';

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('events across broken Redis connections', { skip: noRedisServer() }, () => {
  let redis: PrivateRedis;
  let proxy: TcpProxy;
  let direct: Redis;
  const keys = new Keys(`kjtest-${randomUUID().slice(0, 8)}`);
  const opened: Redis[] = [];
  const open = (url: string) => {
    const conn = connectRedis(url);
    conn.on('error', () => {});
    opened.push(conn);
    return conn;
  };

  before(async () => {
    redis = await PrivateRedis.create();
    await redis.start();
    proxy = await TcpProxy.start(redis.port);
    direct = open(redis.url);
  });
  after(async () => {
    for (const conn of opened) conn.disconnect();
    await proxy.close();
    await redis.destroy();
  });

  test('an append whose reply was lost is resent by ioredis and still stored once', async () => {
    const jobId = randomUUID();
    const log = new EventLog(open(proxy.url), keys);
    const first = await log.append(jobId, 'state', { state: 'running' });
    const lost = proxy.loseReplyTo(/XADD/);
    const second = await log.append(jobId, 'epoch_end', { epoch: 0 });
    await lost;
    const third = await log.append(jobId, 'completed', { state: 'completed' }, 60);
    const stored = await new EventLog(direct, keys).readAfter(jobId);
    assert.deepEqual(stored.map((e) => [e.id, e.type]), [[first, 'state'], [second, 'epoch_end'], [third, 'completed']]);
    assert.ok((await direct.ttl(keys.events(jobId))) > 0, 'the terminal event still sets the TTL');
  });

  test('a live subscriber gets the events appended while the pub/sub connection was down', async () => {
    const jobId = randomUUID();
    const log = new EventLog(direct, keys);
    const sub = open(proxy.url);
    const hub = new EventHub(sub, log, keys);
    const got: JobEvent[] = [];
    const subscription = await hub.subscribe(jobId, '0', (batch) => got.push(...batch));
    try {
      await log.append(jobId, 'state', { state: 'running' });
      await until('the first event', () => got.length === 1);
      // The subscriber connection breaks and cannot come back yet: these nudges reach nobody.
      proxy.refuse(true);
      proxy.cutAll();
      await until('the subscriber connection to notice', () => sub.status !== 'ready');
      await log.append(jobId, 'epoch_end', { epoch: 0 });
      await log.append(jobId, 'completed', { state: 'completed' });
      proxy.refuse(false);
      await until('the events appended meanwhile', () => got.length === 3);
      assert.deepEqual(got.map((e) => e.type), ['state', 'epoch_end', 'completed']);
    } finally {
      subscription.close();
    }
  });
});
