/**
 * `npm run bench:api`: load figures of one API process on loopback (its own app and Redis key
 * prefix, no worker, so submitted jobs just queue):
 * - job submissions per second and latency, with autocannon;
 * - 1,000 concurrent SSE subscribers: latency from an event's publish (as a worker publishes it)
 *   to its receipt by every client.
 * Queue pickup and warm predict latency are in bench/first-epoch.ts and bench/predict-latency.ts.
 */
import http from 'node:http';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kj-bench-api-'));
const config = loadConfig({ ...process.env, REDIS_PREFIX: `kjbench-${randomUUID().slice(0, 8)}`, DATA_DIR: dataDir, LOG_LEVEL: 'error', API_KEYS: '', RATE_LIMIT_PER_MINUTE: '100000000' });
const app = await buildApp({ config, logger: false });
await app.listen({ host: '127.0.0.1', port: 0 });
const port = (app.server.address() as { port: number }).port;
const base = `http://127.0.0.1:${port}`;

const small = JSON.stringify({
  type: 'fit',
  model: { sequential: [{ class_name: 'InputLayer', config: { shape: [32] } }, { class_name: 'Dense', config: { units: 10 } }] },
  compile: { optimizer: 'adam', loss: 'mse' },
  fit: { x: { random: { kind: 'uniform', shape: [1000, 32] } }, y: { random: { kind: 'uniform', shape: [1000, 10] } }, epochs: 1 },
});

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

async function submissions(seconds: number) {
  const result = await autocannon({ url: `${base}/v1/jobs`, method: 'POST', headers: { 'content-type': 'application/json' }, body: small, connections: CONNECTIONS, duration: seconds });
  const ok = result['2xx'];
  console.log(`submissions: ${(ok / seconds).toFixed(0)}/s accepted (${result.non2xx} non-2xx), latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms (${CONNECTIONS} connections, ${seconds} s)`);
}

async function sseFanout(clients: number, events: number) {
  const res = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: small });
  const { id } = (await res.json()) as { id: string };
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients + 10 });
  const latencies: number[] = [];
  let connected = 0;
  const sent = new Map<number, number>();
  await Promise.all(
    Array.from({ length: clients }, () =>
      new Promise<void>((resolve, reject) => {
        const req = http.get(`${base}/v1/jobs/${id}/events`, { agent }, (r) => {
          connected += 1;
          let buf = '';
          r.setEncoding('utf8');
          r.on('data', (chunk: string) => {
            buf += chunk;
            let at: number;
            while ((at = buf.indexOf('\n\n')) >= 0) {
              const frame = buf.slice(0, at);
              buf = buf.slice(at + 2);
              const m = /event: tick\ndata: (\d+)/.exec(frame);
              if (m) latencies.push(performance.now() - sent.get(Number(m[1]))!);
            }
          });
          resolve();
        });
        req.on('error', reject);
      }),
    ),
  );
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 0; i < events; i++) {
    sent.set(i, performance.now());
    await app.services.events.append(id, 'tick', i);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 1000));
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
  console.log(`SSE: ${connected} subscribers, ${events} events, ${latencies.length}/${connected * events} deliveries; publish→receipt p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`);
  agent.destroy();
}

try {
  await submissions(Number(process.env.BENCH_SECONDS ?? 10));
  await sseFanout(Number(process.env.BENCH_SSE_CLIENTS ?? 1000), 20);
} finally {
  await app.close().catch(() => {});
  const redis = new Redis(config.redisUrl);
  const keys = await redis.keys(`${config.redisPrefix}:*`);
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  redis.disconnect();
  await fs.rm(dataDir, { recursive: true, force: true });
  process.exit(0);
}
