/**
 * Accepting a job: check it in full, record it, announce it, queue it — or leave nothing behind.
 * Shared by POST /v1/jobs and the synchronous model shortcuts.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { QueueUnavailable } from '../errors.ts';
import type { Services } from '../plugins/services.ts';
import { checkJob } from '../spec/check-job.ts';
import type { JobCreate } from '../spec/schema.ts';
import type { JobRecord } from './job-record.ts';
import { TERMINAL_EVENTS } from '../events/event-log.ts';
import { modelLookup } from './model-lookup.ts';

export async function submitJob(services: Services, body: JobCreate, log: FastifyBaseLogger): Promise<JobRecord> {
  const { jobs, events, queue, models, datasetArrays } = services;
  const checked = await checkJob(body, modelLookup(models), (id) => datasetArrays.get(id));
  const id = randomUUID();
  const record: JobRecord = {
    id,
    type: body.type,
    state: 'queued',
    created_at: new Date().toISOString(),
    progress: { epoch: checked.resume?.initial_epoch ?? 0, epochs: checked.epochs },
    history: checked.resume?.history ?? {},
    attempts: 0,
    ...(body.type !== 'fit' ? { model_id: body.model_id } : {}),
  };
  await jobs.create(record);
  try {
    await events.append(id, 'state', { state: 'queued' });
    await queue.add(body.type, { jobId: id, modelId: body.type === 'fit' ? randomUUID() : undefined, job: checked.job, resume: checked.resume }, { jobId: id, priority: body.priority });
  } catch (err) {
    // Nothing half-written: a job that is not in the queue does not exist.
    await Promise.allSettled([jobs.remove(id), events.remove(id)]);
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
