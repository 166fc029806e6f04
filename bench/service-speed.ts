/**
 * The same workload through the whole service: HTTP submit, queue, worker, trainer child, SSE.
 * Starts its own API and worker against REDIS_URL under a throwaway key prefix.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { createParser } from 'eventsource-parser';
import { Redis } from 'ioredis';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { startWorker } from '../workers/start-worker.ts';
import { WORKLOADS } from './engine-speed.ts';

export async function serviceSamplesPerSecond(name: keyof typeof WORKLOADS): Promise<number> {
  const w = WORKLOADS[name];
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kj-bench-'));
  const config = loadConfig({ ...process.env, REDIS_PREFIX: `kjbench-${randomUUID().slice(0, 8)}`, DATA_DIR: dataDir, CHECKPOINT_DIR: path.join(dataDir, 'checkpoints'), LOG_LEVEL: 'warn', API_KEYS: '' });
  process.env.CHECKPOINT_DIR = config.checkpointDir;
  const app = await buildApp({ config, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const worker = await startWorker(config, pino({ level: 'warn' }));
  try {
    const n = w.x[0];
    const spec = {
      type: 'fit',
      model: w.model,
      compile: w.compile,
      fit: {
        x: { random: { kind: 'uniform', shape: [...w.x], seed: 1 } },
        y: 'classes' in w.y ? { random: { kind: 'randint', shape: [n], high: w.y.classes, seed: 2 } } : { random: { kind: 'uniform', shape: [n, w.y.dims], seed: 2 } },
        batch_size: w.batch,
        epochs: w.epochs,
      },
    };
    const res = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
    const { id } = (await res.json()) as { id: string };
    const stream = await fetch(`${base}/v1/jobs/${id}/events`);
    const seconds: number[] = [];
    let begin = 0;
    let done = false;
    const parser = createParser({
      onEvent: (e) => {
        if (e.event === 'epoch_begin') begin = performance.now();
        if (e.event === 'epoch_end') seconds.push((performance.now() - begin) / 1000);
        if (e.event === 'failed') throw new Error(e.data);
        if (e.event === 'completed') done = true;
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (done) break;
    }
    return n / Math.min(...seconds.slice(1));
  } finally {
    await worker.close();
    await app.close();
    const redis = new Redis(config.redisUrl);
    const keys = await redis.keys(`${config.redisPrefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}
