import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { JobNotFound, QueueUnavailable } from '../errors.ts';
import { JobView, jobLinks, type JobRecord } from '../jobs/job-record.ts';
import { checkFitJob } from '../spec/check-job.ts';
import { JobCreate } from '../spec/schema.ts';
import { ProblemSchema } from './problem-schema.ts';

const JobAccepted = Type.Object({
  id: Type.String(),
  type: Type.String(),
  state: Type.Literal('queued'),
  links: Type.Object({ self: Type.String(), events: Type.String() }),
});

const JobParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export function viewOf(record: JobRecord): JobView {
  return { ...record, links: jobLinks(record.id, record.model_id) };
}

const jobs: FastifyPluginAsyncTypebox = async (app) => {
  const { jobs: store, queue, events } = app.services;

  app.post('/v1/jobs', {
    schema: {
      tags: ['jobs'],
      summary: 'Submit a job',
      description: 'Checks the whole spec (graph, shapes, names, data) and queues it. Sections mirror the Keras calls: model, compile, fit.',
      body: JobCreate,
      response: { 202: JobAccepted, 400: ProblemSchema, 422: ProblemSchema, 503: ProblemSchema },
    },
    handler: async (req, reply) => {
      const checked = checkFitJob(req.body);
      const id = randomUUID();
      const record: JobRecord = {
        id,
        type: req.body.type,
        state: 'queued',
        created_at: new Date().toISOString(),
        progress: { epoch: 0, epochs: checked.epochs },
        history: {},
        attempts: 0,
      };
      await store.create(record);
      try {
        await events.append(id, 'state', { state: 'queued' });
        await queue.add(req.body.type, { jobId: id, modelId: randomUUID(), spec: req.body }, { jobId: id });
      } catch (err) {
        // Nothing half-written: a job that is not in the queue does not exist.
        await Promise.allSettled([store.remove(id), events.remove(id)]);
        throw new QueueUnavailable((err as Error).message);
      }
      req.log.info({ jobId: id, samples: checked.samples, epochs: checked.epochs }, 'job queued');
      return reply.code(202).header('location', `/v1/jobs/${id}`).send({ id, type: record.type, state: 'queued', links: { self: `/v1/jobs/${id}`, events: `/v1/jobs/${id}/events` } });
    },
  });

  app.get('/v1/jobs/:id', {
    schema: {
      tags: ['jobs'],
      summary: 'Poll a job',
      params: JobParams,
      response: { 200: JobView, 404: ProblemSchema },
    },
    handler: async (req) => {
      const record = await store.get(req.params.id);
      if (!record) throw new JobNotFound(req.params.id);
      return viewOf(record);
    },
  });
};

export default jobs;
