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
import { BeingDeleted, InUse, quotaExceeded } from '../errors.ts';
import type { Keys } from '../redis/keys.ts';
import type { JobStore } from './job-store.ts';
import { TERMINAL_STATES } from './job-record.ts';
import { datasetRefs } from '../spec/arrays.ts';

/**
 * What jobs hold: models and datasets (deletes wait for them), checkpoints they name (retention
 * spares them: `checkpoint:<model>/<name>`), and a tenant's active-job slots.
 */
export type Resource = `model:${string}` | `dataset:${string}` | `checkpoint:${string}` | `tenant:${string}`;

const KIND = { model: 'Model', dataset: 'Dataset', checkpoint: 'Checkpoint', tenant: 'Tenant' } as const;
/** How long a delete's mark outlives a crashed API process. */
const DELETE_MARK_MS = 60_000;
/** Longer than any submit takes from hold() to its job record (checks, a dataset lookup). */
const SUBMIT_WINDOW_MS = 60_000;

/**
 * The models and datasets a job reads or writes: its own model, the model it starts from or runs
 * (and the checkpoint of it that it names), its dataset arrays.
 */
export function resourcesOf(job: unknown, ownModelId?: string): Resource[] {
  const j = job as { type?: string; model_id?: unknown; checkpoint?: unknown; initial_model?: { model_id?: unknown; checkpoint?: unknown } };
  const models = [ownModelId, j.model_id, j.initial_model?.model_id].filter((id): id is string => typeof id === 'string');
  const named = [[j.model_id, j.checkpoint], [j.initial_model?.model_id, j.initial_model?.checkpoint]].filter((p): p is [string, string] => typeof p[0] === 'string' && typeof p[1] === 'string');
  const datasets = datasetRefs(job).map((ref) => ref.dataset);
  return [
    ...new Set([
      ...models.map((id) => `model:${id}` as const),
      ...named.map(([id, name]) => `checkpoint:${id}/${name}` as const),
      ...datasets.map((id) => `dataset:${id}` as const),
    ]),
  ];
}

export class JobReferences {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly jobs: JobStore,
    /** Queued plus running jobs a tenant may have (TENANT_MAX_ACTIVE_JOBS). */
    private readonly maxActiveJobs = Infinity,
  ) {}

  /**
   * Records that a job of the tenant uses these resources, and takes one of the tenant's active-job
   * slots. 409 if a resource is being deleted, 429 if the tenant has no slot left (then it holds
   * nothing).
   */
  async hold(jobId: string, tenant: string, resources: Resource[]): Promise<void> {
    const slot = `tenant:${tenant}` as const;
    const all = [slot, ...resources];
    const tx = this.redis.multi().sadd(this.keys.usedBy(jobId), ...all);
    const now = Date.now();
    for (const r of all) tx.zadd(this.keys.jobsUsing(r), now, jobId);
    tx.zcard(this.keys.jobsUsing(slot));
    if (resources.length) tx.exists(...resources.map((r) => this.keys.deleting(r)));
    const replies = (await tx.exec()) ?? [];
    try {
      if (resources.length && Number(replies.at(-1)?.[1] ?? 0) > 0) {
        const marks = await Promise.all(resources.map((r) => this.redis.exists(this.keys.deleting(r))));
        const [kind, id] = split(resources[marks.findIndex((m) => m > 0)] ?? resources[0]);
        throw new BeingDeleted(KIND[kind], id);
      }
      if (Number(replies[all.length + 1]?.[1] ?? 0) > this.maxActiveJobs) {
        // Ids of ended jobs (a release lost in a crash) do not count.
        const others = (await this.activeJobs(slot)).filter((id) => id !== jobId).length;
        if (others >= this.maxActiveJobs) throw quotaExceeded(tenant, { limit: 'TENANT_MAX_ACTIVE_JOBS', what: 'queued or running jobs', used: others, max: this.maxActiveJobs });
      }
    } catch (err) {
      await this.release(jobId);
      throw err;
    }
  }

  /** The tenant's queued and running jobs (what GET /v1/usage counts). */
  async activeJobsOf(tenant: string): Promise<number> {
    return (await this.activeJobs(`tenant:${tenant}`)).length;
  }

  /**
   * Ids of the queued or running jobs holding a resource; drops those of ended jobs. An id without a
   * record is a submit still being checked, for up to SUBMIT_WINDOW_MS.
   */
  private async activeJobs(resource: Resource): Promise<string[]> {
    const flat = await this.redis.zrange(this.keys.jobsUsing(resource), 0, -1, 'WITHSCORES');
    const ids = flat.filter((_, i) => i % 2 === 0);
    const since = flat.filter((_, i) => i % 2 === 1).map(Number);
    const records = await this.jobs.getMany(ids);
    const recent = Date.now() - SUBMIT_WINDOW_MS;
    const active = ids.filter((_, i) => (records[i] ? !TERMINAL_STATES.has(records[i]!.state) : since[i] > recent));
    const ended = ids.filter((jobId) => !active.includes(jobId));
    if (ended.length) await this.redis.zrem(this.keys.jobsUsing(resource), ...ended);
    return active;
  }

  /** Whether a queued or running job holds the resource. */
  async inUse(resource: Resource): Promise<boolean> {
    return (await this.activeJobs(resource)).length > 0;
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
  async removeUnused<T>(resource: `model:${string}` | `dataset:${string}`, remove: () => Promise<T>): Promise<T> {
    const mark = this.keys.deleting(resource);
    const [kind, id] = split(resource);
    if ((await this.redis.set(mark, '1', 'PX', DELETE_MARK_MS, 'NX')) !== 'OK') throw new BeingDeleted(KIND[kind], id);
    try {
      const active = await this.activeJobs(resource);
      if (active.length) throw new InUse(KIND[kind], id, `${active.length === 1 ? 'job' : 'jobs'} ${active.map((j) => `"${j}"`).join(', ')}`);
      return await remove();
    } finally {
      await this.redis.del(mark);
    }
  }
}

function split(resource: Resource): [keyof typeof KIND, string] {
  const at = resource.indexOf(':');
  return [resource.slice(0, at) as keyof typeof KIND, resource.slice(at + 1)];
}
