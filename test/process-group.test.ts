/**
 * `npm start` stopped the way terminals and container runtimes stop things: one SIGTERM to its
 * whole process group. Every process gets it at once; the running job must still be handed back
 * in order (not lost to a hard exit), and training must resume from its checkpoint afterwards.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { seedMlpJob } from './helpers/specs.ts';

const MAIN = path.join(import.meta.dirname, '../src/main.ts');

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    assert.ok(Date.now() - start < timeoutMs, `${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A port nothing listens on right now (the OS picks it), for a service started on a fixed port. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('npm start and a signal to its whole process group', () => {
  const prefix = `kjtest-${randomUUID().slice(0, 8)}`;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let dataDir = '';
  const started: ChildProcess[] = [];

  const start = async (port: number) => {
    // detached: its own process group, which the test then signals as a whole.
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, PORT: String(port), REDIS_URL: redisUrl, REDIS_PREFIX: prefix, DATA_DIR: dataDir, LOG_LEVEL: 'warn', WORKERS: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stderr!.on('data', (d) => (output += d));
    started.push(child);
    const base = `http://127.0.0.1:${port}`;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let gone: number | null | undefined;
    void exited.then((code) => (gone = code));
    try {
      await until('the service becoming ready', async () => {
        if (gone !== undefined) throw new Error(`npm start exited (${gone})`);
        return (await fetch(`${base}/ready`)).ok ? true : undefined;
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}; its stderr:\n${output.slice(-3000)}`);
    }
    return { child, base, output: () => output, exited };
  };

  after(async () => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) process.kill(-c.pid!, 'SIGKILL');
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  test('the running job is handed back, then resumes from its checkpoint on the next start', async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kj-pgroup-'));
    const port = await freePort();
    const first = await start(port);
    // Epochs of ~0.1 s at graph speed, so the SIGTERM lands mid-training.
    const spec = seedMlpJob({ epochs: 60, samples: 20_000 });
    const { id } = (await (await fetch(`${first.base}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) })).json()) as { id: string };
    await until('two epochs', async () => {
      const job = (await (await fetch(`${first.base}/v1/jobs/${id}`)).json()) as any;
      return job.progress.epoch >= 2 ? job : undefined;
    });

    process.kill(-first.child.pid!, 'SIGTERM');
    assert.equal(await first.exited, 0, first.output());

    const redis = new Redis(redisUrl);
    try {
      assert.equal(await redis.hget(`${prefix}:job:${id}`, 'state'), 'queued', 'handed back, not left running');
      const events = (await redis.xrange(`${prefix}:job:${id}:events`, '-', '+')).map(([, fields]) => JSON.parse(fields[fields.indexOf('data') + 1]) as { state?: string; reason?: string });
      assert.ok(events.some((e) => e.state === 'queued' && /shutting down/.test(e.reason ?? '')), JSON.stringify(events.slice(-3)));
    } finally {
      redis.disconnect();
    }

    const second = await start(port);
    const watcher = new Redis(redisUrl);
    const resumed = await until('the resumed event', async () => {
      const entries = await watcher.xrange(`${prefix}:job:${id}:events`, '-', '+');
      const entry = entries.find(([, fields]) => fields[fields.indexOf('type') + 1] === 'resumed');
      return entry ? JSON.parse(entry[1][entry[1].indexOf('data') + 1]) : undefined;
    }).finally(() => watcher.disconnect());
    assert.ok(resumed.epoch >= 2 && resumed.checkpoint, JSON.stringify(resumed));
    await fetch(`${second.base}/v1/jobs/${id}`, { method: 'DELETE' });
    process.kill(-second.child.pid!, 'SIGTERM');
    assert.equal(await second.exited, 0, second.output());
  });
});
