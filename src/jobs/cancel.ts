/**
 * Cancelling a job that has not ended: a queued one is taken off the queue and ends at once, a
 * running one is told to stop (within one batch). Shared by DELETE /v1/jobs/{id} and sweeps.
 */
import type { Services } from '../plugins/services.ts';
import type { JobRecord } from './job-record.ts';
import { payloadDatasetId } from './payloads.ts';

/** `reason` (who cancelled it and why) goes into the job's cancelled event, from here or from its worker. */
export async function cancelJob(services: Services, record: JobRecord, reason?: string): Promise<void> {
  const { jobs: store, queue, events, redis, keys, config, references, datasetArrays } = services;
  const id = record.id;
  // Flag first: a worker that picks the job up from now on sees it and does not start it.
  await store.update(id, { cancel_requested: true, ...(reason ? { cancel_reason: reason } : {}) });
  const queued = await queue.getJob(id);
  let removed = false;
  if (queued && record.state === 'queued') {
    // Fails when a worker holds the job's lock: then it is running, and the message below stops it.
    removed = await queued.remove().then(() => true, () => false);
  }
  if (removed) {
    await store.update(id, { state: 'cancelled', finished_at: new Date().toISOString() });
    await events.append(id, 'cancelled', { state: 'cancelled', reason: reason ? `${reason} (while queued)` : 'cancelled while queued' }, config.jobTtlS);
    await store.expire(id, config.jobTtlS);
    await references.release(id);
    await datasetArrays.remove(payloadDatasetId(id));
  } else {
    await redis.publish(keys.cancelChannel(), id);
  }
}
