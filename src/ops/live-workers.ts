/** Workers announce themselves every 5 s in one Redis hash; one unseen for this long is gone. */
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';

export const WORKER_STALE_MS = 30_000;

export interface LiveWorker {
  id: string;
  backend: string;
  pid: number;
  host: string;
  seen_at: string;
}

export async function liveWorkers(redis: Redis, keys: Keys, now = Date.now()): Promise<LiveWorker[]> {
  const all = await redis.hgetall(keys.workerHeartbeat());
  return Object.entries(all)
    .map(([id, v]) => ({ id, ...JSON.parse(v) }) as LiveWorker)
    .filter((w) => now - Date.parse(w.seen_at) < WORKER_STALE_MS);
}

/** Commands wait for a reconnect; a health or readiness check must answer now. */
export function redisAnswersNow(redis: Redis): boolean {
  return redis.status === 'ready' || redis.status === 'wait';
}
