/**
 * Owns one trainer child process: starts it, runs jobs on it one at a time, relays its events,
 * and restarts it if it dies (the job it was running fails with the exit reason).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { JobCancelled, type JobInput, type JobResult } from './run-job.ts';

export { JobCancelled };

import type { FromTrainer, ToTrainer } from './trainer-protocol.ts';

/** The trainer process died under a job (a native crash, the OOM killer): the job itself may be fine. */
export class TrainerDied extends Error {
  constructor(
    message: string,
    readonly signal: NodeJS.Signals | null,
  ) {
    super(message);
  }
}

/**
 * How a trainer process runs TensorFlow. `no-onednn` turns TensorFlow's oneDNN kernels off
 * (TF_ENABLE_ONEDNN_OPTS=0, read when libtensorflow loads): on some CPUs and VMs oneDNN's
 * convolution setup divides by zero (SIGFPE, in brgemm 1x1 blocking; tensorflow#57749), where
 * TensorFlow's own kernels compute the same numbers.
 */
export type TrainerVariant = 'default' | 'no-onednn';

/** Above this, the start-up check (engine/kernel-check.ts) found a convolution kernel computing wrong numbers. */
const KERNEL_ERROR_LIMIT = 1e-4;

/**
 * What a trainer is started with when that check fails, in order, until it passes: oneDNN capped
 * at AVX2 (where only its AVX-512 kernels are wrong; about 10% slower on a plain CNN), then
 * oneDNN off (TensorFlow's own kernels; on the VM where this was found, AVX2's are wrong too).
 */
const KERNEL_FIXES: Array<Record<string, string>> = [{ ONEDNN_MAX_CPU_ISA: 'AVX2' }, { TF_ENABLE_ONEDNN_OPTS: '0' }];

const TRAINER = fileURLToPath(new URL('./trainer-process.ts', import.meta.url));


/** What a running job's trainer asks of its worker. */
export interface TrainerHandlers {
  onEvent: (type: string, data: Record<string, unknown>) => void;
  onPrune: (modelId: string, keep: string[]) => void;
}

interface Pending extends TrainerHandlers {
  jobId: string;
  resolve: (r: JobResult) => void;
  reject: (e: Error) => void;
}

export interface RecyclePolicy {
  afterJobs: number;
  rssBytes: number;
}

/** A trainer process and the promise of its 'ready' message (resolving to its backend). */
interface Spawned {
  child: ChildProcess;
  variant: TrainerVariant;
  ready: Promise<string>;
  isReady: boolean;
}

export class TrainerClient {
  private child?: ChildProcess;
  private jobsRun = 0;
  private lastRss = 0;
  /**
   * tfjs-node keeps memory across model loads: a fresh trainer process every so often gives it
   * back. The replacement starts in the background once one is due (make before break), and takes
   * over at the first job after it is ready, so no job waits ~1 s for TensorFlow to load.
   */
  constructor(private readonly recycle: RecyclePolicy = { afterJobs: Infinity, rssBytes: Infinity }) {}
  private ready?: Promise<string>;
  private variant: TrainerVariant = 'default';
  /** Environment every trainer gets on top of this process's: the kernel fixes in force. */
  private fixes: Record<string, string> = {};
  /** The start-up kernel check's error in the current trainer (null off tfjs-node). */
  kernelError: number | null = null;
  private spare?: Spawned;
  private pending?: Pending;
  /** Cancels that arrived before their job reached the child; sent right after it. */
  private readonly early = new Set<string>();
  backend?: string;

  start(variant: TrainerVariant = this.variant): Promise<string> {
    if (this.ready && variant === this.variant) return this.ready;
    // Another variant: the current process goes (with its spare, of the old variant).
    if (this.child) void stopProcess(this.child);
    if (this.spare) void stopProcess(this.spare.child);
    this.spare = undefined;
    const spawned = this.spawn(variant);
    this.child = spawned.child;
    this.ready = spawned.ready;
    this.variant = variant;
    this.jobsRun = 0;
    this.lastRss = 0;
    return this.ready;
  }

  private spawn(variant: TrainerVariant = this.variant): Spawned {
    const env = { ...process.env, ...this.fixes, ...(variant === 'no-onednn' ? { TF_ENABLE_ONEDNN_OPTS: '0' } : {}) };
    const child = fork(TRAINER, [], { execArgv: ['--import', 'tsx'], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const spawned: Spawned = { child, variant, ready: undefined as unknown as Promise<string>, isReady: false };
    spawned.ready = new Promise((resolve, reject) => {
      child.on('message', (msg: FromTrainer) => {
        if (msg.kind === 'ready') {
          this.backend = msg.backend;
          if (this.child === child) this.kernelError = msg.kernelError;
          spawned.isReady = true;
          resolve(msg.backend);
          return;
        }
        const p = this.pending;
        if (this.child !== child || !p || msg.jobId !== p.jobId) return;
        if (msg.kind === 'event') p.onEvent(msg.type, msg.data);
        else if (msg.kind === 'prune') p.onPrune(msg.modelId, msg.keep);
        else if (msg.kind === 'done') {
          this.pending = undefined;
          this.jobsRun += 1;
          this.lastRss = msg.rssBytes;
          p.resolve(msg.result);
          if (this.recycleDue() && !this.spare) this.spare = this.spawn();
        } else if (msg.kind === 'error') {
          this.pending = undefined;
          p.reject(msg.cancelled ? new JobCancelled(msg.message) : new Error(msg.message));
        }
      });
      child.on('exit', (code, signal) => {
        reject(new Error(`trainer process exited before it was ready (code ${code}, signal ${signal})`));
        if (this.spare?.child === child) this.spare = undefined; // a later job starts another
        if (this.child !== child) return; // an old process, already replaced
        this.child = undefined;
        this.ready = undefined;
        const p = this.pending;
        this.pending = undefined;
        p?.reject(new TrainerDied(`trainer process died while training (code ${code}, signal ${signal})`, signal));
      });
    });
    spawned.ready.catch(() => {}); // a spare that dies is noticed by its exit handler
    return spawned;
  }

  private recycleDue(): boolean {
    return this.jobsRun >= this.recycle.afterJobs || this.lastRss >= this.recycle.rssBytes;
  }

  /** Hands over to a ready spare and lets the old process go; false when there is none. */
  private swapToSpare(): boolean {
    const spare = this.spare;
    if (!spare?.isReady || this.pending) return false;
    const old = this.child;
    this.spare = undefined;
    this.child = spare.child;
    this.ready = spare.ready;
    this.jobsRun = 0;
    this.lastRss = 0;
    this.recycles += 1;
    if (old) void stopProcess(old);
    return true;
  }

  /**
   * Starts the trainer and, while its kernel check fails, restarts it with the next fix
   * (KERNEL_FIXES). Returns the fixes applied; the caller logs them.
   */
  async startChecked(): Promise<Array<{ env: Record<string, string>; error: number }>> {
    await this.start();
    const applied: Array<{ env: Record<string, string>; error: number }> = [];
    for (const fix of KERNEL_FIXES) {
      if (this.kernelError === null || this.kernelError <= KERNEL_ERROR_LIMIT) break;
      if (Object.keys(fix).some((k) => process.env[k] !== undefined)) continue; // the operator chose these
      applied.push({ env: fix, error: this.kernelError });
      await this.stop();
      this.fixes = { ...this.fixes, ...fix };
      await this.start();
    }
    return applied;
  }

  /** Runs a job on a trainer of the given variant (replacing the current process if it is another). */
  async run(input: JobInput, handlers: TrainerHandlers, variant: TrainerVariant = 'default'): Promise<JobResult> {
    if (this.child && variant === this.variant && this.recycleDue() && !this.swapToSpare() && !this.spare) this.spare = this.spawn();
    await this.start(variant);
    if (this.pending) throw new Error('trainer is busy');
    return new Promise<JobResult>((resolve, reject) => {
      this.pending = { jobId: input.jobId, ...handlers, resolve, reject };
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

  /** How the current trainer process runs TensorFlow. */
  get currentVariant(): TrainerVariant {
    return this.variant;
  }

  get spareState(): { pid?: number; ready: boolean } | undefined {
    return this.spare && { pid: this.spare.child.pid, ready: this.spare.isReady };
  }

  async stop(): Promise<void> {
    const spare = this.spare;
    this.spare = undefined;
    // this.child stays until it has exited, so its exit handler fails a job it was running.
    await Promise.all([this.child && stopProcess(this.child), spare && stopProcess(spare.child)]);
    this.child = undefined;
    this.ready = undefined;
    this.jobsRun = 0;
    this.lastRss = 0;
  }
}

/** The trainer ignores SIGTERM (see trainer-process.ts): a message stops it, SIGKILL if stuck. */
function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const stuck = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(stuck);
      resolve();
    });
    if (child.connected) child.send({ kind: 'shutdown' } satisfies ToTrainer);
    else child.kill('SIGKILL');
  });
}
