/** Reads a server-sent event stream over real HTTP, the way a browser EventSource would. */
import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface ReadOptions {
  lastEventId?: string;
  /** Stop (abort the connection) after this many events. */
  limit?: number;
  timeoutMs?: number;
}

export async function readEvents(url: string, options: ReadOptions = {}): Promise<EventSourceMessage[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 60_000);
  const events: EventSourceMessage[] = [];
  try {
    const res = await fetch(url, { headers: options.lastEventId ? { 'last-event-id': options.lastEventId } : {}, signal: controller.signal });
    if (res.status !== 200) throw new Error(`SSE ${url}: HTTP ${res.status} ${await res.text()}`);
    if (!res.headers.get('content-type')?.startsWith('text/event-stream')) throw new Error(`SSE ${url}: content-type ${res.headers.get('content-type')}`);
    const parser = createParser({ onEvent: (e) => events.push(e) });
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (options.limit !== undefined && events.length >= options.limit) {
        controller.abort();
        break;
      }
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError' || (options.limit === undefined || events.length < options.limit)) {
      if ((err as Error).name === 'AbortError') throw new Error(`SSE ${url}: timed out after ${events.length} events`);
      throw err;
    }
  } finally {
    clearTimeout(timer);
  }
  return options.limit !== undefined ? events.slice(0, options.limit) : events;
}
