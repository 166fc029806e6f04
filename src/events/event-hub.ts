/**
 * Fans live events out to SSE subscribers in one API process over a single pub/sub connection.
 * Each subscriber keeps its own cursor and pulls from the stream when nudged, so catch-up after
 * Last-Event-ID and live delivery are the same code path: no gap, no duplicate.
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import type { EventLog, JobEvent } from './event-log.ts';

/** Delay before a subscriber whose read failed tries again. */
const RETRY_MS = 500;

export interface Subscription {
  close(): void;
}

interface Subscriber {
  jobId: string;
  cursor: string;
  deliver(events: JobEvent[]): void;
  pumping: boolean;
  again: boolean;
  closed: boolean;
}

export class EventHub {
  private readonly byChannel = new Map<string, Set<Subscriber>>();

  constructor(private readonly sub: Redis, private readonly log: EventLog, private readonly keys: Keys) {
    sub.on('message', (channel: string) => {
      for (const s of this.byChannel.get(channel) ?? []) void this.pump(s);
    });
    // Nudges published while this connection was down or resubscribing reached nobody (a Redis
    // restart, a network blip). ioredis resubscribes on 'ready'; once a PING sent after that is
    // answered, the SUBSCRIBEs have taken effect, so every subscriber pulls what it missed.
    sub.on('ready', () => {
      if (this.byChannel.size === 0) return;
      void this.sub.ping().then(
        () => this.pumpAll(),
        () => this.pumpAll(),
      );
    });
  }

  private pumpAll(): void {
    for (const set of this.byChannel.values()) for (const s of set) void this.pump(s);
  }

  get subscriberCount(): number {
    let n = 0;
    for (const set of this.byChannel.values()) n += set.size;
    return n;
  }

  async subscribe(jobId: string, afterId: string, deliver: (events: JobEvent[]) => void): Promise<Subscription> {
    const channel = this.keys.eventsChannel(jobId);
    const s: Subscriber = { jobId, cursor: afterId, deliver, pumping: false, again: false, closed: false };
    let set = this.byChannel.get(channel);
    if (!set) {
      set = new Set();
      this.byChannel.set(channel, set);
      await this.sub.subscribe(channel);
    }
    set.add(s);
    // Subscribed first, then catch up: anything published meanwhile triggers another pump.
    await this.pump(s);
    return {
      close: () => {
        s.closed = true;
        set!.delete(s);
        if (set!.size === 0 && this.byChannel.get(channel) === set) {
          this.byChannel.delete(channel);
          void this.sub.unsubscribe(channel).catch(() => {});
        }
      },
    };
  }

  private async pump(s: Subscriber): Promise<void> {
    if (s.pumping) {
      s.again = true;
      return;
    }
    s.pumping = true;
    try {
      do {
        s.again = false;
        for (;;) {
          const events = await this.log.readAfter(s.jobId, s.cursor);
          if (s.closed || events.length === 0) break;
          s.cursor = events[events.length - 1].id;
          s.deliver(events);
        }
      } while (s.again && !s.closed);
    } catch {
      // A read that failed (Redis gone with retries off, a connection closed under it) must not
      // become an unhandled rejection: try again shortly; the cursor has not moved.
      if (!s.closed) setTimeout(() => void this.pump(s), RETRY_MS).unref();
    } finally {
      s.pumping = false;
    }
  }
}
