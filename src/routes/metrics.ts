import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { metricsRegistry } from '../metrics/registry.ts';

const metrics: FastifyPluginAsyncTypebox = async (app) => {
  const registry = metricsRegistry(app.services);
  app.get('/metrics', {
    schema: {
      operationId: 'getMetrics',
      security: [],
      tags: ['ops'],
      summary: 'Prometheus metrics: jobs by state and type, queue depth, job/epoch/queue-wait histograms, training speed, SSE subscribers, workers by backend, process metrics',
      produces: ['text/plain'],
      response: { 200: Type.String({ description: 'Prometheus text exposition format 0.0.4' }) },
    },
    handler: async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  });
};

export default metrics;
