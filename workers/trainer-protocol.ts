/** Messages between a worker and its trainer child process (Node IPC, structured JSON). */
import type { JobInput, JobResult } from './run-job.ts';

/** shutdown: exit now (the worker's way to stop it; signals to the process group are ignored). */
export type ToTrainer = { kind: 'run'; input: JobInput } | { kind: 'cancel'; jobId: string } | { kind: 'shutdown' };

export type FromTrainer =
  | { kind: 'ready'; backend: string; kernelError: number | null }
  | { kind: 'event'; jobId: string; type: string; data: Record<string, unknown> }
  /** Retention after an epoch: the worker removes the model's epoch checkpoints not in keep (nor named by a queued job). */
  | { kind: 'prune'; jobId: string; modelId: string; keep: string[] }
  | { kind: 'done'; jobId: string; result: JobResult; rssBytes: number }
  | { kind: 'error'; jobId: string; message: string; cancelled?: boolean };
