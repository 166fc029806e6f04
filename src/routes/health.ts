import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

const WORKER_STALE_MS = 30_000;

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  redis: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  backend: Type.Union([Type.String(), Type.Null()], { description: 'TensorFlow.js backend of the live workers: tensorflow (libtensorflow) or cpu (pure-JS fallback).' }),
  workers: Type.Array(Type.Object({ id: Type.String(), backend: Type.String(), pid: Type.Integer(), host: Type.String(), seen_at: Type.String() })),
});

const health: FastifyPluginAsyncTypebox = async (app) => {
  const { redis, keys } = app.services;
  app.get('/health', {
    schema: { tags: ['ops'], summary: 'Liveness, Redis reachability, live workers and their backend', response: { 200: Health } },
    handler: async () => {
      let redisUp = true;
      let workers: Array<{ id: string; backend: string; pid: number; host: string; seen_at: string }> = [];
      try {
        // Commands wait for a reconnect; a health check must answer now.
        if (redis.status !== 'ready' && redis.status !== 'wait') throw new Error(`redis ${redis.status}`);
        const all = await redis.hgetall(keys.workerHeartbeat());
        const now = Date.now();
        workers = Object.entries(all)
          .map(([id, v]) => ({ id, ...JSON.parse(v) }))
          .filter((w) => now - Date.parse(w.seen_at) < WORKER_STALE_MS);
      } catch {
        redisUp = false;
      }
      return {
        status: redisUp && workers.length > 0 ? ('ok' as const) : ('degraded' as const),
        redis: redisUp ? ('up' as const) : ('down' as const),
        backend: workers[0]?.backend ?? null,
        workers,
      };
    },
  });
};

export default health;
