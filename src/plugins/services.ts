/**
 * Infrastructure the routes share: Redis connections, the queue, job records, the event log and
 * hub, and the model store. Wrapped with fastify-plugin so `app.services` reaches every route.
 */
import fp from 'fastify-plugin';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { EventHub } from '../events/event-hub.ts';
import { EventLog } from '../events/event-log.ts';
import { JobStore } from '../jobs/job-store.ts';
import { createQueue, type QueuedJob } from '../jobs/queue.ts';
import { connectRedis } from '../redis/connect.ts';
import { logErrorsOnce } from '../redis/quiet-errors.ts';
import { Keys } from '../redis/keys.ts';
import { JobReferences } from '../jobs/job-references.ts';
import { TenantQuotas } from '../tenants/quotas.ts';
import { ModelStore } from '../store/model-store.ts';
import { DatasetStore } from '../datasets/dataset-store.ts';
import { ImportInspector } from '../jobs/import-inspector.ts';

export interface Services {
  config: Config;
  keys: Keys;
  redis: Redis;
  queue: Queue<QueuedJob>;
  jobs: JobStore;
  references: JobReferences;
  quotas: TenantQuotas;
  events: EventLog;
  hub: EventHub;
  models: ModelStore;
  /** Read side of uploaded datasets (jobs reference their arrays). */
  datasetArrays: DatasetStore;
  /** Checks uploaded Keras files in child processes. */
  importInspector: ImportInspector;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

export default fp<{ config: Config }>(
  async (app, { config }) => {
    const keys = new Keys(config.redisPrefix);
    // lazyConnect: building the app (e.g. to write the OpenAPI file) needs no Redis.
    const redis = connectRedis(config.redisUrl, { lazyConnect: true });
    const sub = connectRedis(config.redisUrl, { lazyConnect: true });
    for (const [name, conn] of [['redis', redis], ['pub/sub', sub]] as const) logErrorsOnce(conn, (m) => app.log.warn(m), name);
    const events = new EventLog(redis, keys);
    const queue = createQueue(config);
    const jobs = new JobStore(redis, keys);
    const models = new ModelStore(config.checkpointDir);
    const datasetArrays = new DatasetStore(config.datasetDir, { maxBytes: 0 });
    logErrorsOnce(queue, (m) => app.log.warn(m), 'queue', redis);
    app.decorate('services', {
      config,
      keys,
      redis,
      queue,
      jobs,
      references: new JobReferences(redis, keys, jobs, config.quotas.maxActiveJobs),
      quotas: new TenantQuotas(config.quotas, redis, keys, models, datasetArrays, config.sseHeartbeatS * 3),
      events,
      hub: new EventHub(sub, events, keys),
      models,
      datasetArrays,
      importInspector: new ImportInspector(config.importInspector),
    });
    app.addHook('onClose', async () => {
      await queue.close();
      redis.disconnect();
      sub.disconnect();
    });
  },
  { name: 'services' },
);
