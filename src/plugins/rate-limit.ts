/**
 * Requests per minute per API key (per client address when the service runs open), counted in
 * Redis so every API instance shares the budget.
 */
import fp from 'fastify-plugin';
import rateLimit from '@fastify/rate-limit';
import { OPEN_TENANT } from './auth.ts';

export default fp(
  async (app) => {
    const { config, redis } = app.services;
    await app.register(rateLimit, {
      max: config.rateLimitPerMinute,
      timeWindow: '1 minute',
      redis,
      nameSpace: `${config.redisPrefix}:ratelimit:`,
      // onRequest, so malformed requests count too; registered after auth's onRequest hook, so the
      // tenant is known.
      hook: 'onRequest',
      keyGenerator: (req) => (req.tenant && req.tenant !== OPEN_TENANT ? `tenant:${req.tenant}` : `ip:${req.ip}`),
      // Probes and scrapers are not clients.
      allowList: (req) => /^\/(health|ready|metrics)(\?|$)/.test(req.url),
      errorResponseBuilder: (_req, context) => {
        const err = new Error(`rate limit of ${context.max} requests per ${context.after} exceeded; retry later`) as Error & { statusCode: number; code: string };
        err.statusCode = context.statusCode;
        err.code = 'KJ_ERR_RATE_LIMITED';
        return err;
      },
    });
  },
  { name: 'rate-limit', dependencies: ['services', 'auth'] },
);
