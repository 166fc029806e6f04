import type { EventEmitter } from 'node:events';

/**
 * ioredis (and BullMQ above it) emit an error on every failed reconnect attempt. One line per
 * outage says as much: log the first error, then nothing until the message changes or the
 * connection has been healthy again.
 */
export function logErrorsOnce(emitter: EventEmitter, log: (msg: string) => void, what: string, readyEmitter?: EventEmitter): void {
  let last: string | undefined;
  emitter.on('error', (err: Error) => {
    if (err.message === last) return;
    last = err.message;
    log(`${what}: ${err.message} (retrying)`);
  });
  (readyEmitter ?? emitter).on('ready', () => (last = undefined));
}
