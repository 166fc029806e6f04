/**
 * Which queued or running jobs use a model or a dataset, so that deleting one answers 409 instead
 * of pulling files from under a job. A Redis sorted set per resource holds the ids of the jobs that
 * took it (by when); a job's end gives them back. The job records stay the truth: a delete first
 * drops the ids of jobs that have ended, so a lost release never pins a resource. An id without a
 * record yet is a submit still being checked, for up to SUBMIT_WINDOW_MS.
 *
 * Submit and delete race safely because each writes before it reads: a submit adds its id and then
 * looks for a delete under way; a delete marks itself and then looks for users. Whichever comes
 * second sees the other.
 */
import type { Redis } from 'ioredis';
import { BeingDeleted, InUse } from '../errors.ts';
import type { Keys } from '../redis/keys.ts';
import type { JobStore } from './job-store.ts';
import { TERMINAL_STATES } from './job-record.ts';
import { datasetRefs } from '../spec/arrays.ts';

export type Resource = `model:${string}` | `dataset:${string}`;

const KIND = { model: 'Model', dataset: 'Dataset' } as const;
/** How long a delete's mark outlives a crashed API process. */
const DELETE_MARK_MS = 60_000;
/** Longer than any submit takes from hold() to its job record (checks, a dataset lookup). */
const SUBMIT_WINDOW_MS = 60_000;

/** The models and datasets a job reads or writes: its own model, the model it starts from or runs, its dataset arrays. */
export function resourcesOf(job: unknown, ownModelId?: string): Resource[] {
  const j = job as { type?: string; model_id?: unknown; initial_model?: { model_id?: unknown } };
  const models = [ownModelId, j.model_id, j.initial_model?.model_id].filter((id): id is string => typeof id === 'string');
  const datasets = datasetRefs(job).map((ref) => ref.dataset);
  return [...new Set([...models.map((id) => `model:${id}` as const), ...datasets.map((id) => `dataset:${id}` as const)])];
}

export class JobReferences {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly jobs: JobStore,
  ) {}

  /** Records that the job uses these resources; 409 if one is being deleted (and then holds none). */
  async hold(jobId: string, resources: Resource[]): Promise<void> {
    if (!resources.length) return;
    const tx = this.redis.multi().sadd(this.keys.usedBy(jobId), ...resources);
    const now = Date.now();
    for (const r of resources) tx.zadd(this.keys.jobsUsing(r), now, jobId);
    tx.exists(...resources.map((r) => this.keys.deleting(r)));
    const replies = (await tx.exec()) ?? [];
    if (Number(replies.at(-1)?.[1] ?? 0) > 0) {
      const marks = await Promise.all(resources.map((r) => this.redis.exists(this.keys.deleting(r))));
      await this.release(jobId);
      const [kind, id] = split(resources[marks.findIndex((m) => m > 0)] ?? resources[0]);
      throw new BeingDeleted(KIND[kind], id);
    }
  }

  /** Gives back what the job held: at its end, or when it was never queued. */
  async release(jobId: string): Promise<void> {
    const held = (await this.redis.smembers(this.keys.usedBy(jobId))) as Resource[];
    const tx = this.redis.multi();
    for (const r of held) tx.zrem(this.keys.jobsUsing(r), jobId);
    await tx.del(this.keys.usedBy(jobId)).exec();
  }

  /**
   * Runs `remove` unless a queued or running job uses the resource (409 naming the jobs). While it
   * runs, submits that would take the resource are refused.
   */
  async removeUnused<T>(resource: Resource, remove: () => Promise<T>): Promise<T> {
    const mark = this.keys.deleting(resource);
    const [kind, id] = split(resource);
    if ((await this.redis.set(mark, '1', 'PX', DELETE_MARK_MS, 'NX')) !== 'OK') throw new BeingDeleted(KIND[kind], id);
    try {
      const flat = await this.redis.zrange(this.keys.jobsUsing(resource), 0, -1, 'WITHSCORES');
      const ids = flat.filter((_, i) => i % 2 === 0);
      const since = flat.filter((_, i) => i % 2 === 1).map(Number);
      const records = await this.jobs.getMany(ids);
      const recent = Date.now() - SUBMIT_WINDOW_MS;
      const active = ids.filter((_, i) => (records[i] ? !TERMINAL_STATES.has(records[i]!.state) : since[i] > recent));
      const ended = ids.filter((jobId) => !active.includes(jobId));
      if (ended.length) await this.redis.zrem(this.keys.jobsUsing(resource), ...ended);
      if (active.length) throw new InUse(KIND[kind], id, `${active.length === 1 ? 'job' : 'jobs'} ${active.map((j) => `"${j}"`).join(', ')}`);
      return await remove();
    } finally {
      await this.redis.del(mark);
    }
  }
}

function split(resource: Resource): ['model' | 'dataset', string] {
  const at = resource.indexOf(':');
  return [resource.slice(0, at) as 'model' | 'dataset', resource.slice(at + 1)];
}
