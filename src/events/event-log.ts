/**
 * The per-job event log: a Redis Stream (replayable by id, shared by every API instance) plus a
 * pub/sub nudge so live subscribers need no polling. XADD and PUBLISH run in one Lua script, so a
 * subscriber is never nudged for an event that is not in the stream yet. Appends are idempotent
 * (see APPEND), so an event is stored exactly once even when a reconnect resends it.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';

export interface JobEvent {
  id: string;
  type: string;
  data: unknown;
}

export const TERMINAL_EVENTS = new Set(['completed', 'failed', 'cancelled']);

/**
 * ioredis resends a command whose reply was lost when the connection broke (Redis killed after
 * running and fsyncing it, a network blip), so an append can reach Redis twice. Each append
 * carries a token; a resend finds it among the newest entries and returns the id stored the
 * first time instead of appending again. Only a resend, right after a reconnect, can repeat a
 * token, and at most a few other appends to the same job can come in between.
 */
const APPEND = `
local recent = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 8)
for _, entry in ipairs(recent) do
  local f = entry[2]
  for i = 1, #f, 2 do
    if f[i] == 'append_token' and f[i + 1] == ARGV[4] then return entry[1] end
  end
end
local id = redis.call('XADD', KEYS[1], '*', 'type', ARGV[1], 'data', ARGV[2], 'append_token', ARGV[4])
redis.call('PUBLISH', KEYS[2], id)
if ARGV[3] ~= '' then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return id`;

export class EventLog {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  /** Appends an event; `ttlS` (for terminal events) lets the stream expire after the job ends. */
  async append(jobId: string, type: string, data: unknown, ttlS?: number): Promise<string> {
    const token = randomUUID();
    return (await this.redis.eval(APPEND, 2, this.keys.events(jobId), this.keys.eventsChannel(jobId), type, JSON.stringify(data ?? null), ttlS ? String(ttlS) : '', token)) as string;
  }

  /** The newest event of a type, read backwards a page at a time. */
  async lastOfType(jobId: string, type: string): Promise<JobEvent | undefined> {
    for (let end = '+'; ; ) {
      const rows = await this.redis.xrevrange(this.keys.events(jobId), end, '-', 'COUNT', 500);
      const found = rows.map((row) => this.parse(row)).find((e) => e.type === type);
      if (found || rows.length < 500) return found;
      end = `(${rows.at(-1)![0]}`;
    }
  }

  async last(jobId: string): Promise<JobEvent | undefined> {
    const rows = await this.redis.xrevrange(this.keys.events(jobId), '+', '-', 'COUNT', 1);
    return rows.length ? this.parse(rows[0]) : undefined;
  }

  private parse([id, fields]: [string, string[]]): JobEvent {
    const f: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) f[fields[i]] = fields[i + 1];
    return { id, type: f.type, data: JSON.parse(f.data) };
  }

  async remove(jobId: string): Promise<void> {
    await this.redis.del(this.keys.events(jobId));
  }

  /** Events strictly after `afterId` ('0' for all), oldest first. */
  async readAfter(jobId: string, afterId = '0', count = 500): Promise<JobEvent[]> {
    const start = afterId === '0' || afterId === '' ? '-' : `(${afterId}`;
    const rows = await this.redis.xrange(this.keys.events(jobId), start, '+', 'COUNT', count);
    return rows.map((row) => this.parse(row));
  }
}

/** Stream ids are "ms-seq"; anything else in Last-Event-ID is rejected rather than guessed. */
export function isStreamId(id: string): boolean {
  return /^\d{1,20}-\d{1,20}$/.test(id);
}

/** Orders two stream ids ("ms-seq") numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}
