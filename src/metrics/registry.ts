/**
 * What /metrics serves: this API process's own figures (process metrics, SSE subscribers) and the
 * cluster's, read from Redis at scrape time (jobs by state and type, queue depth, live workers
 * and their backend, training speed of running jobs, and the histograms workers feed).
 */
import client from 'prom-client';
import type { Services } from '../plugins/services.ts';
import { liveWorkers } from '../ops/live-workers.ts';
import { clusterHistograms } from './cluster-histogram.ts';

export function metricsRegistry(services: Services): client.Registry {
  const { jobs, queue, hub, redis, keys } = services;
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });

  // Reading every job record is O(jobs): the gauges of one scrape, and scrapes that overlap,
  // share one census in flight instead of each reading all records.
  let census: ReturnType<typeof jobs.census> | undefined;
  const jobCensus = () =>
    (census ??= jobs.census().finally(() => {
      census = undefined;
    }));

  // kj_queue_jobs and kj_queue_depth come from the same counts: one round trip per scrape.
  let counts: ReturnType<typeof queue.getJobCounts> | undefined;
  const queueCounts = () =>
    (counts ??= queue.getJobCounts('wait', 'prioritized', 'delayed', 'active').finally(() => {
      counts = undefined;
    }));

  new client.Gauge({
    name: 'kj_jobs',
    help: 'Jobs known to the service (finished ones until JOB_TTL_S), by state and type.',
    labelNames: ['state', 'type'],
    registers: [registry],
    async collect() {
      this.reset();
      const counts = new Map<string, { state: string; type: string; n: number }>();
      for (const { state, type } of await jobCensus()) {
        const key = `${state}/${type}`;
        const entry = counts.get(key) ?? { state, type, n: 0 };
        entry.n += 1;
        counts.set(key, entry);
      }
      for (const { state, type, n } of counts.values()) this.set({ state, type }, n);
    },
  });
  new client.Gauge({
    name: 'kj_training_samples_per_second',
    help: 'Training speed of the running fit jobs (their last epoch), summed.',
    registers: [registry],
    async collect() {
      const running = (await jobCensus()).filter((j) => j.state === 'running');
      this.set(running.reduce((sum, j) => sum + (j.progress?.samples_per_s ?? 0), 0));
    },
  });
  new client.Gauge({
    name: 'kj_queue_jobs',
    help: 'BullMQ queue: jobs waiting (wait, prioritized, delayed) and active.',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      for (const [status, n] of Object.entries(await queueCounts())) this.set({ status }, n);
    },
  });
  new client.Gauge({
    name: 'kj_queue_depth',
    help: 'Jobs waiting for a worker.',
    registers: [registry],
    async collect() {
      const { wait = 0, prioritized = 0, delayed = 0 } = await queueCounts();
      this.set(wait + prioritized + delayed);
    },
  });
  new client.Gauge({
    name: 'kj_sse_subscribers',
    help: 'Open event streams on this API process.',
    registers: [registry],
    collect() {
      this.set(hub.subscriberCount);
    },
  });
  new client.Gauge({
    name: 'kj_workers',
    help: 'Workers seen in the last 30 s, by TensorFlow.js backend (tensorflow = libtensorflow, cpu = pure-JS fallback).',
    labelNames: ['backend'],
    registers: [registry],
    async collect() {
      this.reset();
      const byBackend = new Map<string, number>();
      for (const w of await liveWorkers(redis, keys)) byBackend.set(w.backend, (byBackend.get(w.backend) ?? 0) + 1);
      for (const [backend, n] of byBackend) this.set({ backend }, n);
    },
  });
  for (const histogram of Object.values(clusterHistograms)) registry.registerMetric(histogram.forRegistry(redis, keys) as unknown as client.Metric);
  return registry;
}
