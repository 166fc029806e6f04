import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { nestedValues, parseNpy } from '../datasets/npy.ts';
import type { Services } from '../plugins/services.ts';
import { BadCursor, JobFinished, JobNotFound, NoPredictions, ResultNotFound } from '../errors.ts';
import { JobId, JobState, JobView, TERMINAL_STATES, jobLinks, type JobRecord } from '../jobs/job-record.ts';
import { submitJob } from '../jobs/submit.ts';
import { cancelJob } from '../jobs/cancel.ts';
import { JobCreate } from '../spec/schema.ts';
import { ProblemSchema } from './problem-schema.ts';

const JobAccepted = Type.Object({
  id: Type.String(),
  type: Type.String(),
  state: Type.Literal('queued', { description: 'Always queued on creation (a replayed Idempotency-Key answers the original acceptance).' }),
  links: Type.Object({ self: Type.String(), events: Type.String() }),
}, { title: 'JobAccepted' });

const JobParams = Type.Object({ id: JobId });

const JobList = Type.Object({
  jobs: Type.Array(JobView),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as ?cursor= for the next (older) page; null on the last page.' }),
}, { title: 'JobList' });

/**
 * A job as the API shows it. A finished predict job's predictions come from its .npy result files
 * (up to PREDICTIONS_INLINE_MAX numbers), not from its record: Redis keeps records for JOB_TTL_S.
 */
export async function viewOf(record: JobRecord, { models, config }: Pick<Services, 'models' | 'config'>): Promise<JobView> {
  const view = { ...record, links: jobLinks(record.id, record.type === 'fit' ? record.model_id : undefined) };
  const { output_names: names, shapes, predictions } = record.result ?? {};
  if (!names || !shapes || predictions) return view;
  const count = shapes.reduce((n, shape) => n + shape.reduce((a, b) => a * b, 1), 0);
  if (count > config.predictionsInlineMax) return view;
  const files = await Promise.all(names.map((name) => models.resultFile(record.id, `${name}.npy`)));
  // Gone with an expired record (the janitor), or never written: the view says what the record says.
  if (files.some((f) => !f)) return view;
  const arrays = await Promise.all(files.map(async (f) => nestedValues(parseNpy(await fs.readFile(f!)))));
  return { ...view, result: { ...record.result, predictions: arrays } };
}

const jobs: FastifyPluginAsyncTypebox = async (app) => {
  const { jobs: store, redis, keys } = app.services;

  app.post('/v1/jobs', {
    schema: {
      operationId: 'createJob',
      tags: ['jobs'],
      summary: 'Submit a job: fit, evaluate or predict',
      description: 'Checks the whole spec (graph, shapes, names, data, referenced models) and queues it. Sections mirror the Keras calls: model, compile, fit, evaluate, predict.',
      body: JobCreate,
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Retrying with the same key (and body) returns the same job instead of creating another.' })) }),
      response: { 202: JobAccepted, 400: ProblemSchema, 409: ProblemSchema, 413: ProblemSchema, 422: ProblemSchema, 429: ProblemSchema, 503: ProblemSchema, 507: ProblemSchema },
    },
    handler: async (req, reply) => {
      const { record, replayed } = await submitJob(app.services, req.body, req.log, { tenant: req.tenant, idempotencyKey: req.headers['idempotency-key'] });
      const { id, type } = record;
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(202).header('location', `/v1/jobs/${id}`).send({ id, type, state: 'queued', links: { self: `/v1/jobs/${id}`, events: `/v1/jobs/${id}/events` } });
    },
  });

  app.get('/v1/jobs', {
    schema: {
      operationId: 'listJobs',
      tags: ['jobs'],
      summary: 'List jobs, newest first',
      querystring: Type.Object({
        state: Type.Optional(JobState),
        type: Type.Optional(Type.Union([Type.Literal('fit'), Type.Literal('evaluate'), Type.Literal('predict')])),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
        cursor: Type.Optional(Type.String({ maxLength: 100 })),
      }),
      response: { 200: JobList, 400: ProblemSchema },
    },
    handler: async (req) => {
      const { state, type, cursor } = req.query;
      const limit = req.query.limit ?? 20;
      let start = 0;
      if (cursor) {
        const rank = await redis.zrevrank(keys.jobIndex(req.tenant), cursor);
        if (rank === null) throw new BadCursor(cursor);
        start = rank + 1;
      }
      const page: JobView[] = [];
      let lastId: string | undefined;
      let exhausted = false;
      // Filters apply after reading, so scan in chunks until the page is full.
      while (page.length < limit && !exhausted) {
        const ids = await redis.zrevrange(keys.jobIndex(req.tenant), start, start + 199);
        exhausted = ids.length < 200;
        start += ids.length;
        const records = await store.getMany(ids);
        for (const [i, id] of ids.entries()) {
          const record = records[i];
          if (!record) {
            await redis.zrem(keys.jobIndex(req.tenant), id); // expired
            start -= 1;
            continue;
          }
          lastId = id;
          if ((state && record.state !== state) || (type && record.type !== type)) continue;
          page.push(await viewOf(record, app.services));
          if (page.length === limit) break;
        }
      }
      const lastRank = lastId ? await redis.zrevrank(keys.jobIndex(req.tenant), lastId) : null;
      const more = page.length === limit && lastRank !== null && lastRank < (await redis.zcard(keys.jobIndex(req.tenant))) - 1;
      return { jobs: page, next_cursor: more ? lastId! : null };
    },
  });

  app.get('/v1/jobs/:id', {
    schema: { operationId: 'getJob', tags: ['jobs'], summary: 'Poll a job', params: JobParams, response: { 200: JobView, 404: ProblemSchema } },
    handler: async (req) => {
      const record = await store.getOwned(req.params.id, req.tenant);
      if (!record) throw new JobNotFound(req.params.id);
      return viewOf(record, app.services);
    },
  });

  app.get('/v1/jobs/:id/spec', {
    schema: {
      operationId: 'getJobSpec',
      tags: ['jobs'],
      summary: 'The spec the job runs, as checked and normalized at submission; data arrays are shown by shape only',
      params: JobParams,
      response: { 200: Type.Object({ spec: Type.Unknown() }), 404: ProblemSchema },
    },
    handler: async (req) => {
      const record = await store.getOwned(req.params.id, req.tenant);
      const spec = record && (await store.spec(record.id));
      if (spec === undefined) throw new JobNotFound(req.params.id);
      return { spec };
    },
  });

  app.get('/v1/jobs/:id/result/:file', {
    schema: {
      operationId: 'downloadJobResult',
      tags: ['jobs'],
      summary: 'Predictions of a job as .npy: predictions.npy (single-output models) or <output name>.npy',
      params: Type.Object({ id: JobId, file: Type.String({ pattern: '^[A-Za-z0-9_.-]+\\.npy$', maxLength: 210 }) }),
      response: { 200: { description: 'A numpy .npy file (float32, C order)', content: { 'application/octet-stream': { schema: Type.String({ format: 'binary' }) } } }, 404: ProblemSchema, 409: ProblemSchema },
    },
    handler: async (req, reply) => {
      const { id, file } = req.params;
      const record = await store.getOwned(id, req.tenant);
      if (!record) throw new JobNotFound(id);
      const names = record.result?.output_names;
      if (!names) throw new NoPredictions(id);
      let name = file.slice(0, -'.npy'.length);
      if (name === 'predictions' && !names.includes('predictions')) {
        if (names.length !== 1) throw new ResultNotFound(id, file, names.map((n) => `${n}.npy`).join(', '));
        name = names[0];
      }
      const path = names.includes(name) ? await app.services.models.resultFile(id, `${name}.npy`) : undefined;
      if (!path) throw new ResultNotFound(id, file, names.map((n) => `${n}.npy`).join(', '));
      return reply.type('application/octet-stream').header('content-disposition', `attachment; filename="${file}"`).send(createReadStream(path) as unknown as string);
    },
  });

  app.delete('/v1/jobs/:id', {
    schema: {
      operationId: 'cancelJob',
      tags: ['jobs'],
      summary: 'Cancel a job',
      description: 'A queued job is removed from the queue; a running job stops within one batch, keeps its checkpoints, ends in cancelled and is never retried. A finished job answers 409.',
      params: JobParams,
      response: { 202: JobView, 404: ProblemSchema, 409: ProblemSchema },
    },
    handler: async (req, reply) => {
      const id = req.params.id;
      const record = await store.getOwned(id, req.tenant);
      if (!record) throw new JobNotFound(id);
      if (TERMINAL_STATES.has(record.state)) throw new JobFinished(id, record.state);
      await cancelJob(app.services, record);
      return reply.code(202).send(await viewOf((await store.get(id))!, app.services));
    },
  });
};

export default jobs;
