/**
 * A Prometheus histogram whose counts live in Redis, so that every worker (on any machine) adds to
 * it and any API process serves the whole cluster's figures. prom-client's own histograms count
 * per process, and workers have no HTTP port to be scraped on.
 */
import type { Redis } from 'ioredis';
import type { Keys } from '../redis/keys.ts';

type Labels = Record<string, string>;

export class ClusterHistogram {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
    readonly labelNames: string[] = [],
  ) {}

  private key(keys: Keys): string {
    return keys.metric(this.name);
  }

  /** Fields are `<label values joined by \u0001>|<bucket index|sum|count>`. */
  private field(labels: Labels, part: string | number): string {
    return `${this.labelNames.map((l) => labels[l] ?? '').join('\u0001')}|${part}`;
  }

  async observe(redis: Redis, keys: Keys, value: number, labels: Labels = {}): Promise<void> {
    if (!Number.isFinite(value)) return;
    const bucket = this.buckets.findIndex((le) => value <= le);
    const key = this.key(keys);
    await redis
      .multi()
      .hincrby(key, this.field(labels, bucket === -1 ? 'inf' : bucket), 1)
      .hincrbyfloat(key, this.field(labels, 'sum'), value)
      .hincrby(key, this.field(labels, 'count'), 1)
      .exec();
  }

  /** A metric prom-client's registry can render (it calls get() at scrape time). */
  forRegistry(redis: Redis, keys: Keys) {
    const { name, help, buckets, labelNames } = this;
    return {
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      get: async () => {
        const hash = await redis.hgetall(this.key(keys));
        const series = new Map<string, Map<string, number>>();
        for (const [field, value] of Object.entries(hash)) {
          const cut = field.lastIndexOf('|');
          const labelKey = field.slice(0, cut);
          if (!series.has(labelKey)) series.set(labelKey, new Map());
          series.get(labelKey)!.set(field.slice(cut + 1), Number(value));
        }
        const values: Array<{ metricName: string; labels: Labels; value: number }> = [];
        for (const [labelKey, parts] of series) {
          const labelValues = labelKey.split('\u0001');
          const labels: Labels = Object.fromEntries(labelNames.map((l, i) => [l, labelValues[i] ?? '']));
          let cumulative = 0;
          buckets.forEach((le, i) => {
            cumulative += parts.get(String(i)) ?? 0;
            values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: String(le) }, value: cumulative });
          });
          values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: parts.get('count') ?? 0 });
          values.push({ metricName: `${name}_sum`, labels, value: parts.get('sum') ?? 0 });
          values.push({ metricName: `${name}_count`, labels, value: parts.get('count') ?? 0 });
        }
        return { name, help, type: 'histogram', aggregator: 'sum', values };
      },
    };
  }
}

/** The histograms workers feed; the API serves them at /metrics. */
export const clusterHistograms = {
  queueWait: new ClusterHistogram('kj_queue_wait_seconds', 'Time from submission until a worker first started the job.', [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800], ['type']),
  jobDuration: new ClusterHistogram('kj_job_duration_seconds', 'Run time of finished jobs, from start to end state.', [0.1, 0.5, 1, 5, 15, 60, 300, 1800, 3600, 14400], ['type', 'state']),
  epochDuration: new ClusterHistogram('kj_epoch_duration_seconds', 'Duration of training epochs, validation included.', [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800]),
};
