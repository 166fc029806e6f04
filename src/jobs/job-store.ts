/**
 * Job records as Redis hashes (one field per attribute, JSON where structured) plus a sorted index
 * by creation time. Only the worker that holds a job writes its progress, so no field races.
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import type { JobRecord } from './job-record.ts';

const JSON_FIELDS = new Set(['progress', 'history', 'error', 'result', 'cancel_requested']);
const INT_FIELDS = new Set(['attempts']);

function encode(record: Partial<JobRecord>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) {
    if (v === undefined) continue;
    out[k] = JSON_FIELDS.has(k) ? JSON.stringify(v) : String(v);
  }
  return out;
}

function decode(hash: Record<string, string>): JobRecord {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hash)) {
    out[k] = JSON_FIELDS.has(k) ? JSON.parse(v) : INT_FIELDS.has(k) ? Number(v) : v;
  }
  return out as unknown as JobRecord;
}

export class JobStore {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  /** The record, and the spec GET /v1/jobs/{id}/spec shows (abbreviated: no bulk data). */
  async create(record: JobRecord, spec: unknown): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.job(record.id), encode(record))
      .set(this.keys.jobSpec(record.id), JSON.stringify(spec))
      .zadd(this.keys.jobIndex(record.tenant), Date.parse(record.created_at), record.id)
      .exec();
  }

  async spec(id: string): Promise<unknown> {
    const text = await this.redis.get(this.keys.jobSpec(id));
    return text === null ? undefined : JSON.parse(text);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const hash = await this.redis.hgetall(this.keys.job(id));
    return Object.keys(hash).length ? decode(hash) : undefined;
  }

  /** Several records in one round trip; undefined where a record has expired. */
  async getMany(ids: string[]): Promise<Array<JobRecord | undefined>> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.job(id));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([err, hash]) => (err || !hash || Object.keys(hash).length === 0 ? undefined : decode(hash as Record<string, string>)));
  }

  async update(id: string, fields: Partial<JobRecord>): Promise<void> {
    await this.redis.hset(this.keys.job(id), encode(fields));
  }

  /** Removes a record that never made it into the queue. */
  async remove(id: string, tenant: string): Promise<void> {
    await this.redis.multi().del(this.keys.job(id), this.keys.jobSpec(id)).zrem(this.keys.jobIndex(tenant), id).exec();
  }

  /** The record if it exists and belongs to the tenant: another tenant's job looks like no job. */
  async getOwned(id: string, tenant: string): Promise<JobRecord | undefined> {
    const record = await this.get(id);
    return record && record.tenant === tenant ? record : undefined;
  }

  /**
   * State, type and progress of every job of every tenant, for metrics. Reads each index in full
   * (one pipeline per tenant), so callers should cache it rather than run it per request.
   */
  async census(): Promise<Array<Pick<JobRecord, 'state' | 'type'> & { progress?: JobRecord['progress'] }>> {
    const out: Array<Pick<JobRecord, 'state' | 'type'> & { progress?: JobRecord['progress'] }> = [];
    const stream = this.redis.scanStream({ match: this.keys.jobIndex('*'), count: 100 });
    for await (const indexKeys of stream as AsyncIterable<string[]>) {
      for (const indexKey of indexKeys) {
        const ids = await this.redis.zrange(indexKey, 0, -1);
        const pipeline = this.redis.pipeline();
        for (const id of ids) pipeline.hmget(this.keys.job(id), 'state', 'type', 'progress');
        for (const [err, fields] of (await pipeline.exec()) ?? []) {
          const [state, type, progress] = (fields ?? []) as Array<string | null>;
          if (err || !state || !type) continue; // expired since it was listed
          out.push({ state: state as JobRecord['state'], type, progress: progress ? JSON.parse(progress) : undefined });
        }
      }
    }
    return out;
  }

  async expire(id: string, ttlS: number): Promise<void> {
    await this.redis.multi().expire(this.keys.job(id), ttlS).expire(this.keys.jobSpec(id), ttlS).exec();
  }
}
