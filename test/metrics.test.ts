/**
 * /metrics scraped as Prometheus would, and /ready, against a real worker, Redis and training:
 * the figures must follow what the service actually did.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type Stack } from './helpers/stack.ts';
import { getJson, post, waitForState } from './helpers/http.ts';
import { seedMlpJob } from './helpers/specs.ts';

/** Prometheus text format → series name with sorted labels → value. */
async function scrape(stack: Stack): Promise<Map<string, number>> {
  const res = await fetch(`${stack.baseUrl}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const series = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${line}`);
    const labels = m[2] ? m[2].split(/,(?=\w+=")/).sort().join(',') : '';
    series.set(labels ? `${m[1]}{${labels}}` : m[1], Number(m[3]));
  }
  return series;
}

describe('operations endpoints', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.close();
  });

  test('/metrics counts jobs, epochs, queue waits, workers and streams as they happen', async () => {
    const before = await scrape(stack);
    assert.equal(before.get('kj_workers{backend="tensorflow"}') ?? before.get('kj_workers{backend="cpu"}'), 1, 'one live worker');
    assert.equal(before.get('kj_jobs{state="completed",type="fit"}'), undefined);
    assert.ok((before.get('process_cpu_seconds_total') ?? 0) > 0, 'process metrics are included');

    const epochs = 3;
    const { body } = await post(stack, '/v1/jobs', seedMlpJob({ epochs, samples: 200 }));
    const done = await waitForState(stack, body.id, ['completed', 'failed']);
    assert.equal(done.state, 'completed', done.error?.message);

    const during = await scrape(stack);

    assert.equal(during.get('kj_jobs{state="completed",type="fit"}'), 1);
    assert.equal(during.get('kj_epoch_duration_seconds_count'), epochs);
    assert.equal(during.get('kj_epoch_duration_seconds_bucket{le="+Inf"}'), epochs);
    assert.ok((during.get('kj_epoch_duration_seconds_sum') ?? 0) > 0);
    assert.equal(during.get('kj_queue_wait_seconds_count{type="fit"}'), 1);
    assert.equal(during.get('kj_job_duration_seconds_count{state="completed",type="fit"}'), 1);
    // Buckets are cumulative and end at the count.
    const buckets = [...during.entries()].filter(([k]) => k.startsWith('kj_job_duration_seconds_bucket')).map(([, v]) => v);
    assert.ok(buckets.every((v, i) => i === 0 || v >= buckets[i - 1]));
    assert.equal(during.get('kj_queue_depth'), 0);

    // The job record keeps the last epoch's speed, which the running-jobs gauge sums.
    assert.ok(done.progress.samples_per_s > 0, JSON.stringify(done.progress));
  });

  test('queued jobs show in the queue depth and as queued; open event streams are counted', async () => {
    const idle = await startStack({ worker: false });
    const controller = new AbortController();
    try {
      const { body } = await post(idle, '/v1/jobs', seedMlpJob({ epochs: 1, samples: 64 }));
      await post(idle, '/v1/jobs', { ...seedMlpJob({ epochs: 1, samples: 64 }), priority: 5 });
      const series = await scrape(idle);
      assert.equal(series.get('kj_queue_depth'), 2);
      assert.equal(series.get('kj_jobs{state="queued",type="fit"}'), 2);
      assert.equal(series.get('kj_workers{backend="tensorflow"}'), undefined);
      assert.equal(series.get('kj_sse_subscribers'), 0);

      // A queued job's stream stays open: the API process counts its follower.
      const stream = await fetch(`${idle.baseUrl}/v1/jobs/${body.id}/events`, { signal: controller.signal });
      assert.equal(stream.status, 200);
      const deadline = Date.now() + 5000;
      while ((await scrape(idle)).get('kj_sse_subscribers') !== 1) {
        assert.ok(Date.now() < deadline, 'the open stream was never counted');
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      controller.abort();
      await idle.close();
    }
  });

  test('/ready is 200 with a live worker and 503, with the reason, without one', async () => {
    const ready = await getJson(stack, '/ready');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { ready: true, redis: 'up', workers: 1, reasons: [] });

    const idle = await startStack({ worker: false });
    try {
      const notReady = await getJson(idle, '/ready');
      assert.equal(notReady.status, 503);
      assert.deepEqual(notReady.body, { ready: false, redis: 'up', workers: 0, reasons: ['no worker seen in the last 30 s'] });
      // Liveness stays 200 either way.
      assert.equal((await getJson(idle, '/health')).status, 200);
    } finally {
      await idle.close();
    }
  });

  test('with API keys, /metrics and /ready stay open to scrapers and probes', async () => {
    const keyed = await startStack({ worker: false, env: { API_KEYS: 'acme:secret-key' } });
    try {
      assert.equal((await fetch(`${keyed.baseUrl}/metrics`)).status, 200);
      assert.equal((await fetch(`${keyed.baseUrl}/ready`)).status, 503);
      assert.equal((await fetch(`${keyed.baseUrl}/v1/jobs`)).status, 401);
    } finally {
      await keyed.close();
    }
  });
});
