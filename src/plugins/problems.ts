/**
 * Every error leaves as application/problem+json naming the field (JSON pointer) and the reason.
 */
import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply } from 'fastify';
import { SpecError } from '../spec/problem.ts';
import type { Problem, ProblemIssue } from '../errors.ts';

const TITLES: Record<number, string> = { 401: 'Unauthorized', 429: 'Too Many Requests', 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 500: 'Internal Server Error', 503: 'Service Unavailable' };

export function sendProblem(reply: FastifyReply, status: number, detail: string, extra: { code?: string; errors?: ProblemIssue[] } = {}) {
  const body: Problem = { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, ...extra };
  return reply.code(status).type('application/problem+json').send(body);
}

interface ValidationIssue {
  schemaPath: string;
}

/**
 * A body that is a union tagged by `type` (fit | evaluate | predict jobs) fails every branch;
 * only the branch its `type` names is worth reporting.
 */
function taggedBranchOnly<T extends ValidationIssue>(issues: T[], schema: unknown, body: unknown): T[] {
  const branches = (schema as { anyOf?: Array<{ properties?: { type?: { const?: unknown } } }> } | undefined)?.anyOf;
  const tag = (body as { type?: unknown } | undefined)?.type;
  if (!Array.isArray(branches) || typeof tag !== 'string') return issues;
  const index = branches.findIndex((b) => b?.properties?.type?.const === tag);
  const narrowed = index < 0 ? [] : issues.filter((i) => i.schemaPath.startsWith(`#/anyOf/${index}/`));
  return narrowed.length ? narrowed : issues;
}

export default fp(
  async (app) => {
    app.setErrorHandler((err: FastifyError, req, reply) => {
      if (err instanceof SpecError) {
        return sendProblem(reply, 422, err.message, { code: 'KJ_ERR_INVALID_SPEC', errors: err.issues });
      }
      if (err.validation) {
        const where = err.validationContext ?? 'body';
        const issues = where === 'body' ? taggedBranchOnly(err.validation, req.routeOptions.schema?.body, req.body) : err.validation;
        const errors = issues.map((v) => {
          const missing = v.keyword === 'required' ? `/${(v.params as { missingProperty: string }).missingProperty}` : '';
          const extra = v.keyword === 'additionalProperties' ? `/${(v.params as { additionalProperty: string }).additionalProperty}` : '';
          const message = v.keyword === 'additionalProperties' ? 'is not an accepted key' : v.message ?? 'is invalid';
          return { pointer: `${v.instancePath}${missing}${extra}`, message: `${message}` };
        });
        return sendProblem(reply, 400, `invalid request ${where}: ${errors.map((e) => `${e.pointer || '/'} ${e.message}`).join('; ')}`, { code: 'KJ_ERR_VALIDATION', errors });
      }
      const status = err.statusCode ?? 500;
      if (status >= 500) req.log.error({ err }, 'request failed');
      return sendProblem(reply, status, status >= 500 && !err.code?.startsWith('KJ_') ? 'internal error' : err.message, { code: err.code });
    });
    app.setNotFoundHandler((req, reply) => sendProblem(reply, 404, `no route ${req.method} ${req.url}`, { code: 'KJ_ERR_ROUTE_NOT_FOUND' }));
  },
  { name: 'problems' },
);
