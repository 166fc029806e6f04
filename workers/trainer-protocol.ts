/** Messages between a worker and its trainer child process (Node IPC, structured JSON). */
import type { JobInput, JobResult } from './run-job.ts';

export type ToTrainer = { kind: 'run'; input: JobInput } | { kind: 'cancel'; jobId: string };

export type FromTrainer =
  | { kind: 'ready'; backend: string }
  | { kind: 'event'; jobId: string; type: string; data: Record<string, unknown> }
  | { kind: 'done'; jobId: string; result: JobResult; rssBytes: number }
  | { kind: 'error'; jobId: string; message: string; cancelled?: boolean };
