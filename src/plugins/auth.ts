/**
 * API keys and tenants. With keys configured every route but /health, /ready, /metrics, the docs and the dashboard's static pages needs
 * `Authorization: Bearer <key>`; the key's tenant is request.tenant, and every store lookup is
 * scoped to it. Without keys the service is open (one tenant, "public") and says so at start.
 */
import fp from 'fastify-plugin';
import createError from '@fastify/error';
import { OPEN_TENANT, sha256 } from '../config.ts';

export const Unauthorized = createError('KJ_ERR_UNAUTHORIZED', 'A valid API key is required: send "Authorization: Bearer <key>"', 401);

export { OPEN_TENANT };

declare module 'fastify' {
  interface FastifyRequest {
    tenant: string;
  }
}

const PUBLIC = [/^\/(health|ready|metrics)?$/, /^\/(docs|ui)(\/|$)/];

export default fp(
  async (app) => {
    const keys = app.services.config.apiKeys;
    app.decorateRequest('tenant', OPEN_TENANT);
    if (keys.size === 0) {
      app.log.warn('API_KEYS is not set: the service is OPEN — anyone who can reach it can submit jobs and read every model');
      return;
    }
    const refused = new WeakSet<object>();
    app.addHook('onRequest', async (req) => {
      const path = req.url.split('?')[0];
      if (PUBLIC.some((p) => p.test(path))) return;
      const header = req.headers.authorization ?? '';
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      const tenant = m ? keys.get(sha256(m[1])) : undefined;
      if (tenant) req.tenant = tenant;
      else refused.add(req);
    });
    // Refused one hook later, after the rate limit's onRequest has counted the request against its
    // address: guessing keys is rate-limited too (and the body is never parsed).
    app.addHook('preParsing', async (req) => {
      if (refused.has(req)) throw new Unauthorized();
    });
  },
  { name: 'auth', dependencies: ['services'] },
);
