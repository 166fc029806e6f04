/**
 * Per-tenant limits on what a key can hold: disk bytes (models, datasets, prediction results),
 * datasets, and concurrent event streams. (Active jobs are counted where jobs hold their
 * resources: jobs/job-references.ts.) Over a limit: 429, or 507 for disk, naming the limit and the
 * use (errors.ts quotaExceeded).
 *
 * Disk use is measured by walking the tenant's folders, at most once per USAGE_CACHE_MS per API
 * process: a check at every submit stays cheap, and a tenant can overshoot by what it writes in
 * that window (and by what running jobs write, which is checked at their next submit).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DatasetStore } from '../datasets/dataset-store.ts';
import { quotaExceeded } from '../errors.ts';
import type { Keys } from '../redis/keys.ts';
import type { ModelStore } from '../store/model-store.ts';

export interface QuotaLimits {
  maxActiveJobs: number;
  maxDiskBytes: number;
  maxDatasets: number;
  maxStreams: number;
}

export interface DiskUse {
  models: number;
  datasets: number;
  results: number;
  total: number;
  dataset_count: number;
}

const USAGE_CACHE_MS = 5_000;

export class TenantQuotas {
  private readonly cache = new Map<string, { at: number; use: Promise<DiskUse> }>();

  constructor(
    readonly limits: QuotaLimits,
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly models: ModelStore,
    private readonly datasets: DatasetStore,
    /** Seconds after the last heartbeat that a stream of a crashed API process stops counting. */
    private readonly streamLeaseS: number,
  ) {}

  /** Bytes the tenant holds on the volume, and its dataset count. */
  async diskUse(tenant: string, fresh = false): Promise<DiskUse> {
    const cached = this.cache.get(tenant);
    if (!fresh && cached && Date.now() - cached.at < USAGE_CACHE_MS) return cached.use;
    const use = this.measure(tenant);
    this.cache.set(tenant, { at: Date.now(), use });
    use.catch(() => this.cache.delete(tenant));
    return use;
  }

  private async measure(tenant: string): Promise<DiskUse> {
    const models = (await this.models.list()).filter((m) => m.tenant === tenant);
    const modelBytes = (await Promise.all(models.map((m) => this.models.sizeOnDisk(m.id)))).reduce((a, b) => a + b, 0);
    const datasets = (await this.datasets.list()).filter((d) => d.tenant === tenant);
    const datasetBytes = datasets.reduce((a, d) => a + d.bytes, 0);
    const jobIds = await this.redis.zrange(this.keys.jobIndex(tenant), 0, -1);
    const results = (await Promise.all(jobIds.map((id) => this.models.resultBytes(id)))).reduce((a, b) => a + b, 0);
    return { models: modelBytes, datasets: datasetBytes, results, total: modelBytes + datasetBytes + results, dataset_count: datasets.length };
  }

  /** 507 when the tenant's files already fill TENANT_MAX_DISK_BYTES: before anything that writes more. */
  async checkDisk(tenant: string, use?: DiskUse): Promise<void> {
    const { total } = use ?? (await this.diskUse(tenant));
    if (total >= this.limits.maxDiskBytes) throw quotaExceeded(tenant, { limit: 'TENANT_MAX_DISK_BYTES', what: 'bytes of models, datasets and results', used: total, max: this.limits.maxDiskBytes });
  }

  /** Before an upload: room on disk, and a dataset slot left (counted afresh: one measurement for both). */
  async checkNewDataset(tenant: string): Promise<void> {
    const use = await this.diskUse(tenant, true);
    await this.checkDisk(tenant, use);
    if (use.dataset_count >= this.limits.maxDatasets) throw quotaExceeded(tenant, { limit: 'TENANT_MAX_DATASETS', what: 'datasets', used: use.dataset_count, max: this.limits.maxDatasets });
  }

  /** Forgets the measured use, after a write or a delete, so the next check measures again. */
  changed(tenant: string): void {
    this.cache.delete(tenant);
  }

  /**
   * Takes one of the tenant's stream slots (429 if none is left). Kept in Redis with a lease the
   * stream renews at each heartbeat, so a crashed API process's streams stop counting by themselves.
   */
  async openStream(tenant: string): Promise<{ renew(): Promise<void>; close(): Promise<void> }> {
    const key = this.keys.tenantStreams(tenant);
    const id = randomUUID();
    const lease = () => Date.now() + this.streamLeaseS * 1000;
    const [, , count] = ((await this.redis.multi().zremrangebyscore(key, '-inf', Date.now()).zadd(key, lease(), id).zcard(key).exec()) ?? []).map(([, v]) => v);
    if (Number(count) > this.limits.maxStreams) {
      await this.redis.zrem(key, id);
      throw quotaExceeded(tenant, { limit: 'TENANT_MAX_STREAMS', what: 'open event streams', used: Number(count) - 1, max: this.limits.maxStreams });
    }
    return {
      renew: async () => void (await this.redis.zadd(key, 'XX', lease(), id)),
      close: async () => void (await this.redis.zrem(key, id)),
    };
  }

  async openStreams(tenant: string): Promise<number> {
    return this.redis.zcount(this.keys.tenantStreams(tenant), Date.now(), '+inf');
  }
}
