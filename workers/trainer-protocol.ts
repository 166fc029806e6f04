/** Messages between a worker and its trainer child process (Node IPC, structured JSON). */
import type { FitJobInput, FitResult } from './run-fit.ts';

export type ToTrainer = { kind: 'run'; input: FitJobInput } | { kind: 'cancel'; jobId: string };

export type FromTrainer =
  | { kind: 'ready'; backend: string }
  | { kind: 'event'; jobId: string; type: string; data: Record<string, unknown> }
  | { kind: 'done'; jobId: string; result: FitResult }
  | { kind: 'error'; jobId: string; message: string; cancelled?: boolean };
