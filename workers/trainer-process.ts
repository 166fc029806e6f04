/**
 * The trainer child process. Training is CPU-bound and blocks its event loop for whole batches, so
 * it runs here, away from the BullMQ worker that must keep renewing the job's lock.
 * (worker_threads are not an option: tfjs-node does not support them.)
 */
import { loadConfig } from '../src/config.ts';
import { initBackend } from '../src/engine/backend.ts';
import { pointwiseConvGradError } from '../src/engine/kernel-check.ts';
import { ModelStore } from '../src/store/model-store.ts';
import { DatasetStore } from '../src/datasets/dataset-store.ts';
import { ModelCache } from './model-loader.ts';
import { JobCancelled, runJob } from './run-job.ts';
import type { FromTrainer, ToTrainer } from './trainer-protocol.ts';

/**
 * An orphan must not train on: its worker is gone, the job is someone else's now, and a checkpoint
 * it wrote would race theirs. The IPC 'disconnect' event says so only when this process's event
 * loop gets to it, which a long batch delays; the parent pid changes the moment the worker dies.
 */
const parentPid = process.ppid;
const orphaned = () => !process.connected || process.ppid !== parentPid;
const exitIfOrphaned = () => {
  if (orphaned()) process.exit(0);
};
setInterval(exitIfOrphaned, 250).unref();

const send = (msg: FromTrainer) => {
  exitIfOrphaned();
  process.send!(msg);
};
const config = loadConfig();
const store = new ModelStore(config.checkpointDir);
const cache = new ModelCache(store, Number(process.env.MODEL_CACHE_SIZE ?? 4));
const datasets = new DatasetStore(config.datasetDir, { maxBytes: 0 });
const running = new Map<string, AbortController>();

process.on('message', (msg: ToTrainer) => {
  if (msg.kind === 'shutdown') process.exit(0);
  if (msg.kind === 'cancel') {
    running.get(msg.jobId)?.abort();
    return;
  }
  const { input } = msg;
  const abort = new AbortController();
  running.set(input.jobId, abort);
  const pruneEpochCheckpoints = async (modelId: string, keep: ReadonlySet<string>) => send({ kind: 'prune', jobId: input.jobId, modelId, keep: [...keep] });
  runJob(input, { store, cache, datasets, pruneEpochCheckpoints }, (type, data) => send({ kind: 'event', jobId: input.jobId, type, data }), abort.signal)
    .then((result) => send({ kind: 'done', jobId: input.jobId, result, rssBytes: process.memoryUsage().rss }))
    .catch((err: Error) => send({ kind: 'error', jobId: input.jobId, message: err.message, cancelled: err instanceof JobCancelled || abort.signal.aborted }))
    .finally(() => running.delete(input.jobId));
});

// The parent's exit closes the IPC channel; follow it rather than linger as an orphan.
process.on('disconnect', () => process.exit(0));
// A signal to the whole process group (Ctrl-C, kill -- -PGID, a container stop) also reaches this
// process; the worker then stops training after the batch and hands the job back, which needs
// this process alive until it says so (a shutdown message, or the IPC channel closing).
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => {});

const backend = await initBackend();
send({ kind: 'ready', backend, kernelError: backend === 'tensorflow' ? pointwiseConvGradError() : null });
