/**
 * A real service for tests: the Fastify app listening on an ephemeral port, a real worker (with its
 * trainer child and tfjs-node) and the machine's Redis — under a key prefix of its own, removed after.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Redis } from 'ioredis';
import { buildApp } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { startWorker, type RunningWorker } from '../../workers/start-worker.ts';

export interface Stack {
  config: Config;
  baseUrl: string;
  app: Awaited<ReturnType<typeof buildApp>>;
  worker?: RunningWorker;
  redis: Redis;
  close(): Promise<void>;
}

export async function startStack(options: { worker?: boolean; env?: Record<string, string> } = {}): Promise<Stack> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kj-test-'));
  const config = loadConfig({
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_PREFIX: `kjtest-${randomUUID().slice(0, 8)}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    PORT: '0',
    ...options.env,
  });
  // The trainer child reads its config from the environment.
  process.env.CHECKPOINT_DIR = config.checkpointDir;
  const app = await buildApp({ config, logger: { level: config.logLevel } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  const worker = options.worker === false ? undefined : await startWorker(config, pino({ level: config.logLevel }));
  const redis = new Redis(config.redisUrl);
  redis.on('error', () => {}); // tests that restart Redis expect reconnect noise
  return {
    config,
    baseUrl: `http://127.0.0.1:${address.port}`,
    app,
    worker,
    redis,
    async close() {
      await worker?.close();
      await app.close();
      const keys = await redis.keys(`${config.redisPrefix}:*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function keysUnder(stack: Stack): Promise<string[]> {
  return stack.redis.keys(`${stack.config.redisPrefix}:*`);
}
