/**
 * Sweep records in Redis: one JSON value per sweep (its spec, trials, best), a per-tenant index by
 * creation time and the set of running sweeps. The record is the controller's whole state, written
 * after every decision, so a controller that dies is replaced by one that reads it and goes on.
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import type { SweepCreate, SweepTrial, SweepView } from './schema.ts';

export interface SweepRecord extends Omit<SweepView, 'links'> {
  tenant: string;
}

export const sweepLinks = (id: string) => ({ self: `/v1/sweeps/${id}`, events: `/v1/sweeps/${id}/events` });

export class SweepStore {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  async create(record: SweepRecord): Promise<void> {
    await this.redis
      .multi()
      .set(this.keys.sweep(record.id), JSON.stringify(record))
      .zadd(this.keys.sweepIndex(record.tenant), Date.parse(record.created_at), record.id)
      .sadd(this.keys.activeSweeps(), record.id)
      .exec();
  }

  async get(id: string): Promise<SweepRecord | undefined> {
    const text = await this.redis.get(this.keys.sweep(id));
    return text === null ? undefined : (JSON.parse(text) as SweepRecord);
  }

  /** Another tenant's sweep looks like none. */
  async getOwned(id: string, tenant: string): Promise<SweepRecord | undefined> {
    const record = await this.get(id);
    return record?.tenant === tenant ? record : undefined;
  }

  async save(record: SweepRecord): Promise<void> {
    await this.redis.set(this.keys.sweep(record.id), JSON.stringify(record));
  }

  /** An ended sweep leaves the running set, and its record expires like a job's. */
  async end(record: SweepRecord, ttlS: number): Promise<void> {
    await this.redis.multi().set(this.keys.sweep(record.id), JSON.stringify(record), 'EX', ttlS).srem(this.keys.activeSweeps(), record.id).exec();
  }

  /** Asks the controller to cancel the sweep (and its trials) at its next pass. */
  async requestCancel(id: string, ttlS: number): Promise<void> {
    await this.redis.set(this.keys.sweepCancel(id), '1', 'EX', ttlS);
  }

  async cancelRequested(id: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.sweepCancel(id))) === 1;
  }

  async active(): Promise<string[]> {
    return this.redis.smembers(this.keys.activeSweeps());
  }

  /** The tenant's sweeps, newest first (expired ones dropped from the index as they are met). */
  async list(tenant: string, limit: number): Promise<SweepRecord[]> {
    const ids = await this.redis.zrevrange(this.keys.sweepIndex(tenant), 0, limit - 1);
    const records = await Promise.all(ids.map((id) => this.get(id)));
    const gone = ids.filter((_, i) => !records[i]);
    if (gone.length) await this.redis.zrem(this.keys.sweepIndex(tenant), ...gone);
    return records.filter((r): r is SweepRecord => !!r);
  }
}

export type { SweepCreate, SweepTrial };
