/**
 * Follows a server-sent event stream the way a browser EventSource does: when the connection
 * ends or breaks before a terminal event, it waits the server's `retry:` delay and reconnects
 * with Last-Event-ID set to the id of the last event it saw.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export interface Connection {
  /** Last-Event-ID sent on this connection (undefined for the first). */
  lastEventId?: string;
  openedAt: number;
  /** When the response headers arrived (undefined if they never did). */
  respondedAt?: number;
  closedAt?: number;
  /** How the connection ended: 'terminal' | 'server-closed' | 'dropped' | an error message. */
  end?: string;
  events: number;
}

export interface Follower {
  /** Every event received, in arrival order, with the time it arrived. */
  readonly events: Array<EventSourceMessage & { at: number }>;
  readonly connections: Connection[];
  /** Resolves once a terminal event arrived; rejects on a non-200 answer or after timeoutMs. */
  readonly done: Promise<void>;
  /** Breaks the current connection, as a network blip would; the follower reconnects. */
  drop(): void;
  /** Stops following. */
  close(): void;
}

export function followEvents(url: string, options: { timeoutMs?: number; retryMs?: number } = {}): Follower {
  const events: Follower['events'] = [];
  const connections: Connection[] = [];
  let retryMs = options.retryMs ?? 1000;
  let lastEventId: string | undefined;
  let controller: AbortController | undefined;
  let dropped = false;
  let closed = false;
  let finished = false;

  const loop = async () => {
    while (!closed && !finished) {
      controller = new AbortController();
      dropped = false;
      const conn: Connection = { lastEventId, openedAt: Date.now(), events: 0 };
      connections.push(conn);
      try {
        const res = await fetch(url, { headers: lastEventId ? { 'last-event-id': lastEventId } : {}, signal: controller.signal });
        conn.respondedAt = Date.now();
        // EventSource gives up for good on anything but a 200 event stream.
        if (res.status !== 200) throw Object.assign(new Error(`SSE ${url}: HTTP ${res.status} ${await res.text()}`), { fatal: true });
        const parser = createParser({
          onEvent: (e) => {
            if (finished) return;
            events.push({ ...e, at: Date.now() });
            conn.events++;
            if (e.id !== undefined) lastEventId = e.id;
            if (TERMINAL.has(e.event ?? 'message')) finished = true;
          },
          onRetry: (ms) => (retryMs = options.retryMs ?? ms),
        });
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          parser.feed(decoder.decode(chunk, { stream: true }));
          if (finished) break;
        }
        conn.end = finished ? 'terminal' : 'server-closed';
      } catch (err) {
        if ((err as { fatal?: boolean }).fatal) {
          conn.end = (err as Error).message;
          throw err;
        }
        conn.end = dropped || closed ? 'dropped' : `error: ${(err as Error).message}`;
      } finally {
        conn.closedAt = Date.now();
        controller.abort();
      }
      if (!finished && !closed) await new Promise((r) => setTimeout(r, retryMs));
    }
  };

  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => {
      closed = true;
      controller?.abort();
      reject(new Error(`SSE ${url}: no terminal event after ${options.timeoutMs ?? 60_000} ms (${events.length} events, ${connections.length} connections)`));
    }, options.timeoutMs ?? 60_000);
    loop().then(
      () => (finished ? resolve() : reject(new Error(`SSE ${url}: closed before a terminal event`))),
      (err: Error) => reject(err),
    );
  }).finally(() => clearTimeout(timer));
  // Callers await `done` later; do not let an early rejection count as unhandled meanwhile.
  done.catch(() => {});

  return {
    events,
    connections,
    done,
    drop() {
      dropped = true;
      controller?.abort();
    },
    close() {
      closed = true;
      clearTimeout(timer);
      controller?.abort();
    },
  };
}
