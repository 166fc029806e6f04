import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { liveWorkers, redisAnswersNow, type LiveWorker } from '../ops/live-workers.ts';

const Worker = Type.Object({ id: Type.String(), backend: Type.String(), pid: Type.Integer(), host: Type.String(), seen_at: Type.String() });

const Health = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  redis: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  backend: Type.Union([Type.String(), Type.Null()], { description: 'TensorFlow.js backend of the live workers: tensorflow (libtensorflow) or cpu (pure-JS fallback).' }),
  workers: Type.Array(Worker),
});

const Ready = Type.Object({
  ready: Type.Boolean(),
  redis: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  workers: Type.Integer({ description: 'Workers seen in the last 30 s.' }),
  reasons: Type.Array(Type.String(), { description: 'Why the service is not ready; empty when it is.' }),
});

const health: FastifyPluginAsyncTypebox = async (app) => {
  const { redis, keys } = app.services;

  /** Live workers, or undefined when Redis does not answer right now. */
  const workersNow = async (): Promise<LiveWorker[] | undefined> => {
    // A connection being made (the API's first, just after it started) gets a moment to finish.
    if (redis.status === 'connecting' || redis.status === 'connect') {
      let done = () => {};
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => done(), 1000);
        done = () => {
          clearTimeout(timer);
          redis.off('ready', done);
          resolve();
        };
        redis.once('ready', done);
      });
    }
    if (!redisAnswersNow(redis)) return undefined;
    return liveWorkers(redis, keys).catch(() => undefined);
  };

  app.get('/health', {
    schema: { operationId: 'getHealth', security: [], tags: ['ops'], summary: 'Liveness (always 200 while the process runs), Redis reachability, live workers and their backend', response: { 200: Health } },
    handler: async () => {
      const workers = await workersNow();
      return {
        status: workers && workers.length > 0 ? ('ok' as const) : ('degraded' as const),
        redis: workers ? ('up' as const) : ('down' as const),
        backend: workers?.[0]?.backend ?? null,
        workers: workers ?? [],
      };
    },
  });

  app.get('/ready', {
    schema: { operationId: 'getReadiness', security: [], tags: ['ops'], summary: 'Readiness: 200 when Redis answers and at least one worker was seen in the last 30 s, else 503', response: { 200: Ready, 503: Ready } },
    handler: async (_req, reply) => {
      const workers = await workersNow();
      const reasons = [...(workers ? [] : ['redis does not answer']), ...(workers?.length === 0 ? ['no worker seen in the last 30 s'] : [])];
      const body = { ready: reasons.length === 0, redis: workers ? ('up' as const) : ('down' as const), workers: workers?.length ?? 0, reasons };
      return reply.code(body.ready ? 200 : 503).send(body);
    },
  });
};

export default health;
