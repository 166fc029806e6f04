/**
 * A queue worker: takes jobs from BullMQ, runs them on its trainer child, and turns what happens
 * into job-record updates and events. Several can run against one Redis, on any machine.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../src/config.ts';
import { EventLog } from '../src/events/event-log.ts';
import { JobStore } from '../src/jobs/job-store.ts';
import { connectRedis } from '../src/redis/connect.ts';
import { Keys } from '../src/redis/keys.ts';
import type { QueuedJob } from '../src/jobs/queue.ts';
import { TrainerClient } from './trainer-client.ts';

export interface RunningWorker {
  id: string;
  close(): Promise<void>;
}

export async function startWorker(config: Config, log: Logger): Promise<RunningWorker> {
  const keys = new Keys(config.redisPrefix);
  const redis = connectRedis(config.redisUrl);
  const events = new EventLog(redis, keys);
  const jobs = new JobStore(redis, keys);
  const trainer = new TrainerClient();
  const workerId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const backend = await trainer.start();
  log.info({ workerId, backend }, 'trainer ready');

  const heartbeat = async () => {
    await redis.hset(keys.workerHeartbeat(), workerId, JSON.stringify({ backend, pid: process.pid, host: hostname(), seen_at: new Date().toISOString() }));
  };
  await heartbeat();
  const beat = setInterval(() => void heartbeat().catch(() => {}), 5000);

  const process_ = async (job: Job<QueuedJob>) => {
    const { jobId, modelId, spec } = job.data;
    const startedAt = new Date().toISOString();
    await jobs.update(jobId, { state: 'running', started_at: startedAt, backend, attempts: job.attemptsMade + 1 });
    await events.append(jobId, 'state', { state: 'running', worker: workerId, backend });
    // Events go out in order; record updates ride the same chain.
    let chain = Promise.resolve();
    const history: Record<string, number[]> = {};
    const onEvent = (type: string, data: Record<string, unknown>) => {
      chain = chain.then(async () => {
        if (type === 'epoch_end') {
          for (const [k, v] of Object.entries(data.logs as Record<string, number>)) (history[k] ??= []).push(v);
          await jobs.update(jobId, { progress: { epoch: (data.epoch as number) + 1, epochs: data.epochs as number }, history });
        }
        await events.append(jobId, type, data);
      });
    };
    try {
      const result = await trainer.run({ jobId, modelId, spec }, onEvent);
      await chain;
      const finishedAt = new Date().toISOString();
      await jobs.update(jobId, { state: 'completed', finished_at: finishedAt, history: result.history, model_id: result.model_id });
      await events.append(jobId, 'completed', { state: 'completed', model_id: result.model_id, history: result.history }, config.jobTtlS);
      await jobs.expire(jobId, config.jobTtlS);
      return { model_id: result.model_id };
    } catch (err) {
      await chain.catch(() => {});
      const message = (err as Error).message;
      log.warn({ jobId, err: message }, 'job failed');
      await jobs.update(jobId, { state: 'failed', finished_at: new Date().toISOString(), error: { message } });
      await events.append(jobId, 'failed', { state: 'failed', error: { message } }, config.jobTtlS);
      await jobs.expire(jobId, config.jobTtlS);
      throw new UnrecoverableError(message);
    }
  };

  const workerConnection = connectRedis(config.redisUrl);
  const worker = new Worker<QueuedJob>(config.queueName, process_, {
    connection: workerConnection,
    prefix: config.redisPrefix,
    concurrency: 1,
    // Training runs in the child, so this process's event loop stays free to renew locks;
    // the lock only has to outlast a busy moment of this loop, not a batch.
    lockDuration: 60_000,
  });
  worker.on('error', (err) => log.error({ err: err.message }, 'worker error'));

  return {
    id: workerId,
    async close() {
      clearInterval(beat);
      await worker.close();
      workerConnection.disconnect();
      await trainer.stop();
      await redis.hdel(keys.workerHeartbeat(), workerId).catch(() => {});
      redis.disconnect();
    },
  };
}
