/**
 * Fans live events out to SSE subscribers in one API process over a single pub/sub connection.
 * Each subscriber keeps its own cursor and pulls from the stream when nudged, so catch-up after
 * Last-Event-ID and live delivery are the same code path: no gap, no duplicate.
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';
import { compareStreamIds, type EventLog, type JobEvent } from './event-log.ts';

/** Delay before a subscriber whose read failed tries again. */
const RETRY_MS = 500;
/** Above this many subscribers on one job, a nudge is served by one read for all of them. */
const SHARED_READ_FROM = 4;

/** Stream ids in order; "0" (from the start) sorts first. */
const before = (a: string, b: string) => a !== b && (a === '0' || (b !== '0' && compareStreamIds(a, b) < 0));

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
  private readonly channelPumps = new Map<string, { pumping: boolean; again: boolean }>();

  constructor(private readonly sub: Redis, private readonly log: EventLog, private readonly keys: Keys) {
    sub.on('message', (channel: string) => {
      const set = this.byChannel.get(channel);
      if (!set) return;
      // Many followers of one job share one read instead of one XRANGE each.
      if (set.size > SHARED_READ_FROM) void this.pumpChannel(channel, set);
      else for (const s of set) void this.pump(s);
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
          this.channelPumps.delete(channel);
          void this.sub.unsubscribe(channel).catch(() => {});
        }
      },
    };
  }

  /**
   * One read from the oldest cursor among the job's idle subscribers, then each gets exactly the
   * events after its own cursor. A subscriber busy with its own catch-up is told to read again.
   */
  private async pumpChannel(channel: string, set: Set<Subscriber>): Promise<void> {
    let state = this.channelPumps.get(channel);
    if (!state) {
      state = { pumping: false, again: false };
      this.channelPumps.set(channel, state);
    }
    if (state.pumping) {
      state.again = true;
      return;
    }
    state.pumping = true;
    try {
      do {
        state.again = false;
        for (;;) {
          const idle = [...set].filter((s) => !s.pumping && !s.closed);
          if (idle.length === 0) break;
          const from = idle.reduce((min, s) => (before(s.cursor, min) ? s.cursor : min), idle[0].cursor);
          const events = await this.log.readAfter(idle[0].jobId, from);
          if (events.length === 0) break;
          for (const s of set) {
            if (s.closed) continue;
            if (s.pumping) {
              s.again = true;
              continue;
            }
            const fresh = events.filter((e) => before(s.cursor, e.id));
            if (fresh.length === 0) continue;
            s.cursor = fresh[fresh.length - 1].id;
            s.deliver(fresh);
          }
        }
      } while (state.again);
    } catch {
      setTimeout(() => void this.pumpChannel(channel, set), RETRY_MS).unref();
    } finally {
      state.pumping = false;
      if (!this.byChannel.has(channel)) this.channelPumps.delete(channel);
    }
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
