import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as tar from 'tar';
import { Type } from 'typebox';
import { CheckpointNotFound, FileNotFound, ModelNotFound } from '../errors.ts';
import { JobView } from '../jobs/job-record.ts';
import { submitJob, waitForEnd } from '../jobs/submit.ts';
import { EvaluateSpec, PredictSpec } from '../spec/schema.ts';
import { viewOf } from './jobs.ts';
import { ProblemSchema } from './problem-schema.ts';
import { ExpiresAt, ExpiryPatch } from './expiry-schema.ts';
import { sendModelArchive } from './model-archive.ts';

const FileEntry = Type.Object({ name: Type.String(), bytes: Type.Integer(), url: Type.String() });

const ModelView = Type.Object({
  id: Type.String(),
  job_id: Type.String(),
  status: Type.String({ description: 'training, trained, or imported (from a Keras file: POST /v1/models/import)' }),
  imported: Type.Optional(
    Type.Object({ format: Type.String({ description: 'keras (.keras archive) or h5 (legacy)' }), filename: Type.String(), keras_version: Type.Union([Type.String(), Type.Null()]) }, { description: 'Where an imported model came from.' }),
  ),
  created_at: Type.String(),
  trained_at: Type.Optional(Type.String()),
  expires_at: ExpiresAt,
  backend: Type.String(),
  epochs_run: Type.Optional(Type.Integer()),
  final_metrics: Type.Optional(Type.Record(Type.String(), Type.Number())),
  spec: Type.Object({ model: Type.Unknown(), compile: Type.Unknown() }),
  parent: Type.Optional(Type.Object({ model_id: Type.String(), checkpoint: Type.Union([Type.String(), Type.Null()]) }, { description: 'The model this one continued training from (initial_model).' })),
  size_bytes: Type.Integer({ description: 'Size of all its files on disk.' }),
  artifacts: Type.Array(FileEntry, { description: 'Files written by callbacks such as CSVLogger.' }),
  links: Type.Object({
    self: Type.String(),
    archive: Type.String({ description: 'The final model as one .tar.gz; add ?checkpoint=<name> for a checkpoint.' }),
    export: Type.String({ description: 'The model as a Keras 3 .keras file; see GET /v1/models/{id}/export for other formats and checkpoints.' }),
    job: Type.String(),
  }),
  summary: Type.Object({
    layers: Type.Array(
      Type.Object({
        name: Type.String(),
        class_name: Type.String(),
        output_shape: Type.Array(Type.Union([Type.Integer(), Type.Null()]), { description: 'Without the batch dimension.' }),
        params: Type.Integer(),
        trainable_params: Type.Integer(),
        inbound: Type.Array(Type.String()),
      }),
    ),
    total_params: Type.Integer(),
    trainable_params: Type.Integer(),
    non_trainable_params: Type.Integer(),
  }),
  files: Type.Array(FileEntry, { description: 'The final model in the TensorFlow.js layers format, plus optimizer state.' }),
  checkpoints: Type.Array(
    Type.Object({
      name: Type.String(),
      epoch: Type.Integer({ description: '0-based epoch after which it was saved.' }),
      monitor: Type.Optional(Type.String()),
      value: Type.Optional(Type.Number()),
      weights_only: Type.Optional(Type.Boolean()),
      files: Type.Array(FileEntry),
    }),
  ),
}, { title: 'Model' });

const models: FastifyPluginAsyncTypebox = async (app) => {
  const { models: store } = app.services;
  const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

  const describe = async (id: string, tenant: string) => {
    const info = await store.readOwned(id, tenant);
    if (!info) throw new ModelNotFound(id);
    const url = (rel: string) => `/v1/models/${id}/files/${rel}`;
    const files = (await store.listFinal(id)).map((f) => ({ ...f, url: url(`final/${f.name}`) }));
    const artifacts = (await store.listArtifacts(id)).map((f) => ({ ...f, url: url(`artifacts/${f.name}`) }));
    const checkpoints = (await store.listCheckpoints(id)).map((c) => ({ ...c, files: c.files.map((f) => ({ ...f, url: url(`checkpoints/${c.name}/${f.name}`) })) }));
    const links = { self: `/v1/models/${id}`, archive: `/v1/models/${id}/archive`, export: `/v1/models/${id}/export?format=keras`, job: `/v1/jobs/${info.job_id}` };
    const expiresAt = await store.expiresAt(id);
    return { ...(info as any), ...(expiresAt ? { expires_at: expiresAt } : {}), files, artifacts, checkpoints, size_bytes: await store.sizeOnDisk(id), links };
  };

  app.get('/v1/models', {
    schema: {
      operationId: 'listModels',
      tags: ['models'],
      summary: 'List models, newest first',
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })), offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })) }),
      response: { 200: Type.Object({ models: Type.Array(ModelView), total: Type.Integer() }) },
    },
    handler: async (req) => {
      const all = (await store.list()).filter((info) => info.tenant === req.tenant);
      const offset = req.query.offset ?? 0;
      const page = all.slice(offset, offset + (req.query.limit ?? 20));
      return { models: await Promise.all(page.map((info) => describe(info.id, req.tenant))), total: all.length };
    },
  });

  app.get('/v1/models/:id', {
    schema: { operationId: 'getModel', tags: ['models'], summary: 'Describe a model: spec, summary, final metrics, checkpoints, files, size', params: Params, response: { 200: ModelView, 404: ProblemSchema } },
    handler: async (req) => describe(req.params.id, req.tenant),
  });

  app.patch('/v1/models/:id', {
    schema: {
      operationId: 'setModelTtl',
      tags: ['models'],
      summary: "Set or clear a model's TTL",
      description: 'After ttl_s seconds the model is removed, unless a queued or running job trains, starts from or runs it (then once none does).',
      params: Params,
      body: ExpiryPatch,
      response: { 200: ModelView, 400: ProblemSchema, 404: ProblemSchema },
    },
    handler: async (req) => {
      if (!(await store.readOwned(req.params.id, req.tenant))) throw new ModelNotFound(req.params.id);
      await store.setExpiry(req.params.id, req.body.ttl_s);
      return describe(req.params.id, req.tenant);
    },
  });

  app.delete('/v1/models/:id', {
    schema: {
      operationId: 'deleteModel',
      tags: ['models'],
      summary: 'Delete a model and all its files',
      description: 'A model that a queued or running job trains, starts from or runs answers 409 naming the jobs.',
      params: Params,
      response: { 204: Type.Null(), 404: ProblemSchema, 409: ProblemSchema },
    },
    handler: async (req, reply) => {
      const { id } = req.params;
      if (!(await store.readOwned(id, req.tenant)) || !(await app.services.references.removeUnused(`model:${id}`, () => store.remove(id)))) throw new ModelNotFound(id);
      app.services.quotas.changed(req.tenant);
      return reply.code(204).send(null);
    },
  });

  app.get('/v1/models/:id/archive', {
    schema: {
      operationId: 'downloadModelArchive',
      tags: ['models'],
      summary: 'Download the final model (or ?checkpoint=<name>) as one .tar.gz in the TensorFlow.js layers format',
      params: Params,
      querystring: Type.Object({ checkpoint: Type.Optional(Type.String({ maxLength: 200 })) }),
      response: { 200: { description: 'A gzipped tar of model.json, weights.bin and optimizer state', content: { 'application/gzip': { schema: Type.String({ format: 'binary' }) } } }, 404: ProblemSchema },
    },
    handler: async (req, reply) => {
      const { id } = req.params;
      if (!(await store.readOwned(id, req.tenant))) throw new ModelNotFound(id);
      return sendModelArchive(reply, store, id, req.query.checkpoint);
    },
  });

  const WaitQuery = Type.Object({
    wait: Type.Optional(Type.Number({ minimum: 0, maximum: 300, description: 'Seconds to wait for the result; 200 with the finished job if it ends in time, else 202 with its link.' })),
    checkpoint: Type.Optional(Type.String({ maxLength: 200 })),
  });
  const shortcut = (kind: 'predict' | 'evaluate') => async (req: any, reply: any) => {
    const { id } = req.params;
    const { wait, checkpoint } = req.query;
    if (!(await store.readOwned(id, req.tenant))) throw new ModelNotFound(id);
    const body = kind === 'predict' ? { type: 'predict' as const, model_id: id, checkpoint, predict: req.body } : { type: 'evaluate' as const, model_id: id, checkpoint, evaluate: req.body };
    const { record } = await submitJob(app.services, body, req.log, { tenant: req.tenant, idempotencyKey: req.headers['idempotency-key'] });
    const ended = wait ? await waitForEnd(app.services, record.id, wait) : undefined;
    if (ended) return reply.code(200).send(await viewOf(ended, app.services));
    return reply.code(202).header('location', `/v1/jobs/${record.id}`).send(await viewOf((await app.services.jobs.getOwned(record.id, req.tenant)) ?? record, app.services));
  };
  for (const kind of ['predict', 'evaluate'] as const) {
    app.post(`/v1/models/:id/${kind}`, {
      schema: {
        operationId: kind === 'predict' ? 'predictWithModel' : 'evaluateModel',
        tags: ['models'],
        summary: kind === 'predict' ? 'Predict with a model (a predict job; ?wait=SECONDS answers with the result)' : 'Evaluate a model (an evaluate job; ?wait=SECONDS answers with the result)',
        params: Params,
        querystring: WaitQuery,
        body: kind === 'predict' ? PredictSpec : EvaluateSpec,
        response: { 200: JobView, 202: JobView, 400: ProblemSchema, 404: ProblemSchema, 422: ProblemSchema, 429: ProblemSchema, 507: ProblemSchema },
      },
      handler: shortcut(kind),
    });
  }

  app.get('/v1/models/:id/files/*', {
    schema: {
      operationId: 'downloadModelFile',
      tags: ['models'],
      summary: 'Download one file of the final model (final/<file>) or of a checkpoint (checkpoints/<name>/<file>)',
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }), '*': Type.String({ maxLength: 400 }) }),
      response: { 200: { description: 'The file', content: { 'application/octet-stream': { schema: Type.String({ format: 'binary' }) } } }, 404: ProblemSchema },
    },
    handler: async (req, reply) => {
      const { id } = req.params;
      const rel = req.params['*'];
      if (!(await store.readOwned(id, req.tenant))) throw new ModelNotFound(id);
      const file = await store.resolveFile(id, rel);
      if (!file) throw new FileNotFound(id, rel);
      const name = rel.split('/').pop()!;
      return reply
        .type(name.endsWith('.json') ? 'application/json' : 'application/octet-stream')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(createReadStream(file) as unknown as string); // a stream; the schema documents the body
    },
  });
};

export default models;
