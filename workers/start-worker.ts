/**
 * A queue worker: takes jobs from BullMQ, runs them on its trainer child, and turns what happens
 * into job-record updates and events. Several can run against one Redis, on any machine.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { QueueEvents, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Config } from '../src/config.ts';
import { EventLog } from '../src/events/event-log.ts';
import { JobStore } from '../src/jobs/job-store.ts';
import { connectRedis } from '../src/redis/connect.ts';
import { logErrorsOnce } from '../src/redis/quiet-errors.ts';
import { Keys } from '../src/redis/keys.ts';
import { JobReferences } from '../src/jobs/job-references.ts';
import { payloadDatasetId } from '../src/jobs/payloads.ts';
import { sweepExpired, sweepLeftovers } from '../src/jobs/janitor.ts';
import { DatasetStore } from '../src/datasets/dataset-store.ts';
import type { QueuedJob } from '../src/jobs/queue.ts';
import { JobCancelled, TrainerClient, TrainerDied, type TrainerVariant } from './trainer-client.ts';
import { TERMINAL_STATES, type JobRecord } from '../src/jobs/job-record.ts';
import type { ResumeFrom } from '../src/spec/check-job.ts';
import { ModelStore } from '../src/store/model-store.ts';
import { clusterHistograms } from '../src/metrics/cluster-histogram.ts';

/** Files of a job younger than this are never swept: a submit writes them before the job's record. */
const LEFTOVER_GRACE_MS = 10 * 60_000;

export interface RunningWorker {
  id: string;
  /** The current trainer process (changes when it is recycled). */
  trainerPid(): number | undefined;
  /** The replacement trainer process being warmed up while a recycle is due, if any. */
  spareTrainer(): { pid?: number; ready: boolean } | undefined;
  close(): Promise<void>;
}

export async function startWorker(config: Config, log: Logger): Promise<RunningWorker> {
  const keys = new Keys(config.redisPrefix);
  const redis = connectRedis(config.redisUrl);
  const events = new EventLog(redis, keys);
  const jobs = new JobStore(redis, keys);
  const references = new JobReferences(redis, keys, jobs);
  const trainer = new TrainerClient({ afterJobs: config.recycleAfterJobs, rssBytes: config.recycleRssMb * 1024 * 1024 });
  const models = new ModelStore(config.checkpointDir);
  /** Staged payloads it reads and removes, and uploaded datasets the janitor expires. */
  const payloads = new DatasetStore(config.datasetDir, { maxBytes: 0 });
  const workerId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  for (const { env, error } of await trainer.startChecked()) {
    log.warn({ workerId, relativeError: error, env }, "this CPU's convolution kernels computed a 1x1 convolution's gradient wrong: trainers start with a fix");
  }
  const backend = trainer.backend!;
  log.info({ workerId, backend, kernelError: trainer.kernelError }, 'trainer ready');

  const heartbeat = async () => {
    await redis.hset(keys.workerHeartbeat(), workerId, JSON.stringify({ backend, pid: process.pid, host: hostname(), seen_at: new Date().toISOString() }));
  };
  await heartbeat();
  const beat = setInterval(() => void heartbeat().catch(() => {}), 5000);
  const sweep = () =>
    Promise.all([
      sweepLeftovers({ checkpointDir: config.checkpointDir, datasetDir: config.datasetDir }, jobs, LEFTOVER_GRACE_MS).then(
        (removed) => void (removed.length && log.info({ workerId, removed }, 'removed files of ended jobs')),
        (err) => log.warn({ err: (err as Error).message }, 'sweeping leftovers failed'),
      ),
      sweepExpired({ models, datasets: payloads }, references).then(
        (removed) => void (removed.length && log.info({ workerId, removed }, 'removed expired models and datasets')),
        (err) => log.warn({ err: (err as Error).message }, 'removing expired models and datasets failed'),
      ),
    ]);
  void sweep();
  const janitor = setInterval(() => void sweep(), config.janitorIntervalS * 1000);

  // Cancels reach the worker holding the job through pub/sub (BullMQ's own cancel only works in-process).
  const cancelSub = connectRedis(config.redisUrl);
  /** lost-lock: Redis was away longer than the lock, so the job may already run elsewhere. */
  type StopReason = 'cancel' | 'timeout' | 'shutdown' | 'lost-lock';
  let current: { jobId: string; cancel(reason: StopReason): void } | undefined;
  await cancelSub.subscribe(keys.cancelChannel());
  cancelSub.on('message', (_channel: string, jobId: string) => {
    if (current?.jobId === jobId) current.cancel('cancel');
  });

  let closing = false;

  /** Metrics are best effort: a failed count must never fail a job. */
  const observe = (histogram: (typeof clusterHistograms)[keyof typeof clusterHistograms], value: number, labels?: Record<string, string>) =>
    void histogram.observe(redis, keys, value, labels).catch((err) => log.debug({ err: (err as Error).message }, 'metric not recorded'));

  /** The canceller's reason (a sweep's early stopping, say) before what the worker saw. */
  const withCancelReason = (record: JobRecord | undefined, what: string) => (record?.cancel_reason ? `${record.cancel_reason} (${what})` : what);

  const finish = async (jobId: string, state: 'completed' | 'failed' | 'cancelled', fields: Partial<JobRecord>, data: Record<string, unknown>) => {
    const finishedAt = new Date();
    const before = await jobs.get(jobId);
    await jobs.update(jobId, { state, finished_at: finishedAt.toISOString(), ...fields });
    if (before) observe(clusterHistograms.jobDuration, (finishedAt.getTime() - Date.parse(before.started_at ?? before.created_at)) / 1000, { type: before.type, state });
    await events.append(jobId, state, { state, ...data }, config.jobTtlS);
    await jobs.expire(jobId, config.jobTtlS);
    // Its models and datasets may be deleted from now on; the data it carried inline is not needed again.
    await references.release(jobId);
    await payloads.remove(payloadDatasetId(jobId));
  };

  /**
   * A fit job that already checkpointed epochs under its model id was interrupted (its worker
   * crashed or shut down): it continues from the newest one, callbacks' state included.
   */
  const ownResumePoint = async (data: QueuedJob): Promise<ResumeFrom | undefined> => {
    if (data.job.type !== 'fit' || !data.modelId) return undefined;
    // A trainer killed mid-checkpoint left a temp folder; this worker owns the model now.
    const leftovers = await models.removeInterruptedWrites(data.modelId);
    if (leftovers.length) log.info({ jobId: data.jobId, leftovers }, 'removed interrupted checkpoint writes');
    const latest = await models.latestEpochCheckpoint(data.modelId);
    if (!latest) return undefined;
    return { model_id: data.modelId, checkpoint: latest.name, initial_epoch: latest.state.epoch + 1, history: latest.state.history ?? {}, callbacks: latest.state.callbacks };
  };

  const process_ = async (bullJob: Job<QueuedJob>, token?: string) => {
    const { jobId, tenant, modelId, job } = bullJob.data;
    let stopReason: StopReason | undefined;
    current = {
      jobId,
      cancel(reason) {
        stopReason ??= reason;
        trainer.cancel(jobId);
      },
    };
    if (closing) current.cancel('shutdown');
    const timer = job.timeout_s ? setTimeout(() => current?.cancel('timeout'), job.timeout_s * 1000) : undefined;
    try {
      const record = await jobs.get(jobId);
      // Re-delivered after it ended (its lock was lost during a Redis outage): nothing to do.
      if (record && TERMINAL_STATES.has(record.state)) return { already: record.state };
      if (!record || record.cancel_requested) {
        if (record) await finish(jobId, 'cancelled', {}, { reason: withCancelReason(record, 'cancelled before it started') });
        return { cancelled: true };
      }
      const own = await ownResumePoint(bullJob.data);
      let resume = own ?? bullJob.data.resume;
      if (!record.started_at) observe(clusterHistograms.queueWait, (Date.now() - Date.parse(record.created_at)) / 1000, { type: job.type });
      await jobs.update(jobId, { state: 'running', started_at: record.started_at ?? new Date().toISOString(), backend, attempts: (record.attempts ?? 0) + 1 });
      await events.append(jobId, 'state', { state: 'running', worker: workerId, backend });
      /**
       * The record rewinds to the checkpoint's epoch and history; followers learn where it picks up.
       * A worker killed between its trainer's checkpoint and the append of that epoch's
       * `epoch_end` leaves the stream short of epochs the checkpoint holds: those are appended
       * from the checkpoint's history (marked recovered), so followers still see every epoch once.
       */
      const announceResume = async (point: ResumeFrom | undefined, why: Record<string, unknown>) => {
        const epochs = job.type === 'fit' ? (job.fit.epochs ?? 1) : 0;
        if (point) {
          await jobs.update(jobId, { history: point.history, progress: { epoch: point.initial_epoch, epochs } });
          const lastSeen = (await events.lastOfType(jobId, 'epoch_end'))?.data as { epoch?: number } | undefined;
          // The history covers the epochs up to the checkpoint, from the job's first (initial_epoch may be > 0).
          const first = point.initial_epoch - (Object.values(point.history)[0]?.length ?? 0);
          for (let epoch = Math.max(first, (lastSeen?.epoch ?? -1) + 1); epoch < point.initial_epoch; epoch++) {
            const logs = Object.fromEntries(Object.entries(point.history).map(([k, v]) => [k, v[epoch - first]]));
            await events.append(jobId, 'epoch_end', { epoch, epochs, logs, recovered: true });
          }
        }
        await events.append(jobId, 'resumed', { epoch: point?.initial_epoch ?? 0, checkpoint: point?.checkpoint ?? null, ...why });
      };
      if (own) await announceResume(own, { attempt: (record.attempts ?? 0) + 1 });
      // Started before but stopped ahead of its first checkpoint: followers learn it starts over.
      else if ((record.attempts ?? 0) > 0 && job.type === 'fit') await announceResume(undefined, { attempt: (record.attempts ?? 0) + 1, reason: 'no checkpoint yet: training starts over' });
      // Events go out in order; record updates ride the same chain.
      let chain = Promise.resolve();
      let history: Record<string, number[]> = structuredClone(resume?.history ?? {});
      const onEvent = (type: string, data: Record<string, unknown>) => {
        chain = chain.then(async () => {
          if (type === 'epoch_end') {
            for (const [k, v] of Object.entries(data.logs as Record<string, number>)) (history[k] ??= []).push(v);
            const samplesPerS = typeof data.samples_per_s === 'number' ? data.samples_per_s : undefined;
            await jobs.update(jobId, { progress: { epoch: (data.epoch as number) + 1, epochs: data.epochs as number, samples_per_s: samplesPerS }, history });
            if (typeof data.duration_s === 'number') observe(clusterHistograms.epochDuration, data.duration_s);
          }
          await events.append(jobId, type, data);
        });
      };
      // Retention spares the epoch checkpoints that queued or running jobs name (initial_model, a predict's checkpoint).
      let pruning = Promise.resolve();
      const onPrune = (id: string, keep: string[]) => {
        pruning = pruning
          .then(() => models.pruneEpochCheckpoints(id, new Set(keep), (name) => references.inUse(`checkpoint:${id}/${name}`)))
          .then(
            () => {},
            (err) => log.warn({ jobId, err: (err as Error).message }, 'pruning epoch checkpoints failed'),
          );
      };
      try {
        let result;
        let variant: TrainerVariant = 'default';
        for (let trainerDeaths = 0; ; ) {
          try {
            result = await trainer.run({ jobId, tenant, modelId, job, resume }, { onEvent, onPrune }, variant);
            break;
          } catch (err) {
            // The trainer process died but this worker lives: start a new one and resume, as a crashed worker's job would.
            if (!(err instanceof TrainerDied) || stopReason || trainerDeaths >= config.maxCrashes) throw err;
            trainerDeaths += 1;
            await chain.catch(() => {});
            const again = await ownResumePoint(bullJob.data);
            if (again) {
              resume = again;
              history = structuredClone(again.history);
            }
            // A division by zero in a native kernel recurs on the same kernels: this job goes on without oneDNN's.
            if (err.signal === 'SIGFPE') variant = 'no-onednn';
            const reason = variant === 'no-onednn' ? `${err.message}; resuming with TensorFlow's oneDNN kernels off (TF_ENABLE_ONEDNN_OPTS=0)` : err.message;
            await announceResume(again, { reason });
            log.warn({ jobId, err: err.message, variant }, 'trainer died; resuming on a new one');
          }
        }
        await Promise.all([chain, pruning]);
        const modelFields = job.type === 'fit' ? { model_id: result.model_id, history: result.history, ...(result.execution ? { execution: result.execution } : {}) } : {};
        await finish(jobId, 'completed', { ...modelFields, result: result.result }, { ...modelFields, result: result.result });
        return { model_id: result.model_id };
      } catch (err) {
        await Promise.all([chain.catch(() => {}), pruning]);
        const message = (err as Error).message;
        if (err instanceof JobCancelled && stopReason === 'cancel') {
          await finish(jobId, 'cancelled', {}, { reason: withCancelReason(await jobs.get(jobId), message) });
          return { cancelled: true };
        }
        if (err instanceof JobCancelled && stopReason === 'lost-lock') {
          // Another worker owns the job now; writing anything would race it.
          log.warn({ jobId }, 'lost the job lock; stopped training and left the job to its new owner');
          return { lostLock: true };
        }
        if (err instanceof JobCancelled && stopReason === 'shutdown') {
          // Hand the job back: another worker (or this one, restarted) resumes it from its last checkpoint.
          await jobs.update(jobId, { state: 'queued' });
          await events.append(jobId, 'state', { state: 'queued', reason: 'worker shutting down; the job resumes from its last checkpoint' });
          await bullJob.moveToWait(token);
          throw new WaitingError();
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

  // A job whose workers kept dying is failed by BullMQ's stall check, where no processor runs:
  // the record learns of it here.
  const eventsConnection = connectRedis(config.redisUrl);
  const queueEvents = new QueueEvents(config.queueName, { connection: eventsConnection, prefix: config.redisPrefix });
  queueEvents.on('failed', ({ jobId, failedReason }) => {
    void (async () => {
      const record = await jobs.get(jobId);
      if (!record || TERMINAL_STATES.has(record.state)) return;
      const message = /stalled/.test(failedReason)
        ? `the worker running this job died ${config.maxCrashes + 1} times (BullMQ: ${failedReason}); its checkpoints are kept and it can be resumed with initial_model`
        : failedReason;
      await finish(jobId, 'failed', { error: { message } }, { error: { message } });
    })().catch((err) => log.error({ err: (err as Error).message, jobId }, 'could not record a stalled job'));
  });

  const workerConnection = connectRedis(config.redisUrl);
  const worker = new Worker<QueuedJob>(config.queueName, process_, {
    connection: workerConnection,
    prefix: config.redisPrefix,
    concurrency: 1,
    // Training runs in the child, so this process's event loop stays free to renew locks: a long
    // batch cannot look like a stall. A dead worker's job is taken back after the lock expires.
    lockDuration: config.lockDurationMs,
    stalledInterval: config.stalledIntervalMs,
    maxStalledCount: config.maxCrashes,
  });
  logErrorsOnce(worker, (m) => log.warn(m), 'worker', workerConnection);
  worker.on('lockRenewalFailed', (ids: string[]) => {
    if (current && ids.includes(current.jobId)) current.cancel('lost-lock');
  });
  for (const [name, conn] of [['redis', redis], ['cancel', cancelSub], ['events', eventsConnection]] as const) logErrorsOnce(conn, (m) => log.warn(m), name);
  logErrorsOnce(queueEvents, (m) => log.warn(m), 'queue events', eventsConnection);

  return {
    id: workerId,
    trainerPid: () => trainer.pid,
    spareTrainer: () => trainer.spareState,
    async close() {
      closing = true;
      clearInterval(beat);
      clearInterval(janitor);
      // Stop training after the current batch; the processor hands the job back to the queue.
      current?.cancel('shutdown');
      await worker.close();
      await queueEvents.close();
      eventsConnection.disconnect();
      workerConnection.disconnect();
      cancelSub.disconnect();
      await trainer.stop();
      await redis.hdel(keys.workerHeartbeat(), workerId).catch(() => {});
      redis.disconnect();
    },
  };
}
