/** `npm run worker`: one queue worker (with its trainer child). Start more to scale out. */
import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { assertRedisReachable } from '../src/redis/connect.ts';
import { startWorker } from './start-worker.ts';

const config = loadConfig();
const log = pino({ level: config.logLevel, base: { role: 'worker', pid: process.pid } });
try {
  await assertRedisReachable(config.redisUrl);
  const worker = await startWorker(config, log);
  log.info({ workerId: worker.id, queue: config.queueName }, 'worker started');
  // Started by `npm start`: if that supervisor dies, stop as if told to (hand the job back).
  if (process.send) process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  closeWithGrace({ delay: 30_000 }, async ({ err, signal }) => {
    log.info({ err: err?.message, signal }, 'worker stopping');
    await worker.close();
  });
} catch (err) {
  log.fatal(`worker: ${(err as Error).message}`);
  process.exit(1);
}
