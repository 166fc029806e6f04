/**
 * Every error leaves as application/problem+json naming the field (JSON pointer) and the reason.
 */
import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply } from 'fastify';
import { SpecError } from '../spec/problem.ts';
import type { Problem, ProblemIssue, Quota } from '../errors.ts';

const TITLES: Record<number, string> = { 401: 'Unauthorized', 429: 'Too Many Requests', 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 500: 'Internal Server Error', 503: 'Service Unavailable', 507: 'Insufficient Storage' };

export function sendProblem(reply: FastifyReply, status: number, detail: string, extra: { code?: string; errors?: ProblemIssue[]; quota?: Quota } = {}) {
  const body: Problem = { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, ...extra };
  return reply.code(status).type('application/problem+json').send(body);
}

interface ValidationIssue {
  schemaPath: string;
}

interface AjvIssue extends ValidationIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/**
 * A body that is a union tagged by `type` (fit | evaluate | predict jobs) fails every branch;
 * only the branch its `type` names is worth reporting.
 */
function taggedBranchOnly<T extends AjvIssue>(issues: T[], schema: unknown, body: unknown): T[] {
  const branches = (schema as { anyOf?: Array<{ properties?: { type?: { const?: unknown } } }> } | undefined)?.anyOf;
  const tags = branches?.map((b) => b?.properties?.type?.const);
  if (!branches || !tags?.every((t): t is string => typeof t === 'string')) return issues;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return issues;
  const tag = (body as { type?: unknown } | undefined)?.type;
  const index = tags.indexOf(tag as string);
  // No branch is meant: the type itself is what is wrong.
  if (index < 0) return [{ ...issues[0], instancePath: '/type', keyword: 'enum', params: { allowedValues: tags }, message: `must be one of: ${tags.join(', ')}` }];
  const narrowed = issues.filter((i) => i.schemaPath.startsWith(`#/anyOf/${index}/`));
  return narrowed.length ? narrowed : issues;
}

/**
 * A union of literals (a state filter, an export format) fails once per literal plus once for the
 * anyOf: one issue listing the accepted values says it better.
 */
function mergeLiteralAlternatives<T extends AjvIssue>(issues: T[]): T[] {
  const allowed = new Map<string, unknown[]>();
  for (const i of issues) if (i.keyword === 'const') allowed.set(i.instancePath, [...(allowed.get(i.instancePath) ?? []), i.params.allowedValue]);
  const out: T[] = [];
  const merged = new Set<string>();
  for (const i of issues) {
    const values = allowed.get(i.instancePath);
    if (!values || (i.keyword !== 'const' && i.keyword !== 'anyOf')) out.push(i);
    else if (!merged.has(i.instancePath)) {
      merged.add(i.instancePath);
      out.push({ ...i, message: values.length === 1 ? `must be ${values[0]}` : `must be one of: ${values.join(', ')}` });
    }
  }
  return out;
}

export default fp(
  async (app) => {
    app.setErrorHandler((err: FastifyError, req, reply) => {
      if (err instanceof SpecError) {
        return sendProblem(reply, 422, err.message, { code: 'KJ_ERR_INVALID_SPEC', errors: err.issues });
      }
      if (err.validation) {
        const where = err.validationContext ?? 'body';
        const issues = mergeLiteralAlternatives(where === 'body' ? taggedBranchOnly(err.validation, req.routeOptions.schema?.body, req.body) : err.validation);
        const errors = issues.map((v) => {
          const missing = v.keyword === 'required' ? `/${(v.params as { missingProperty: string }).missingProperty}` : '';
          const extra = v.keyword === 'additionalProperties' ? `/${(v.params as { additionalProperty: string }).additionalProperty}` : '';
          const message = v.keyword === 'additionalProperties' ? 'is not an accepted key' : v.message ?? 'is invalid';
          return { pointer: `${v.instancePath}${missing}${extra}`, message: `${message}` };
        });
        return sendProblem(reply, 400, `invalid request ${where}: ${errors.map((e) => `${e.pointer || '/'} ${e.message}`).join('; ')}`, { code: 'KJ_ERR_VALIDATION', errors });
      }
      const status = err.statusCode ?? 500;
      const quota = (err as { quota?: Quota }).quota;
      // A full disk quota (507) is the tenant's state, not the server failing.
      if (status >= 500 && !quota) req.log.error({ err }, 'request failed');
      return sendProblem(reply, status, status >= 500 && !err.code?.startsWith('KJ_') ? 'internal error' : err.message, { code: err.code, ...(quota ? { quota } : {}) });
    });
    app.setNotFoundHandler((req, reply) => sendProblem(reply, 404, `no route ${req.method} ${req.url}`, { code: 'KJ_ERR_ROUTE_NOT_FOUND' }));
  },
  { name: 'problems' },
);
