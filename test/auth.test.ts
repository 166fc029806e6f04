/**
 * API keys and tenants: every route without a key, with a wrong key and with another tenant's key.
 * Another tenant's ids answer 404 (not 403), so ids cannot be probed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { loadConfig, sha256 } from '../src/config.ts';
import { startApi } from '../src/server.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { seedMlpJob } from './helpers/specs.ts';

const A = 'key-alpha-1234';
const B = 'key-beta-5678';

describe('API keys and tenants', () => {
  let stack: Stack;
  let ids: { job: string; model: string; predictJob: string; dataset: string };

  const call = async (method: string, url: string, key?: string, body?: unknown, raw?: FormData) => {
    const headers: Record<string, string> = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${stack.baseUrl}${url}`, { method, headers, body: raw ?? (body !== undefined ? JSON.stringify(body) : undefined) });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, body: parsed };
  };
  const waitDone = async (id: string) => {
    for (;;) {
      const { body } = await call('GET', `/v1/jobs/${id}`, A);
      if (['completed', 'failed'].includes(body.state)) return body;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const upload = async (key?: string) => {
    const form = new FormData();
    form.append('file', new Blob([await fs.readFile(new URL('./fixtures/datasets/x_small.npy', import.meta.url))]), 'x_small.npy');
    return call('POST', '/v1/datasets', key, undefined, form);
  };

  before(async () => {
    stack = await startStack({ env: { API_KEYS: `alpha:${A},beta:${B}` } });
    const job = await call('POST', '/v1/jobs', A, seedMlpJob({ epochs: 1 }));
    const done = await waitDone(job.body.id);
    const predict = await call('POST', `/v1/models/${done.model_id}/predict?wait=30`, A, { x: [Array(32).fill(0.5)] });
    const dataset = await upload(A);
    assert.equal(dataset.status, 201);
    ids = { job: job.body.id, model: done.model_id, predictJob: predict.body.id, dataset: dataset.body.id };
  });
  after(async () => {
    await stack.close();
  });

  const routes = () => [
    ['GET', '/v1/jobs'],
    ['POST', '/v1/jobs', seedMlpJob({ epochs: 1 })],
    ['GET', `/v1/jobs/${ids.job}`],
    ['GET', `/v1/jobs/${ids.job}/events`],
    ['GET', `/v1/jobs/${ids.predictJob}/result/predictions.npy`],
    ['GET', '/v1/models'],
    ['GET', `/v1/models/${ids.model}`],
    ['GET', `/v1/models/${ids.model}/files/final/model.json`],
    ['GET', `/v1/models/${ids.model}/archive`],
    ['POST', `/v1/models/${ids.model}/predict`, { x: [Array(32).fill(0.5)] }],
    ['POST', `/v1/models/${ids.model}/evaluate`, { x: [Array(32).fill(0.5)], y: [1] }],
    ['GET', `/v1/datasets/${ids.dataset}`],
    ['DELETE', `/v1/datasets/${ids.dataset}`],
    ['DELETE', `/v1/models/${ids.model}`],
    ['DELETE', `/v1/jobs/${ids.job}`],
  ] as Array<[string, string, unknown?]>;

  test('no key and a wrong key: 401 on every route but /health', async () => {
    for (const [method, url, body] of routes()) {
      for (const key of [undefined, 'not-a-key']) {
        const res = await call(method, url, key, body);
        assert.equal(res.status, 401, `${method} ${url} with ${key ?? 'no key'}`);
        assert.match(res.body.detail, /Bearer/);
      }
    }
    assert.equal((await upload()).status, 401);
    assert.equal((await call('GET', '/health')).status, 200);
  });

  test("another tenant's key: 404 on everything of the first tenant, and lists show none of it", async () => {
    let attempts = 0;
    let succeeded = 0;
    for (const [method, url, body] of routes()) {
      if (url === '/v1/jobs' || url === '/v1/models') continue;
      const res = await call(method, url, B, body);
      attempts += 1;
      if (res.status < 400) succeeded += 1;
      assert.equal(res.status, 404, `${method} ${url} as beta: ${JSON.stringify(res.body)}`);
    }
    const jobs = await call('GET', '/v1/jobs', B);
    assert.deepEqual(jobs.body.jobs, []);
    const models = await call('GET', '/v1/models', B);
    assert.deepEqual(models.body.models, []);
    // Referencing the other tenant's model or dataset in a job body: as if it did not exist.
    const evaluate = await call('POST', '/v1/jobs', B, { type: 'evaluate', model_id: ids.model, evaluate: { x: [Array(32).fill(0)], y: [0] } });
    const resume = await call('POST', '/v1/jobs', B, { type: 'fit', initial_model: { model_id: ids.model }, fit: { ...seedMlpJob().fit, epochs: 5 } });
    const data = await call('POST', '/v1/jobs', B, { ...seedMlpJob({ epochs: 1 }), fit: { ...seedMlpJob().fit, x: { dataset: ids.dataset, array: 'x_small' }, validation_data: undefined } });
    for (const res of [evaluate, resume, data]) {
      attempts += 1;
      if (res.status < 400) succeeded += 1;
      assert.equal(res.status, 422);
      assert.match(res.body.errors[0].message, /no trained model|no dataset/);
    }
    console.log(`# cross-tenant attempts: ${attempts}, succeeded: ${succeeded}`);
    assert.equal(succeeded, 0);
  });

  test('the owner gets everything', async () => {
    for (const [method, url, body] of routes()) {
      if (method === 'DELETE') continue;
      const res = await call(method, url, A, body);
      assert.ok(res.status < 300, `${method} ${url} as alpha: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    }
    assert.ok((await call('GET', '/v1/jobs', A)).body.jobs.some((j: any) => j.id === ids.job));
    assert.equal((await call('DELETE', `/v1/datasets/${ids.dataset}`, A)).status, 204);
  });

  test('rate limit per API key, shared through Redis', async () => {
    const limited = await startStack({ worker: false, env: { API_KEYS: `alpha:${A},beta:${B}`, RATE_LIMIT_PER_MINUTE: '5' } });
    try {
      const get = (key: string) => fetch(`${limited.baseUrl}/v1/jobs`, { headers: { authorization: `Bearer ${key}` } });
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push((await get(A)).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      const res = await get(A);
      assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
      assert.match(((await res.json()) as any).detail, /rate limit of 5 requests/);
      assert.equal((await get(B)).status, 200, 'another key has its own budget');
      for (const probe of ['/health', '/metrics']) assert.equal((await fetch(`${limited.baseUrl}${probe}`)).status, 200, `${probe} is not limited`);
      // Malformed requests count too: they cost the API as much as good ones.
      const bad = () => fetch(`${limited.baseUrl}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${B}`, 'content-type': 'application/json' }, body: '{"type":"fit"}' });
      const badStatuses = [];
      for (let i = 0; i < 5; i++) badStatuses.push((await bad()).status);
      assert.deepEqual(badStatuses, [400, 400, 400, 400, 429]);
      // Guessing keys is limited per address: wrong keys and no key count against it.
      const guesses = [];
      for (let i = 0; i < 7; i++) guesses.push((await get(`wrong-${i}`)).status);
      guesses.push((await fetch(`${limited.baseUrl}/v1/jobs`)).status);
      assert.deepEqual(guesses, [401, 401, 401, 401, 401, 429, 429, 429]);
    } finally {
      await limited.close();
    }
  });

  test('the tenant name "public" (what an open service stored) cannot be given to a key', () => {
    assert.throws(() => loadConfig({ API_KEYS: 'public:some-key' }), /the tenant name "public" is reserved/);
  });

  test('API_KEYS_FILE holds tenants and SHA-256 digests, never keys', async () => {
    const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'kj-keys-')), 'keys');
    await fs.writeFile(file, `# tenant:sha256(key)\ngamma:${sha256('gamma-secret')}\n`);
    const config = loadConfig({ API_KEYS_FILE: file });
    assert.equal(config.apiKeys.get(sha256('gamma-secret')), 'gamma');
    assert.equal([...config.apiKeys.keys()].includes('gamma-secret'), false);
    await fs.writeFile(file, 'gamma:plaintext-key\n');
    assert.throws(() => loadConfig({ API_KEYS_FILE: file }), /sha256hex/);
  });

  test('the API refuses to listen beyond loopback without keys, unless ALLOW_OPEN=1 says it is meant', async () => {
    const server = new URL('../src/server.ts', import.meta.url).pathname;
    const refused = spawnSync(process.execPath, ['--import', 'tsx', server], { env: { ...process.env, HOST: '0.0.0.0', PORT: '0', API_KEYS: '', API_KEYS_FILE: '', ALLOW_OPEN: '' }, encoding: 'utf8', timeout: 60_000 });
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, /HOST=0\.0\.0\.0 with no API_KEYS .* set ALLOW_OPEN=1 to run open on purpose/);

    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kj-open-'));
    for (const env of [{ ALLOW_OPEN: '1' }, { API_KEYS: `delta:${A}` }]) {
      const app = await startApi(loadConfig({ ...env, HOST: '0.0.0.0', PORT: '0', DATA_DIR: dataDir, REDIS_URL: process.env.REDIS_URL, REDIS_PREFIX: `kjtest-${randomUUID().slice(0, 8)}` }));
      try {
        const { port } = app.server.address() as { port: number };
        assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200, JSON.stringify(env));
      } finally {
        await app.close();
      }
    }
  });
});
