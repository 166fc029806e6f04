/**
 * A job's event stream that survives dropped connections: it reconnects with Last-Event-ID set to
 * the last event seen, so the server resumes right after it, and still drops anything at or before
 * that id in case a server replays more than asked.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ApiError, StreamLost } from './errors.ts';
import type { components } from './schema.d.ts';

/** One frame of GET /v1/jobs/{id}/events: narrow on `event` to get its data's type. */
export type JobEvent = components['schemas']['JobEvent'];
export type JobEventType = JobEvent['event'];

export const TERMINAL_EVENTS: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

export interface Reconnecting {
  attempt: number;
  attempts: number;
  delayMs: number;
  reason: string;
}

export interface FollowOptions {
  /** Resume after this event (an id from an earlier frame), as a reconnect would. */
  lastEventId?: string;
  /** Reconnects in a row without a new event before giving up (StreamLost). */
  attempts?: number;
  /**
   * With no byte for this long the connection is taken for dead. A half-open TCP connection never
   * errors; the server's heartbeat comments (every 15 s by default) keep a live one from tripping this.
   */
  stallMs?: number;
  onReconnecting?(info: Reconnecting): void;
  signal?: AbortSignal;
}

/** Stream ids are "ms-seq"; compared as numbers, since "9-0" < "10-0" but not as text. */
export function compareEventIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map((part) => (/^\d+$/.test(part) ? BigInt(part) : 0n));
  const [bm = 0n, bs = 0n] = b.split('-').map((part) => (/^\d+$/.test(part) ? BigInt(part) : 0n));
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

/** Short, growing pauses: a client following one job should be back quickly after a blip. */
export function backoffMs(attempt: number): number {
  return Math.min(250 * 2 ** (attempt - 1), 4000);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function parseData(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** How the stream is fetched: the client's fetch with its base URL and key. */
export type EventFetch = (path: string, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<Response>;

/** Yields the job's events, oldest first, until and including its terminal event. */
export function followJobEvents(fetchPath: EventFetch, jobId: string, options: FollowOptions = {}): AsyncGenerator<JobEvent> {
  return followEventStream(fetchPath, `/v1/jobs/${encodeURIComponent(jobId)}/events`, `job ${jobId}`, options);
}

/**
 * A sweep's stream is served as a job's is (ids, Last-Event-ID, the reconnect event, terminal
 * events completed/failed/cancelled); only its path differs.
 */
export function followSweepEvents(fetchPath: EventFetch, sweepId: string, options: FollowOptions = {}): AsyncGenerator<JobEvent> {
  return followEventStream(fetchPath, `/v1/sweeps/${encodeURIComponent(sweepId)}/events`, `sweep ${sweepId}`, options);
}

/** `what` names the stream ("job ID") in the StreamLost message. */
async function* followEventStream(fetchPath: EventFetch, path: string, what: string, options: FollowOptions): AsyncGenerator<JobEvent> {
  const attempts = options.attempts ?? 8;
  const stallMs = options.stallMs ?? 45_000;
  let lastId = options.lastEventId;
  let connected = false;
  let failures = 0;

  for (;;) {
    const controller = new AbortController();
    const stop = () => controller.abort();
    options.signal?.addEventListener('abort', stop, { once: true });
    let stalled = false;
    let watchdog: NodeJS.Timeout | undefined;
    const feedWatchdog = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        stalled = true;
        controller.abort();
      }, stallMs);
    };
    let reason: string;
    try {
      feedWatchdog();
      const res = await fetchPath(path, { headers: lastId ? { 'last-event-id': lastId } : {}, signal: controller.signal });
      // 429 and 5xx pass (a restarting instance, Redis coming back); anything else will not get better by retrying.
      if (!res.ok && (res.status === 429 || res.status >= 500) && connected) {
        reason = `HTTP ${res.status}`;
        await res.body?.cancel().catch(() => {});
      } else {
        if (!res.ok) throw await ApiError.from(res);
        connected = true;
        const received: EventSourceMessage[] = [];
        const parser = createParser({ onEvent: (message) => received.push(message) });
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        reason = 'the server closed the stream';
        read: for (;;) {
          const chunk = await reader.read();
          if (chunk.done) break;
          feedWatchdog();
          parser.feed(decoder.decode(chunk.value, { stream: true }));
          for (const message of received.splice(0)) {
            const event = message.event ?? 'message';
            // Sent without an id by an API instance that shuts down: resume elsewhere, from lastId.
            if (event === 'reconnect') {
              reason = 'the server asked to reconnect';
              break read;
            }
            if (message.id !== undefined) {
              if (lastId !== undefined && compareEventIds(message.id, lastId) <= 0) continue;
              lastId = message.id;
            }
            failures = 0;
            yield { id: message.id ?? '', event, data: parseData(message.data) } as JobEvent;
            if (TERMINAL_EVENTS.has(event)) return;
          }
        }
      }
    } catch (err) {
      if (options.signal?.aborted) throw err;
      // A refusal (404: the job is gone, 401: a bad key) is final; so is a first connection that never worked.
      if (err instanceof ApiError && !(err.status === 429 || err.status >= 500)) throw err;
      if (!connected && !stalled) throw err;
      reason = stalled ? `no data for ${Math.round(stallMs / 1000)} s` : (err as Error).message;
    } finally {
      clearTimeout(watchdog);
      options.signal?.removeEventListener('abort', stop);
      controller.abort();
    }
    failures += 1;
    if (failures > attempts) throw new StreamLost(`lost the event stream of ${what} and could not get it back after ${attempts} attempts (last: ${reason})`);
    const delayMs = backoffMs(failures);
    options.onReconnecting?.({ attempt: failures, attempts, delayMs, reason });
    await sleep(delayMs);
  }
}
