/**
 * Keras in, Keras out: POST /v1/models/import takes a `.keras` (Keras 3) or `.h5` (tf.keras 2)
 * file; GET /v1/models/{id}/export gives a model back as a `.keras` file, as Keras 3 `to_json()`,
 * or in the TensorFlow.js layers format. @fastify/multipart is registered for the import route
 * only (this plugin is encapsulated), as for dataset uploads.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { CheckpointNotFound, ModelNotFound } from '../errors.ts';
import { acceptImport, receiveImport } from '../jobs/import-model.ts';
import { waitForEnd } from '../jobs/submit.ts';
import { viewOf } from './jobs.ts';
import { pythonJson, readWeightsFromTfjs, writeKerasArchive } from '../keras/keras-archive.ts';
import { toKerasJson } from '../keras/to-keras-json.ts';
import { checkGraph, layerNamesDeep, normalizeModel } from '../spec/graph.ts';
import { fail } from '../spec/problem.ts';
import { JobView } from '../jobs/job-record.ts';
import { ProblemSchema } from './problem-schema.ts';
import { TtlS } from './expiry-schema.ts';
import { sendModelArchive } from './model-archive.ts';

const MiB = 1024 * 1024;

const ImportAnswer = Type.Object({
  id: Type.String({ description: 'The new model: use it as model_id of evaluate/predict jobs or initial_model of a fit job.' }),
  job: JobView,
  links: Type.Object({ model: Type.String(), job: Type.String(), export: Type.String() }),
}, { title: 'ImportAnswer' });

const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

const kerasModels: FastifyPluginAsyncTypebox = async (app) => {
  const services = app.services;
  const { models: store, config } = services;
  await app.register(multipart, { limits: { files: 1, fields: 0, parts: 1, fileSize: config.importMaxBytes } });

  app.post('/v1/models/import', {
    schema: {
      operationId: 'importModel',
      tags: ['models'],
      summary: 'Import a Keras model: a .keras file (Keras 3) or a .h5 file (tf.keras 2), multipart part "file"',
      description:
        'The architecture is translated (unsupported layers or options are named in a 422, with what is supported), the weights are checked against it, and a worker stores the model. ' +
        'Answers 201 with the model id once stored (within ?wait= seconds, default 60), else 202 with the import job to poll.',
      consumes: ['multipart/form-data'],
      body: Type.Object({ file: Type.String({ format: 'binary', description: 'The .keras or .h5 file.' }) }, { description: 'multipart/form-data with one part, "file"; read by the handler (the schema documents it, it is not used to validate).' }),
      querystring: Type.Object({ wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 600, default: 60 })), ttl_s: Type.Optional(TtlS) }),
      response: { 201: ImportAnswer, 202: ImportAnswer, 400: ProblemSchema, 413: ProblemSchema, 422: ProblemSchema, 429: ProblemSchema, 507: ProblemSchema },
    },
    // The body is a stream the handler reads; the query string is validated as usual.
    validatorCompiler: (route) => (route.httpPart === 'body' ? () => true : app.validatorCompiler!(route)),
    handler: async (req, reply) => {
      if (!req.isMultipart()) fail('/', 'send the file as multipart/form-data in a part named "file" (curl -F file=@model.keras)');
      const part = await req.file();
      if (!part || part.fieldname !== 'file') fail('/file', 'is required: one multipart part named "file"');
      const upload = await receiveImport(services, req.tenant, part);
      const record = await acceptImport(services, req.tenant, upload, req.log, req.query.ttl_s);
      const ended = await waitForEnd(services, record.id, req.query.wait ?? 60);
      const job = ended ?? record;
      if (job.state === 'failed') fail('/file', `could not be imported: ${job.error?.message ?? 'the import job failed'}`);
      const modelId = record.model_id!;
      return reply.code(job.state === 'completed' ? 201 : 202).send({
        id: modelId,
        job: await viewOf(job, services),
        links: { model: `/v1/models/${modelId}`, job: `/v1/jobs/${record.id}`, export: `/v1/models/${modelId}/export?format=keras` },
      });
    },
  });

  app.get('/v1/models/:id/export', {
    schema: {
      operationId: 'exportModel',
      tags: ['models'],
      summary: 'Export a model (or ?checkpoint=) as a Keras 3 .keras file, as Keras 3 to_json(), or in the TensorFlow.js layers format (.tar.gz)',
      description: 'format=keras: load it with keras.saving.load_model("model.keras"); it predicts what this model predicts. format=keras_json: keras.models.model_from_json(text). format=tfjs: tf.loadLayersModel on the unpacked model.json.',
      params: Params,
      querystring: Type.Object({
        format: Type.Union([Type.Literal('keras'), Type.Literal('keras_json'), Type.Literal('tfjs')], { default: 'keras' }),
        checkpoint: Type.Optional(Type.String({ maxLength: 200 })),
      }),
      response: {
        200: { description: 'The model file', content: { 'application/octet-stream': { schema: Type.String({ format: 'binary' }) }, 'application/json': { schema: Type.Unknown() }, 'application/gzip': { schema: Type.String({ format: 'binary' }) } } },
        404: ProblemSchema,
      },
    },
    handler: async (req, reply) => {
      const { id } = req.params;
      const { format = 'keras', checkpoint } = req.query;
      const info = await store.readOwned(id, req.tenant);
      if (!info) throw new ModelNotFound(id);
      if (format === 'tfjs') return sendModelArchive(reply, store, id, checkpoint);
      const dir = await store.filesDir(id, checkpoint);
      if (!dir) throw new CheckpointNotFound(id, checkpoint ?? 'final');
      const graph = checkGraph(normalizeModel(info.spec.model));
      const name = `model_${id.slice(0, 8)}`;
      const keras = toKerasJson(graph, { name, compile: info.spec.compile ?? undefined });
      const base = `${id}${checkpoint ? `-${checkpoint}` : ''}`;
      if (format === 'keras_json') return reply.type('application/json').header('content-disposition', `attachment; filename="${base}.json"`).send(pythonJson(keras));
      const layers = graph.layers.map((l) => ({ name: l.name, class_name: l.class_name }));
      // Per layer, a nested model's per layer of its own: how the .keras weights file groups them.
      const weights = readWeightsFromTfjs(await fs.readFile(path.join(dir, 'model.json'), 'utf8'), new Uint8Array(await fs.readFile(path.join(dir, 'weights.bin'))), layerNamesDeep(graph));
      const bytes = await writeKerasArchive({ config: keras, weights, layers });
      return reply.type('application/octet-stream').header('content-disposition', `attachment; filename="${base}.keras"`).send(Buffer.from(bytes));
    },
  });
};

export default kerasModels;
