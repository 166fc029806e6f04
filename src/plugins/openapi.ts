/** OpenAPI from the route schemas (the same TypeBox schemas that validate), Swagger UI at /docs. */
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { finishDocument } from './openapi-document.ts';
import { requestExamples } from './openapi-examples.ts';

export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'keras-jobs',
          version: '0.1.0',
          description:
            'A Keras-compatible training-job service: submit a model and a training spec, follow every epoch live over SSE, download the trained model. ' +
            'With API_KEYS set, every operation but the ops ones needs `Authorization: Bearer <key>`; errors are RFC 9457 problems.',
          license: { name: 'MIT', identifier: 'MIT' },
        },
        servers: [{ url: 'http://127.0.0.1:3000', description: '`npm start` on this machine (HOST, PORT)' }],
        components: {
          securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS or API_KEYS_FILE; it decides the tenant.' } },
        },
        security: [{ bearer: [] }],
        tags: [
          { name: 'jobs', description: 'Submit and follow training jobs' },
          { name: 'sweeps', description: 'Hyperparameter searches (KerasTuner-style) over fit jobs' },
          { name: 'models', description: 'Trained models and checkpoints' },
          { name: 'datasets', description: 'Uploaded numpy/CSV/JSON arrays that jobs can reference' },
          { name: 'usage', description: "The calling tenant's quotas: active jobs, disk, datasets, streams" },
          { name: 'ops', description: 'Health' },
        ],
      },
      // Shared schemas (Problem) become components under their $id, not def-N.
      refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
      transformObject: (doc) => finishDocument(structuredClone('openapiObject' in doc ? doc.openapiObject : doc.swaggerObject) as Record<string, any>, requestExamples()) as any,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'openapi' },
);
