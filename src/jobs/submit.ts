/**
 * Accepting a job: check it in full, record it, announce it, queue it — or leave nothing behind.
 * Shared by POST /v1/jobs and the synchronous model shortcuts.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { IdempotencyInFlight, IdempotencyMismatch, QueueUnavailable } from '../errors.ts';
import type { Services } from '../plugins/services.ts';
import { checkJob } from '../spec/check-job.ts';
import { checkNesting } from '../spec/limits.ts';
import type { JobCreate } from '../spec/schema.ts';
import type { JobRecord } from './job-record.ts';
import { TERMINAL_EVENTS } from '../events/event-log.ts';
import { modelLookup } from './model-lookup.ts';
import { resourcesOf } from './job-references.ts';
import { payloadDatasetId, stagePayloads } from './payloads.ts';
import { abbreviateSpec } from '../spec/abbreviate.ts';

export interface SubmitOptions {
  tenant: string;
  /** Idempotency-Key header: the same key (with the same body) returns the same job. */
  idempotencyKey?: string;
}

/**
 * Claims an idempotency key for a job id, atomically. Returns the job id that owns the key: ours,
 * or the one an earlier request with this key created (then the bodies must match).
 */
async function claimKey(services: Services, tenant: string, key: string, id: string, body: JobCreate): Promise<string> {
  const redisKey = services.keys.idempotency(tenant, key);
  const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  const set = await services.redis.set(redisKey, `${id} ${hash}`, 'EX', services.config.jobTtlS, 'NX');
  if (set === 'OK') return id;
  const [owner, ownerHash] = ((await services.redis.get(redisKey)) ?? '').split(' ');
  if (ownerHash && ownerHash !== hash) throw new IdempotencyMismatch(key);
  return owner;
}

export async function submitJob(services: Services, body: JobCreate, log: FastifyBaseLogger, options: SubmitOptions): Promise<{ record: JobRecord; replayed: boolean }> {
  const { jobs } = services;
  const id = randomUUID();
  // Before hashing the body for the key: JSON.stringify must not meet a hostile nesting depth.
  checkNesting(body);
  if (options.idempotencyKey) {
    const owner = await claimKey(services, options.tenant, options.idempotencyKey, id, body);
    if (owner !== id) {
      const existing = await jobs.get(owner);
      if (existing) return { record: existing, replayed: true };
      // The first request is still being accepted (or failed): wait briefly for its record.
      for (let i = 0; i < 50 && !(await jobs.get(owner)); i++) await new Promise((r) => setTimeout(r, 20));
      const late = await jobs.get(owner);
      if (late) return { record: late, replayed: true };
      throw new IdempotencyInFlight(options.idempotencyKey);
    }
  }
  try {
    return { record: await accept(services, id, options.tenant, body, log), replayed: false };
  } catch (err) {
    // A rejected request must not hold the key: the client may fix the body and retry with it.
    if (options.idempotencyKey) await services.redis.del(services.keys.idempotency(options.tenant, options.idempotencyKey));
    throw err;
  }
}

async function accept(services: Services, id: string, tenant: string, body: JobCreate, log: FastifyBaseLogger): Promise<JobRecord> {
  const { jobs, events, queue, models, datasetArrays, references } = services;
  // A fit job's model id is known from the start, so its checkpoints can be followed while it trains.
  const modelId = body.type === 'fit' ? randomUUID() : body.model_id;
  // Fit and predict jobs write models and results: none while the tenant's disk quota is full.
  if (body.type !== 'evaluate') await services.quotas.checkDisk(tenant);
  // Held before the checks read them: a delete from now on answers 409 (job-references.ts). Also
  // takes one of the tenant's active-job slots (429 when none is left).
  await references.hold(id, tenant, resourcesOf(body, modelId));
  try {
    return await checkAndQueue(services, id, tenant, body, modelId, log);
  } catch (err) {
    await references.release(id);
    throw err;
  }
}

/** The submit-time checks of a job, against the tenant's models and datasets and the limits. */
export function checkForTenant({ models, datasetArrays, config }: Services, tenant: string, body: JobCreate) {
  return checkJob(body, {
    models: modelLookup(models, tenant),
    datasets: async (dataset) => (await datasetArrays.getOwned(dataset, tenant)) ?? undefined,
    limits: config.limits,
  });
}

async function checkAndQueue(services: Services, id: string, tenant: string, body: JobCreate, modelId: string, log: FastifyBaseLogger): Promise<JobRecord> {
  const { jobs, events, queue, datasetArrays } = services;
  const checked = await checkForTenant(services, tenant, body);
  const record: JobRecord = {
    id,
    type: body.type,
    state: 'queued',
    created_at: new Date().toISOString(),
    progress: { epoch: checked.resume?.initial_epoch ?? 0, epochs: checked.epochs },
    history: checked.resume?.history ?? {},
    attempts: 0,
    tenant,
    model_id: modelId,
  };
  // Bulk inline data goes to the data volume; the queue carries references (payloads.ts).
  const staged = stagePayloads(checked.job, checked.graph, id, services.config.inlineArrayMax);
  if (Object.keys(staged.arrays).length) await datasetArrays.stage(payloadDatasetId(id), staged.arrays);
  await jobs.create(record, abbreviateSpec(checked.job));
  try {
    await events.append(id, 'state', { state: 'queued' });
    await queue.add(body.type, { jobId: id, tenant, modelId: body.type === 'fit' ? modelId : undefined, job: staged.job, resume: checked.resume }, { jobId: id, priority: body.priority });
  } catch (err) {
    // Nothing half-written: a job that is not in the queue does not exist.
    await Promise.allSettled([jobs.remove(id, tenant), events.remove(id), datasetArrays.remove(payloadDatasetId(id))]);
    throw new QueueUnavailable((err as Error).message);
  }
  log.info({ jobId: id, type: body.type, samples: checked.samples, epochs: checked.epochs }, 'job queued');
  return record;
}

/** Resolves when the job reaches a terminal state, or with undefined after `seconds`. */
export async function waitForEnd(services: Services, jobId: string, seconds: number): Promise<JobRecord | undefined> {
  let subscription: { close(): void } | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const ended = await new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), seconds * 1000);
      void services.hub
        .subscribe(jobId, '0', (batch) => {
          if (batch.some((e) => TERMINAL_EVENTS.has(e.type))) resolve(true);
        })
        .then((s) => (subscription = s));
    });
    return ended ? services.jobs.get(jobId) : undefined;
  } finally {
    clearTimeout(timer);
    // The subscription may resolve after we are done waiting.
    setImmediate(() => subscription?.close());
  }
}
