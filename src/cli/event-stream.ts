/**
 * A job's event stream that survives dropped connections: it reconnects with Last-Event-ID set to
 * the last event seen, so the server resumes right after it, and still drops anything at or before
 * that id in case a server replays more than asked.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ApiError, ensureOk, jobPath, type Client } from './client.ts';
import { CliError, EXIT } from './exit-codes.ts';

export const TERMINAL_EVENTS: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

export interface JobEvent {
  id?: string;
  type: string;
  data: any;
}

export interface Reconnecting {
  attempt: number;
  attempts: number;
  delayMs: number;
  reason: string;
}

export interface StreamOptions {
  /** Reconnects in a row without a new event before giving up. */
  attempts?: number;
  /**
   * With no byte for this long the connection is taken for dead. A half-open TCP connection
   * (a laptop changing networks, a NAT forgetting it) never errors; the server's heartbeat
   * comments (every 15 s by default) keep a live one from tripping this.
   */
  stallMs?: number;
  onReconnecting?(info: Reconnecting): void;
}

/** Exit 3: the stream was lost and could not be re-established. */
export class StreamLost extends CliError {
  constructor(message: string) {
    super(message, EXIT.unreachable);
  }
}

/** Stream ids are "ms-seq"; compared as numbers, since "9-0" < "10-0" but not as text. */
export function compareEventIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map((part) => (/^\d+$/.test(part) ? BigInt(part) : 0n));
  const [bm = 0n, bs = 0n] = b.split('-').map((part) => (/^\d+$/.test(part) ? BigInt(part) : 0n));
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

/** Short, growing pauses: a CLI following one job should be back quickly after a blip. */
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

/** Yields the job's events, oldest first, until and including its terminal event. */
export async function* jobEvents(client: Client, jobId: string, options: StreamOptions = {}): AsyncGenerator<JobEvent> {
  const attempts = options.attempts ?? 8;
  const stallMs = options.stallMs ?? 45_000;
  const path = `${jobPath(jobId)}/events`;
  let lastId: string | undefined;
  let connected = false;
  let failures = 0;

  for (;;) {
    const controller = new AbortController();
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
      const res = await client.fetch(path, { headers: lastId ? { 'last-event-id': lastId } : {}, signal: controller.signal });
      // 429 and 5xx pass (a restarting instance, Redis coming back); anything else will not get better by retrying.
      if (!res.ok && (res.status === 429 || res.status >= 500) && connected) {
        reason = `HTTP ${res.status}`;
        await res.body?.cancel().catch(() => {});
      } else {
        await ensureOk(res);
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
            const type = message.event ?? 'message';
            // Sent without an id by an API instance that shuts down: resume elsewhere, from lastId.
            if (type === 'reconnect') {
              reason = 'the server asked to reconnect';
              break read;
            }
            if (message.id !== undefined) {
              if (lastId !== undefined && compareEventIds(message.id, lastId) <= 0) continue;
              lastId = message.id;
            }
            failures = 0;
            yield { id: message.id, type, data: parseData(message.data) };
            if (TERMINAL_EVENTS.has(type)) return;
          }
        }
      }
    } catch (err) {
      // A refusal (404: the job is gone, 401: a bad key) is final; so is a first connection that never worked.
      if (err instanceof ApiError && !(err.status === 429 || err.status >= 500)) throw err;
      if (!connected && !stalled) throw err;
      reason = stalled ? `no data for ${Math.round(stallMs / 1000)} s` : err instanceof CliError ? err.message : (err as Error).message;
    } finally {
      clearTimeout(watchdog);
      controller.abort();
    }
    failures += 1;
    if (failures > attempts) {
      throw new StreamLost(`lost the event stream of job ${jobId} at ${client.url(path)} and could not get it back after ${attempts} attempts (last: ${reason})`);
    }
    const delayMs = backoffMs(failures);
    options.onReconnecting?.({ attempt: failures, attempts, delayMs, reason });
    await sleep(delayMs);
  }
}
