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
import { JobCancelled, TrainerClient } from './trainer-client.ts';
import type { JobRecord } from '../src/jobs/job-record.ts';

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

  // Cancels reach the worker holding the job through pub/sub (BullMQ's own cancel only works in-process).
  const cancelSub = connectRedis(config.redisUrl);
  let current: { jobId: string; cancel(reason: 'cancel' | 'timeout'): void } | undefined;
  await cancelSub.subscribe(keys.cancelChannel());
  cancelSub.on('message', (_channel: string, jobId: string) => {
    if (current?.jobId === jobId) current.cancel('cancel');
  });

  const finish = async (jobId: string, state: 'completed' | 'failed' | 'cancelled', fields: Partial<JobRecord>, data: Record<string, unknown>) => {
    await jobs.update(jobId, { state, finished_at: new Date().toISOString(), ...fields });
    await events.append(jobId, state, { state, ...data }, config.jobTtlS);
    await jobs.expire(jobId, config.jobTtlS);
  };

  const process_ = async (bullJob: Job<QueuedJob>) => {
    const { jobId, modelId, job, resume } = bullJob.data;
    let stopReason: 'cancel' | 'timeout' | undefined;
    current = {
      jobId,
      cancel(reason) {
        stopReason ??= reason;
        trainer.cancel(jobId);
      },
    };
    const timer = job.timeout_s ? setTimeout(() => current?.cancel('timeout'), job.timeout_s * 1000) : undefined;
    try {
      const record = await jobs.get(jobId);
      if (!record || record.cancel_requested) {
        if (record) await finish(jobId, 'cancelled', {}, { reason: 'cancelled before it started' });
        return { cancelled: true };
      }
      await jobs.update(jobId, { state: 'running', started_at: new Date().toISOString(), backend, attempts: bullJob.attemptsMade + 1 });
      await events.append(jobId, 'state', { state: 'running', worker: workerId, backend });
      // Events go out in order; record updates ride the same chain.
      let chain = Promise.resolve();
      const history: Record<string, number[]> = structuredClone(resume?.history ?? {});
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
        const result = await trainer.run({ jobId, modelId, job, resume }, onEvent);
        await chain;
        const modelFields = job.type === 'fit' ? { model_id: result.model_id, history: result.history } : {};
        await finish(jobId, 'completed', { ...modelFields, result: result.result }, { ...modelFields, result: result.result });
        return { model_id: result.model_id };
      } catch (err) {
        await chain.catch(() => {});
        const message = (err as Error).message;
        if (err instanceof JobCancelled && stopReason === 'cancel') {
          await finish(jobId, 'cancelled', {}, { reason: message });
          return { cancelled: true };
        }
        const reported = stopReason === 'timeout' ? `timed out: the job ran longer than timeout_s=${job.timeout_s} s (${message})` : message;
        log.warn({ jobId, err: reported }, 'job failed');
        await finish(jobId, 'failed', { error: { message: reported } }, { error: { message: reported } });
        // Never retried: a failure here is the job's (bad data, timeout), not the worker's.
        throw new UnrecoverableError(reported);
      }
    } finally {
      clearTimeout(timer);
      current = undefined;
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
      cancelSub.disconnect();
      await trainer.stop();
      await redis.hdel(keys.workerHeartbeat(), workerId).catch(() => {});
      redis.disconnect();
    },
  };
}
