/**
 * `npm start`: the whole service on one machine — the API plus WORKERS worker processes against
 * REDIS_URL. With no Redis answering and a redis-server binary on PATH, it starts one itself with
 * its data under DATA_DIR/redis (a laptop default); otherwise it stops with a message naming REDIS_URL.
 */
import { spawn, fork, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import closeWithGrace from 'close-with-grace';
import { loadConfig } from './config.ts';
import { assertRedisReachable } from './redis/connect.ts';
import { startApi } from './server.ts';

const WORKER = fileURLToPath(new URL('../workers/worker.ts', import.meta.url));
const config = loadConfig();

async function ensureRedis(): Promise<ChildProcess | undefined> {
  try {
    await assertRedisReachable(config.redisUrl);
    return undefined;
  } catch (err) {
    const url = new URL(config.redisUrl);
    const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(url.hostname);
    const hasBinary = spawnSync('redis-server', ['--version']).status === 0;
    if (!local || !hasBinary) {
      throw new Error(`${(err as Error).message.replace(/\.+$/, "")}. Start Redis there or set REDIS_URL${hasBinary ? '' : ' (no redis-server on PATH to start one)'}.`);
    }
    const dir = path.join(config.dataDir, 'redis');
    fs.mkdirSync(dir, { recursive: true });
    console.error(`no Redis at ${config.redisUrl}: starting redis-server on port ${url.port || 6379} with data in ${dir}`);
    // Its own process group: a signal to ours (Ctrl-C, kill -- -PGID) must not stop Redis before
    // the workers have handed their jobs back; shutdown stops it last.
    const server = spawn('redis-server', ['--port', url.port || '6379', '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''], { stdio: 'ignore', detached: true });
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (await assertRedisReachable(config.redisUrl, 500).then(() => true, () => false)) return server;
    }
    server.kill();
    throw new Error(`started redis-server but ${config.redisUrl} does not answer`);
  }
}

function superviseWorker(index: number, stopping: { value: boolean }, children: Set<ChildProcess>): void {
  // Its own process group, so a signal to ours reaches it once, forwarded by shutdown below (a
  // second SIGTERM would make it exit at once instead of handing its job back).
  const child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, WORKER_INDEX: String(index) }, detached: true });
  children.add(child);
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (stopping.value) return;
    console.error(`worker ${index} exited (code ${code}, signal ${signal}); restarting in 1 s`);
    setTimeout(() => superviseWorker(index, stopping, children), 1000);
  });
}

try {
  const redis = await ensureRedis();
  const app = await startApi(config);
  const stopping = { value: false };
  const children = new Set<ChildProcess>();
  for (let i = 0; i < config.workers; i++) superviseWorker(i, stopping, children);
  app.log.info({ url: `http://${config.host}:${config.port}`, workers: config.workers, docs: '/docs' }, 'service started');
  closeWithGrace({ delay: 30_000 }, async ({ err }) => {
    if (err) app.log.error({ err }, 'shutting down after error');
    stopping.value = true;
    await app.close();
    await Promise.all([...children].map((c) => new Promise((r) => { c.once('exit', r); c.kill('SIGTERM'); })));
    redis?.kill('SIGTERM');
  });
} catch (err) {
  console.error(`keras-jobs: ${(err as Error).message}`);
  process.exit(1);
}
