/** Per-tenant quotas: active jobs, disk, datasets and event streams, each refused with the limit named and the use. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { startStack, type Stack } from './helpers/stack.ts';
import { seedMlpJob } from './helpers/specs.ts';

const FIXTURES = new URL('./fixtures/datasets/', import.meta.url);
const A = 'key-quota-a';
const B = 'key-quota-b';

describe('per-tenant quotas', () => {
  let stack: Stack;
  const call = async (method: string, url: string, key: string, body?: unknown, form?: FormData) => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${stack.baseUrl}${url}`, { method, headers, body: form ?? (body !== undefined ? JSON.stringify(body) : undefined) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const upload = async (key: string, name: string) => {
    const form = new FormData();
    form.append('file', new Blob([await fs.readFile(new URL(name, FIXTURES))]), name);
    return call('POST', '/v1/datasets', key, undefined, form);
  };
  const predict = { type: 'predict', model_id: 'none', predict: { x: { random: { kind: 'uniform', shape: [2, 32], seed: 1 } } } };

  before(async () => {
    // No worker: jobs stay queued, so they stay active.
    stack = await startStack({
      worker: false,
      env: { API_KEYS: `alpha:${A},beta:${B}`, TENANT_MAX_ACTIVE_JOBS: '2', TENANT_MAX_DATASETS: '1', TENANT_MAX_STREAMS: '1', TENANT_MAX_DISK_BYTES: '8000' },
    });
  });
  after(async () => {
    await stack.close();
  });

  test('active jobs: the third queued job of a tenant is a 429 naming the limit; another tenant and a cancelled slot are unaffected', async () => {
    const first = await call('POST', '/v1/jobs', A, seedMlpJob({ epochs: 1 }));
    const second = await call('POST', '/v1/jobs', A, seedMlpJob({ epochs: 1 }));
    assert.deepEqual([first.status, second.status], [202, 202]);
    const third = await call('POST', '/v1/jobs', A, seedMlpJob({ epochs: 1 }));
    assert.equal(third.status, 429, JSON.stringify(third.body));
    assert.deepEqual(third.body.quota, { limit: 'TENANT_MAX_ACTIVE_JOBS', what: 'queued or running jobs', used: 2, max: 2 });
    assert.match(third.body.detail, /tenant "alpha" is at its limit of 2 queued or running jobs \(TENANT_MAX_ACTIVE_JOBS\); it has 2/);
    assert.equal((await call('POST', '/v1/jobs', B, seedMlpJob({ epochs: 1 }))).status, 202, "beta's jobs do not count against alpha");
    assert.equal((await call('DELETE', `/v1/jobs/${first.body.id}`, A)).status, 202);
    assert.equal((await call('POST', '/v1/jobs', A, seedMlpJob({ epochs: 1 }))).status, 202, 'a cancelled job frees its slot');
    const usage = (await call('GET', '/v1/usage', A)).body;
    assert.deepEqual(usage.active_jobs, { used: 2, limit: 2, setting: 'TENANT_MAX_ACTIVE_JOBS' });
    // A refused job and a failed check take no slot.
    assert.equal((await call('POST', '/v1/jobs', B, predict)).status, 422);
    assert.equal((await call('GET', '/v1/usage', B)).body.active_jobs.used, 1);
  });

  test('event streams: a second open stream is a 429; closing one frees it', async () => {
    const job = (await call('POST', '/v1/jobs', B, seedMlpJob({ epochs: 1 }))).body;
    const abort = new AbortController();
    const open = await fetch(`${stack.baseUrl}/v1/jobs/${job.id}/events`, { headers: { authorization: `Bearer ${B}` }, signal: abort.signal });
    assert.equal(open.status, 200);
    const refused = await call('GET', `/v1/jobs/${job.id}/events`, B);
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.body.quota, { limit: 'TENANT_MAX_STREAMS', what: 'open event streams', used: 1, max: 1 });
    assert.equal((await call('GET', '/v1/usage', B)).body.streams.used, 1);
    abort.abort();
    for (let i = 0; i < 100 && (await call('GET', '/v1/usage', B)).body.streams.used > 0; i++) await new Promise((r) => setTimeout(r, 20));
    const again = await fetch(`${stack.baseUrl}/v1/jobs/${job.id}/events`, { headers: { authorization: `Bearer ${B}` } });
    assert.equal(again.status, 200);
    await again.body?.cancel();
    await call('DELETE', `/v1/jobs/${job.id}`, B);
  });

  test('datasets: past TENANT_MAX_DATASETS an upload is a 429; past TENANT_MAX_DISK_BYTES uploads and fit/predict submits are 507, evaluate is not', async () => {
    assert.equal((await upload(B, 'y_small.npy')).status, 201);
    const second = await upload(B, 'y_small.npy');
    assert.equal(second.status, 429, JSON.stringify(second.body));
    assert.deepEqual(second.body.quota, { limit: 'TENANT_MAX_DATASETS', what: 'datasets', used: 1, max: 1 });

    // 64 x 32 float32: 8,320 bytes stored, past alpha's 8,000.
    const big = await upload(A, 'x_small.npy');
    assert.equal(big.status, 201);
    const usage = (await call('GET', '/v1/usage', A)).body;
    assert.deepEqual(usage.disk_bytes, { used: 8320, limit: 8000, setting: 'TENANT_MAX_DISK_BYTES', models: 0, datasets: 8320, results: 0 });
    const full = await upload(A, 'y_small.npy');
    assert.equal(full.status, 507, JSON.stringify(full.body));
    assert.deepEqual(full.body.quota, { limit: 'TENANT_MAX_DISK_BYTES', what: 'bytes of models, datasets and results', used: 8320, max: 8000 });
    // Cancel alpha's jobs, so the next one is refused for disk and not for its slots.
    const listed = (await call('GET', '/v1/jobs', A)).body;
    for (const j of listed.jobs.filter((j: any) => j.state === 'queued')) await call('DELETE', `/v1/jobs/${j.id}`, A);
    const fit = await call('POST', '/v1/jobs', A, seedMlpJob({ epochs: 1 }));
    assert.equal(fit.status, 507);
    assert.equal(fit.body.quota.limit, 'TENANT_MAX_DISK_BYTES');
    // evaluate writes nothing: it is checked as usual (here: no such model), not refused for disk.
    const evaluate = await call('POST', '/v1/jobs', A, { type: 'evaluate', model_id: 'none', evaluate: { x: { random: { kind: 'uniform', shape: [2, 32] } }, y: { random: { kind: 'uniform', shape: [2, 10] } } } });
    assert.equal(evaluate.status, 422, JSON.stringify(evaluate.body));
    // Deleting frees the room.
    assert.equal((await call('DELETE', `/v1/datasets/${big.body.id}`, A)).status, 204);
    assert.equal((await call('POST', '/v1/jobs', A, seedMlpJob({ epochs: 1 }))).status, 202);
  });
});
