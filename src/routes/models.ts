import { createReadStream } from 'node:fs';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { FileNotFound, ModelNotFound } from '../errors.ts';
import { ProblemSchema } from './problem-schema.ts';

const FileEntry = Type.Object({ name: Type.String(), bytes: Type.Integer(), url: Type.String() });

const ModelView = Type.Object({
  id: Type.String(),
  job_id: Type.String(),
  status: Type.String({ description: 'training or trained' }),
  created_at: Type.String(),
  trained_at: Type.Optional(Type.String()),
  backend: Type.String(),
  epochs_run: Type.Optional(Type.Integer()),
  final_metrics: Type.Optional(Type.Record(Type.String(), Type.Number())),
  spec: Type.Object({ model: Type.Unknown(), compile: Type.Unknown() }),
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
});

const models: FastifyPluginAsyncTypebox = async (app) => {
  const { models: store } = app.services;
  const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

  app.get('/v1/models/:id', {
    schema: { tags: ['models'], summary: 'Describe a model: layers, shapes, parameters, checkpoints, files', params: Params, response: { 200: ModelView, 404: ProblemSchema } },
    handler: async (req) => {
      const id = req.params.id;
      const info = await store.readInfo(id);
      if (!info) throw new ModelNotFound(id);
      const url = (rel: string) => `/v1/models/${id}/files/${rel}`;
      const files = (await store.listFinal(id)).map((f) => ({ ...f, url: url(`final/${f.name}`) }));
      const checkpoints = (await store.listCheckpoints(id)).map((c) => ({ ...c, files: c.files.map((f) => ({ ...f, url: url(`checkpoints/${c.name}/${f.name}`) })) }));
      return { ...(info as any), files, checkpoints };
    },
  });

  app.get('/v1/models/:id/files/*', {
    schema: {
      tags: ['models'],
      summary: 'Download one file of the final model (final/<file>) or of a checkpoint (checkpoints/<name>/<file>)',
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }), '*': Type.String({ maxLength: 400 }) }),
      response: { 200: { description: 'The file', content: { 'application/octet-stream': { schema: Type.String({ format: 'binary' }) } } }, 404: ProblemSchema },
    },
    handler: async (req, reply) => {
      const { id } = req.params;
      const rel = req.params['*'];
      if (!(await store.readInfo(id))) throw new ModelNotFound(id);
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
