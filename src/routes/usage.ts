/** GET /v1/usage: what the calling tenant holds against each of its limits. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

const Use = (description: string) => Type.Object({ used: Type.Number(), limit: Type.Number(), setting: Type.String() }, { description });

const UsageView = Type.Object({
  tenant: Type.String(),
  active_jobs: Use('Queued and running jobs. Over the limit, a submit answers 429.'),
  disk_bytes: Type.Intersect([
    Use('Bytes of the tenant\'s models (checkpoints included), datasets and prediction results. At the limit, uploads, imports and fit/predict submits answer 507.'),
    Type.Object({ models: Type.Number(), datasets: Type.Number(), results: Type.Number() }),
  ]),
  datasets: Use('Uploaded datasets. At the limit, an upload answers 429.'),
  streams: Use('Open event streams (GET /v1/jobs/{id}/events). At the limit, another answers 429.'),
}, { title: 'Usage' });

const usage: FastifyPluginAsyncTypebox = async (app) => {
  const { quotas, references } = app.services;
  app.get('/v1/usage', {
    schema: { operationId: 'getUsage', tags: ['usage'], summary: "The calling tenant's use of its quotas, and the limits", response: { 200: UsageView } },
    handler: async (req) => {
      const { limits } = quotas;
      const [disk, active, streams] = await Promise.all([quotas.diskUse(req.tenant, true), references.activeJobsOf(req.tenant), quotas.openStreams(req.tenant)]);
      return {
        tenant: req.tenant,
        active_jobs: { used: active, limit: limits.maxActiveJobs, setting: 'TENANT_MAX_ACTIVE_JOBS' },
        disk_bytes: { used: disk.total, limit: limits.maxDiskBytes, setting: 'TENANT_MAX_DISK_BYTES', models: disk.models, datasets: disk.datasets, results: disk.results },
        datasets: { used: disk.dataset_count, limit: limits.maxDatasets, setting: 'TENANT_MAX_DATASETS' },
        streams: { used: streams, limit: limits.maxStreams, setting: 'TENANT_MAX_STREAMS' },
      };
    },
  });
};

export default usage;
