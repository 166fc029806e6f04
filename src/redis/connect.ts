import { Redis, type RedisOptions } from 'ioredis';

/**
 * One place that opens Redis connections. maxRetriesPerRequest null is what BullMQ requires and
 * also what we want elsewhere: commands wait for a reconnect instead of failing mid-job.
 */
export function connectRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/** Fails fast with a message naming REDIS_URL when nothing answers. */
export async function assertRedisReachable(url: string, timeoutMs = 2000): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new Error(`cannot reach Redis at REDIS_URL=${url}: ${(err as Error).message}`);
  } finally {
    probe.disconnect();
  }
}
