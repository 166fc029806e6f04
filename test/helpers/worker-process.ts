/** A worker as a real OS process (`npm run worker`), so tests can SIGKILL or SIGTERM it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config.ts';

const WORKER = fileURLToPath(new URL('../../workers/worker.ts', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

export function spawnWorker(config: Config, env: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: {
      ...process.env,
      REDIS_URL: config.redisUrl,
      REDIS_PREFIX: config.redisPrefix,
      QUEUE_NAME: config.queueName,
      DATA_DIR: config.dataDir,
      CHECKPOINT_DIR: config.checkpointDir,
      LOCK_DURATION_MS: String(config.lockDurationMs),
      STALLED_INTERVAL_MS: String(config.stalledIntervalMs),
      MAX_CRASHES: String(config.maxCrashes),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, output: () => out };
}

/** Resolves once the worker logged that it is consuming the queue. */
export async function workerReady(w: WorkerProcess, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!w.output().includes('worker started')) {
    if (Date.now() - start > timeoutMs) throw new Error(`worker did not start:\n${w.output()}`);
    if (w.child.exitCode !== null) throw new Error(`worker exited:\n${w.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
