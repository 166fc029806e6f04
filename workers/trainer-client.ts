/**
 * Owns one trainer child process: starts it, runs jobs on it one at a time, relays its events,
 * and restarts it if it dies (the job it was running fails with the exit reason).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { JobCancelled, type JobInput, type JobResult } from './run-job.ts';

export { JobCancelled };

/** The trainer process died under a job (a native crash, the OOM killer): the job itself may be fine. */
export class TrainerDied extends Error {}
import type { FromTrainer, ToTrainer } from './trainer-protocol.ts';

const TRAINER = fileURLToPath(new URL('./trainer-process.ts', import.meta.url));


interface Pending {
  jobId: string;
  onEvent: (type: string, data: Record<string, unknown>) => void;
  resolve: (r: JobResult) => void;
  reject: (e: Error) => void;
}

export interface RecyclePolicy {
  afterJobs: number;
  rssBytes: number;
}

export class TrainerClient {
  private child?: ChildProcess;
  private jobsRun = 0;
  private lastRss = 0;
  /** tfjs-node keeps memory across model loads: a fresh trainer process every so often gives it back. */
  constructor(private readonly recycle: RecyclePolicy = { afterJobs: Infinity, rssBytes: Infinity }) {}
  private ready?: Promise<string>;
  private pending?: Pending;
  /** Cancels that arrived before their job reached the child; sent right after it. */
  private readonly early = new Set<string>();
  backend?: string;

  start(): Promise<string> {
    if (this.ready) return this.ready;
    const child = fork(TRAINER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    this.ready = new Promise((resolve, reject) => {
      child.on('message', (msg: FromTrainer) => {
        if (msg.kind === 'ready') {
          this.backend = msg.backend;
          resolve(msg.backend);
          return;
        }
        const p = this.pending;
        if (!p || msg.jobId !== p.jobId) return;
        if (msg.kind === 'event') p.onEvent(msg.type, msg.data);
        else if (msg.kind === 'done') {
          this.pending = undefined;
          this.jobsRun += 1;
          this.lastRss = msg.rssBytes;
          p.resolve(msg.result);
        } else if (msg.kind === 'error') {
          this.pending = undefined;
          p.reject(msg.cancelled ? new JobCancelled(msg.message) : new Error(msg.message));
        }
      });
      child.on('exit', (code, signal) => {
        reject(new Error(`trainer process exited before it was ready (code ${code}, signal ${signal})`));
        if (this.child !== child) return; // an old process, already replaced
        this.child = undefined;
        this.ready = undefined;
        const p = this.pending;
        this.pending = undefined;
        p?.reject(new TrainerDied(`trainer process died while training (code ${code}, signal ${signal})`));
      });
    });
    return this.ready;
  }

  async run(input: JobInput, onEvent: Pending['onEvent']): Promise<JobResult> {
    if (this.child && (this.jobsRun >= this.recycle.afterJobs || this.lastRss >= this.recycle.rssBytes)) {
      await this.stop();
      this.recycles += 1;
    }
    await this.start();
    if (this.pending) throw new Error('trainer is busy');
    return new Promise<JobResult>((resolve, reject) => {
      this.pending = { jobId: input.jobId, onEvent, resolve, reject };
      this.child!.send({ kind: 'run', input } satisfies ToTrainer);
      if (this.early.delete(input.jobId)) this.child!.send({ kind: 'cancel', jobId: input.jobId } satisfies ToTrainer);
    });
  }

  cancel(jobId: string): void {
    if (this.pending?.jobId === jobId) this.child?.send({ kind: 'cancel', jobId } satisfies ToTrainer);
    else this.early.add(jobId);
  }

  /** How many times the trainer process was replaced. */
  recycles = 0;

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      // The trainer ignores SIGTERM (see trainer-process.ts); a message stops it, SIGKILL if stuck.
      if (child.connected) child.send({ kind: 'shutdown' } satisfies ToTrainer);
      const stuck = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => clearTimeout(stuck));
    });
    this.child = undefined;
    this.ready = undefined;
    this.jobsRun = 0;
    this.lastRss = 0;
  }
}
