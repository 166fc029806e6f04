/**
 * GET /v1/jobs/:id/events — server-sent events, replayable: every event carries its Redis Stream
 * id, and a reconnect with Last-Event-ID gets exactly the events after it. The stream ends after
 * the job's terminal event.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { BadEventId, JobNotFound } from '../errors.ts';
import { TERMINAL_EVENTS, compareStreamIds, isStreamId, type JobEvent } from '../events/event-log.ts';
import { ProblemSchema } from './problem-schema.ts';
import { JobEvent as JobEventSchema } from '../events/event-schemas.ts';
import { JobId } from '../jobs/job-record.ts';

/** Unsent bytes a stream may hold for a slow client before it is dropped (it reconnects and replays). */
export const STREAM_BUFFER_BYTES = 1024 * 1024;

function frame(e: JobEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/**
 * Streams the events of a job or sweep (their logs are alike) as server-sent events, from
 * Last-Event-ID on, until its terminal event. The caller has checked the id belongs to the tenant.
 */
export function eventStreamer(app: FastifyInstance) {
  const { events: log, hub, config, quotas } = app.services;
  /** Open streams, so a shutting-down API can tell each client to reconnect (to another instance). */
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const close of [...open]) close();
  });
  return async (req: FastifyRequest, reply: FastifyReply, id: string): Promise<void> => {
    const after = (req.headers['last-event-id'] as string | undefined) ?? (req.query as { last_event_id?: string }).last_event_id ?? '0';
    if (after !== '0' && !isStreamId(after)) throw new BadEventId(after);
    // One of the tenant's TENANT_MAX_STREAMS, renewed with every heartbeat (429 when none is left).
    const slot = await quotas.openStream(req.tenant);

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(req.id),
    });
    res.write('retry: 2000\n\n');

    let finished = false;
    let cursor = after;
    let subscription: { close(): void } | undefined;
    const heartbeat = setInterval(() => {
      res.write(': heartbeat\n\n');
      slot.renew().catch(() => {});
    }, config.sseHeartbeatS * 1000);
    const finish = () => {
      if (finished) return;
      finished = true;
      slot.close().catch(() => {});
      open.delete(shutdown);
      clearInterval(heartbeat);
      subscription?.close();
      res.end();
    };
    // No id on this event: the client's Last-Event-ID stays the last real event's.
    const shutdown = () => {
      if (!finished) res.write(`event: reconnect\ndata: ${JSON.stringify({ reason: 'server shutting down; reconnect with Last-Event-ID' })}\n\n`);
      finish();
    };
    open.add(shutdown);
    req.raw.on('close', finish);
    // The client may have left while this request waited (for Redis to come back, say): its
    // 'close' is already behind us, and nothing else would end this stream before the job does.
    if (res.destroyed) finish();

    subscription = await hub.subscribe(id, after, (batch) => {
      if (finished) return;
      for (const e of batch) {
        res.write(frame(e));
        cursor = e.id;
        if (TERMINAL_EVENTS.has(e.type)) return finish();
      }
      // A client that does not read would have this process buffer its events without bound.
      // Past STREAM_BUFFER_BYTES it is dropped instead: its reconnect with Last-Event-ID replays
      // from Redis what it missed.
      if (res.writableLength > STREAM_BUFFER_BYTES) {
        req.log.info({ id, buffered: res.writableLength }, 'event stream dropped: the client is not reading');
        res.destroy();
        finish();
      }
    });
    if (finished) subscription.close();
    // Reconnected after the end: nothing more will come, so close instead of hanging.
    const last = await log.last(id);
    if (last && TERMINAL_EVENTS.has(last.type) && cursor !== '0' && compareStreamIds(last.id, cursor) <= 0) finish();
  };
}

/** The query and header that carry Last-Event-ID. */
export const EventStreamQuery = Type.Object({ last_event_id: Type.Optional(Type.String({ maxLength: 50 })) });
export const EventStreamHeaders = Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 50 })) });

const events: FastifyPluginAsyncTypebox = async (app) => {
  const { jobs } = app.services;
  const stream = eventStreamer(app);

  app.get('/v1/jobs/:id/events', {
    schema: {
      operationId: 'streamJobEvents',
      tags: ['jobs'],
      summary: 'Follow a job live (text/event-stream)',
      description:
        'Events: state, resumed, train_begin, epoch_begin, progress (within a long epoch, at most once a second: epoch, step, steps, loss), epoch_end (Keras logs), checkpoint, early_stopping, lr_reduced, terminated_nan, train_end, evaluate, predict, then one of completed / failed / cancelled, after which the stream closes. A server that shuts down sends `reconnect` (no id) and closes: reconnect with Last-Event-ID. Reconnect with the Last-Event-ID header (or ?last_event_id=) to resume without gaps or duplicates. A comment line is sent every 15 s as a heartbeat.',
      params: Type.Object({ id: JobId }),
      querystring: EventStreamQuery,
      headers: EventStreamHeaders,
      response: {
        200: { description: 'The job\'s events, as server-sent events: each frame has an id (for Last-Event-ID), an event type and JSON data.', content: { 'text/event-stream': { schema: JobEventSchema } } },
        400: ProblemSchema,
        404: ProblemSchema,
        429: ProblemSchema,
      },
    },
    handler: async (req, reply) => {
      const record = await jobs.getOwned(req.params.id, req.tenant);
      if (!record) throw new JobNotFound(req.params.id);
      return stream(req, reply, record.id);
    },
  });
};

export default events;
