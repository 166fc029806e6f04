/**
 * Datasets: numpy arrays uploaded once (multipart/form-data), then referenced by jobs.
 *
 *   curl -F file=@x_train.npy -F file=@y_train.npy http://127.0.0.1:3000/v1/datasets
 *
 * The store is exposed as `app.datasets` for other routes. @fastify/multipart is registered for the
 * upload route only: every other route keeps rejecting multipart bodies.
 */
import fp from 'fastify-plugin';
import multipart, { type Multipart } from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { DatasetStore, type DatasetInfo, type UploadPart } from '../datasets/dataset-store.ts';
import { BadMultipart, DatasetNotFound, DatasetTooLarge, InvalidDatasetFile, NotMultipart } from '../datasets/errors.ts';
import { sendProblem } from '../plugins/problems.ts';
import { ProblemSchema } from './problem-schema.ts';
import { ExpiresAt, ExpiryPatch, TtlQuery } from './expiry-schema.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Uploaded datasets: resolve `{dataset, array}` references with `app.datasets.readArray(...)`. */
    datasets: DatasetStore;
  }
}

const GiB = 1024 * 1024 * 1024;

/** DATASET_MAX_BYTES: the largest upload (all parts together) and the largest stored dataset. */
export function datasetMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.DATASET_MAX_BYTES;
  if (raw === undefined || raw === '') return 16 * GiB;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1024) throw new Error(`DATASET_MAX_BYTES must be an integer >= 1024, got "${raw}"`);
  return n;
}

const ArrayEntry = Type.Object({
  shape: Type.Array(Type.Integer({ minimum: 0 })),
  dtype: Type.Union([Type.Literal('float32'), Type.Literal('int32')], { description: 'After normalization: floats become float32, integers and booleans int32.' }),
  columns: Type.Optional(Type.Array(Type.String(), { description: 'Column names, for an array from a CSV file.' })),
});

const DatasetView = Type.Object(
  {
    id: Type.String(),
    created_at: Type.String(),
    bytes: Type.Integer({ description: 'Bytes the stored arrays take on disk.' }),
    expires_at: ExpiresAt,
    arrays: Type.Record(Type.String(), ArrayEntry, { description: 'By array name.' }),
    links: Type.Object({ self: Type.String() }),
  },
  { title: 'Dataset', description: 'A dataset: its arrays by name, as stored (float32 or int32, C order).' },
);

const UploadBody = Type.Object(
  {
    file: Type.Array(Type.String({ format: 'binary' }), {
      description:
        'One or more files, each in a part named "file". .npy: one array named after the file (x_train.npy → x_train). ' +
        '.npz (numpy.savez/savez_compressed): one array per member. .csv: a header row of column names, then numbers → one 2-D float32 array. ' +
        '.json: a nested array of numbers → one array.',
    }),
  },
  { description: 'multipart/form-data; the parts are streamed to disk and checked by the handler (the schema documents them, it is not used to validate).' },
);

const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

const viewOf = (info: DatasetInfo & { expires_at?: string }) => ({ ...info, links: { self: `/v1/datasets/${info.id}` } });

/** The request's file parts as the store wants them; anything else in the form is refused. */
async function* fileParts(req: FastifyRequest): AsyncGenerator<UploadPart> {
  const parts = req.parts();
  for (;;) {
    let next: IteratorResult<Multipart>;
    try {
      next = await parts.next();
    } catch (err) {
      const e = err as { statusCode?: number; message: string };
      // busboy's own errors (no boundary, truncated body) carry no status: the client sent bad multipart.
      throw e.statusCode ? err : new BadMultipart(e.message);
    }
    if (next.done) return;
    const part = next.value;
    if (part.type !== 'file') throw new InvalidDatasetFile('', `unexpected form field "${part.fieldname}": send only files, each in a part named "file"`);
    if (part.fieldname !== 'file') {
      part.file.resume();
      throw new InvalidDatasetFile(part.filename ?? '', `files go in parts named "file", not "${part.fieldname}" (curl -F file=@x_train.npy)`);
    }
    if (!part.filename) {
      part.file.resume();
      throw new InvalidDatasetFile('', 'a "file" part has no file name; the array is named after it (x_train.npy → x_train)');
    }
    yield { filename: part.filename, file: part.file };
  }
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const store = app.datasets;
  await app.register(multipart, { limits: { fileSize: store.maxBytes }, attachFieldsToBody: false });

  app.post('/v1/datasets', {
    schema: {
      operationId: 'uploadDataset',
      tags: ['datasets'],
      summary: 'Upload a dataset: .npy, .npz, .csv or .json files',
      description:
        'Each "file" part becomes one or more named arrays, normalized to float32 (floats) or int32 (integers, booleans) in C order. ' +
        'All or nothing: a dataset exists only if every part was valid. curl -F file=@x_train.npy -F file=@y_train.npy …/v1/datasets',
      consumes: ['multipart/form-data'],
      querystring: TtlQuery,
      body: UploadBody,
      response: { 201: DatasetView, 400: ProblemSchema, 413: ProblemSchema, 415: ProblemSchema, 422: ProblemSchema, 429: ProblemSchema, 507: ProblemSchema },
    },
    // The body is a stream read by the handler, so it is not validated against the (documenting)
    // schema; the query string is, by the app's compiler.
    validatorCompiler: (route) => (route.httpPart === 'body' ? () => true : app.validatorCompiler!(route)),
    onRequest: async (req) => {
      const type = req.headers['content-type'] ?? '';
      if (!/^multipart\/form-data\b/i.test(type)) throw new NotMultipart(type.split(';')[0] || 'none');
    },
    handler: async (req, reply) => {
      try {
        await app.services.quotas.checkNewDataset(req.tenant);
        const info = await store.save(fileParts(req), req.tenant, req.query.ttl_s);
        app.services.quotas.changed(req.tenant);
        req.log.info({ datasetId: info.id, bytes: info.bytes, arrays: Object.keys(info.arrays) }, 'dataset saved');
        return reply.code(201).header('location', `/v1/datasets/${info.id}`).send(viewOf(info));
      } catch (err) {
        // The client may still be sending: close the connection after answering rather than read the rest.
        if (!req.raw.complete) reply.header('connection', 'close');
        if (err instanceof InvalidDatasetFile) return sendProblem(reply, 422, err.message, { code: err.code, errors: err.issues });
        if (err instanceof DatasetTooLarge) return sendProblem(reply, 413, err.message, { code: err.code });
        throw err;
      }
    },
  });

  app.get('/v1/datasets/:id', {
    schema: { operationId: 'getDataset', tags: ['datasets'], summary: 'Describe a dataset: its arrays, shapes and dtypes', params: Params, response: { 200: DatasetView, 404: ProblemSchema } },
    handler: async (req) => {
      const info = await store.getOwned(req.params.id, req.tenant);
      if (!info) throw new DatasetNotFound(req.params.id);
      return viewOf({ ...info, expires_at: await store.expiresAt(info.id) });
    },
  });

  app.patch('/v1/datasets/:id', {
    schema: {
      operationId: 'setDatasetTtl',
      tags: ['datasets'],
      summary: 'Set or clear a dataset\'s TTL',
      description: 'After ttl_s seconds the dataset is removed, unless a queued or running job reads it (then once it no longer does).',
      params: Params,
      body: ExpiryPatch,
      response: { 200: DatasetView, 400: ProblemSchema, 404: ProblemSchema },
    },
    handler: async (req) => {
      const info = await store.getOwned(req.params.id, req.tenant);
      if (!info) throw new DatasetNotFound(req.params.id);
      return viewOf({ ...info, expires_at: await store.setExpiry(info.id, req.body.ttl_s) });
    },
  });

  app.delete('/v1/datasets/:id', {
    schema: {
      operationId: 'deleteDataset',
      tags: ['datasets'],
      summary: 'Delete a dataset',
      description: 'A dataset that a queued or running job reads answers 409 naming the jobs.',
      params: Params,
      response: { 204: Type.Null({ description: 'Deleted' }), 404: ProblemSchema, 409: ProblemSchema },
    },
    handler: async (req, reply) => {
      const { id } = req.params;
      if (!(await store.getOwned(id, req.tenant)) || !(await app.services.references.removeUnused(`dataset:${id}`, () => store.remove(id)))) throw new DatasetNotFound(id);
      app.services.quotas.changed(req.tenant);
      return reply.code(204).send(null);
    },
  });
};

export default fp(
  async (app) => {
    const { config } = app.services;
    // config.datasetDir is <CHECKPOINT_DIR>/datasets: the volume the API and the workers share.
    app.decorate('datasets', new DatasetStore(config.datasetDir, { maxBytes: datasetMaxBytes() }));
    // Encapsulated: multipart parsing stays with the dataset routes.
    await app.register(routes);
  },
  { name: 'datasets', dependencies: ['services'] },
);
