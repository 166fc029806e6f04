/** buildApp: the whole API as a Fastify instance. It never listens; server.ts does. */
import { Ajv } from 'ajv';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.ts';
import openapi from './plugins/openapi.ts';
import problems, { sendProblem } from './plugins/problems.ts';
import services from './plugins/services.ts';
import auth from './plugins/auth.ts';
import rateLimit from './plugins/rate-limit.ts';
import { ProblemSchema } from './routes/problem-schema.ts';
import datasets from './routes/datasets.ts';
import events from './routes/events.ts';
import sweeps from './routes/sweeps.ts';
import health from './routes/health.ts';
import metrics from './routes/metrics.ts';
import dashboard from './routes/dashboard.ts';
import kerasModels from './routes/keras-models.ts';
import jobs from './routes/jobs.ts';
import models from './routes/models.ts';
import usage from './routes/usage.ts';

export interface AppOptions {
  config: Config;
  logger?: FastifyServerOptions['logger'];
}

export async function buildApp({ config, logger }: AppOptions) {
  const app = Fastify({
    logger: logger ?? { level: config.logLevel },
    bodyLimit: config.bodyLimit,
    requestIdHeader: 'x-request-id',
    // Router errors (a malformed URL, a path parameter too long) get the problem format too.
    frameworkErrors: (err, _req, reply) => sendProblem(reply, err.statusCode ?? 400, err.message, { code: err.code }),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodies are JSON: reject what the schema does not allow instead of dropping or coercing it.
  // Query strings and headers are text: there numbers and booleans must be coerced.
  const strict = new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false, strict: false });
  const lenient = new Ajv({ removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false, strict: false });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : lenient).compile(schema));

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.addSchema(ProblemSchema);
  await app.register(problems);
  await app.register(openapi);
  await app.register(services, { config });
  await app.register(auth);
  await app.register(rateLimit);
  await app.register(datasets);
  await app.register(health);
  await app.register(metrics);
  await app.register(dashboard);
  await app.register(kerasModels);
  await app.register(jobs);
  await app.register(events);
  await app.register(sweeps);
  await app.register(models);
  await app.register(usage);
  return app;
}
