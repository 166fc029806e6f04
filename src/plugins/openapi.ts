/** OpenAPI from the route schemas (the same TypeBox schemas that validate), Swagger UI at /docs. */
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'keras-jobs',
          version: '0.1.0',
          description: 'A Keras-compatible training-job service: submit a model and a training spec, follow every epoch live over SSE, download the trained model.',
        },
        tags: [
          { name: 'jobs', description: 'Submit and follow training jobs' },
          { name: 'models', description: 'Trained models and checkpoints' },
          { name: 'datasets', description: 'Uploaded numpy/CSV/JSON arrays that jobs can reference' },
          { name: 'usage', description: "The calling tenant's quotas: active jobs, disk, datasets, streams" },
          { name: 'ops', description: 'Health' },
        ],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'openapi' },
);
