/**
 * Runs fuzz cases against a real stack and checks the properties every answer must have:
 * never a 5xx; every 4xx is application/problem+json with a detail; a rejected request leaves
 * Redis, the queue, the checkpoint folder and the datasets folder exactly as they were; an
 * accepted job adds one queued job and nothing else, and everything it references exists.
 * Shared by test/fuzz.test.ts and scripts/fuzz.ts.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { writeNpy } from '../../src/datasets/npy.ts';
import { formatFilepath } from '../../src/engine/callbacks/model-checkpoint.ts';
import { checkpointNameOf } from '../../src/spec/callback-checks.ts';
import { checkGraph, normalizeModel } from '../../src/spec/graph.ts';
import { isSafeCheckpointName, ModelStore } from '../../src/store/model-store.ts';
import { seedMlpJob } from '../helpers/specs.ts';
import type { Stack } from '../helpers/stack.ts';
import { Deep, PROTO_NAMES, toJson, validFitJob, type FuzzCase, type FuzzContext, type UploadPartSpec } from './generators.ts';

// ---------------------------------------------------------------------------------------------
// What the stack holds

export interface Snapshot {
  keys: string[];
  counts: Record<string, number>;
  /** Paths under CHECKPOINT_DIR outside datasets/ (directories end in /). */
  files: string[];
  /** Paths under the datasets folder. */
  datasets: string[];
}

async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.push(`${r}/`);
        await walk(path.join(dir, e.name), r);
      } else out.push(r);
    }
  };
  await walk(root, '');
  return out.sort();
}

export async function snapshot(stack: Stack): Promise<Snapshot> {
  const [keys, counts, all] = await Promise.all([
    stack.redis.keys(`${stack.config.redisPrefix}:*`),
    stack.app.services.queue.getJobCounts(),
    listTree(stack.config.checkpointDir),
  ]);
  const ds = path.relative(stack.config.checkpointDir, stack.config.datasetDir);
  return {
    // The rate limiter's counters change with every request by design: not something a request "left behind".
    keys: keys.filter((k) => !k.startsWith(`${stack.config.redisPrefix}:ratelimit:`)).sort(),
    counts,
    files: all.filter((p) => p !== `${ds}/` && !p.startsWith(`${ds}/`)),
    datasets: all.filter((p) => p.startsWith(`${ds}/`)).map((p) => p.slice(ds.length + 1)).filter(Boolean),
  };
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------------------------------------
// Sending a case

export interface Answer {
  status: number;
  contentType: string;
  text: string;
  json?: any;
  /** Idempotency-Key replay: the answer of an earlier acceptance. */
  replayed: boolean;
}

const BOUNDARY = '----kjfuzz7MA4YWxkTrZu0gW';

function quoteFilename(name: string): string {
  return name.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function multipartBody(parts: UploadPartSpec[], framing: string, cut: number): { body: Buffer; contentType: string } {
  const nl = framing === 'lf-only' ? '\n' : '\r\n';
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.field}"${p.filename !== undefined ? `; filename="${quoteFilename(p.filename)}"` : ''}`;
    chunks.push(Buffer.from(`--${BOUNDARY}${nl}Content-Disposition: ${disposition}${nl}Content-Type: application/octet-stream${nl}${nl}`), Buffer.from(p.data), Buffer.from(nl));
  }
  if (framing !== 'no-final-boundary') chunks.push(Buffer.from(`--${BOUNDARY}--${nl}`));
  let body = Buffer.concat(chunks);
  if (framing === 'truncated') body = body.subarray(0, Math.floor(body.length * cut));
  const contentType = framing === 'no-boundary-param' ? 'multipart/form-data' : `multipart/form-data; boundary=${framing === 'wrong-boundary' ? 'other' : BOUNDARY}`;
  return { body, contentType };
}

export function describeCase(c: FuzzCase): string {
  const cut = (s: string) => (s.length > 3000 ? `${s.slice(0, 3000)}… (${s.length} chars)` : s);
  if (c.kind === 'job') return `POST /v1/jobs${c.idempotencyKey !== undefined ? ` (idempotency-key ${JSON.stringify(c.idempotencyKey.slice(0, 40))}${c.twice ? ', sent twice' : ''})` : ''} ${cut(toJson(c.body, true))}`;
  if (c.kind === 'shortcut') return `POST /v1/models/${c.modelId}/${c.op}?${new URLSearchParams(c.query)} ${cut(toJson(c.body, true))}`;
  if (c.kind === 'url') return `${c.method} ${c.path}`;
  if (c.kind === 'raw') return `POST ${c.path} content-type=${c.contentType} body=${cut(typeof c.body === 'string' ? JSON.stringify(c.body) : `<${c.body.length} bytes>`)}`;
  return `POST /v1/datasets framing=${c.framing} parts=${JSON.stringify(c.parts.map((p) => ({ field: p.field, filename: p.filename, bytes: p.data.length, members: p.members })))}`;
}

export async function send(stack: Stack, c: FuzzCase): Promise<Answer> {
  let url: string;
  let method = 'POST';
  let headers: Record<string, string> = {};
  let body: Buffer | undefined;
  if (c.kind === 'job') {
    url = '/v1/jobs';
    headers['content-type'] = 'application/json';
    if (c.idempotencyKey !== undefined) headers['idempotency-key'] = c.idempotencyKey;
    body = Buffer.from(toJson(c.body));
  } else if (c.kind === 'shortcut') {
    const q = new URLSearchParams(c.query).toString();
    url = `/v1/models/${encodeURIComponent(c.modelId)}/${c.op}${q ? `?${q}` : ''}`;
    headers['content-type'] = 'application/json';
    body = Buffer.from(toJson(c.body));
  } else if (c.kind === 'raw') {
    url = c.path;
    if (c.contentType !== null) headers['content-type'] = c.contentType;
    body = Buffer.from(c.body);
  } else if (c.kind === 'url') {
    url = c.path;
    method = c.method;
  } else {
    url = '/v1/datasets';
    const mp = multipartBody(c.parts, c.framing, c.cut);
    headers = { 'content-type': mp.contentType };
    body = mp.body;
  }
  const res = await fetch(`${stack.baseUrl}${url}`, { method, headers, body: body && new Uint8Array(body), signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json, replayed: res.headers.get('idempotent-replayed') === 'true' };
}

// ---------------------------------------------------------------------------------------------
// Tally

export class Tally {
  cases = 0;
  specs = 0;
  urls = 0;
  files = 0;
  accepted = 0;
  replayed = 0;
  uploaded = 0;
  readonly statuses = new Map<number, number>();
  readonly byCategory = new Map<string, Map<number, number>>();

  /** Bugs the fuzzer once found (all fixed since): they fail again if they come back (FUZZ_LENIENT=1 only counts them). */
  readonly knownIssues = new Map<string, { count: number; example: string }>();

  known(issue: string, example: string): void {
    if (process.env.FUZZ_LENIENT !== '1') assert.fail(`[regression] ${issue}: ${example}`);
    const k = this.knownIssues.get(issue) ?? { count: 0, example };
    k.count++;
    this.knownIssues.set(issue, k);
  }

  /** Why 4xx answers were given: category, status and the first error's pointer (or the code). */
  readonly reasons = new Map<string, number>();

  record(c: FuzzCase, status: number, json?: any): void {
    this.cases++;
    if (status >= 400) {
      const why = `${c.cat} ${status} ${json?.errors?.[0]?.pointer?.replace(/\/\d+/g, '/N') ?? json?.code ?? '?'}`;
      this.reasons.set(why, (this.reasons.get(why) ?? 0) + 1);
    }
    if (c.kind === 'upload') this.files += c.parts.filter((p) => p.filename !== undefined).length;
    else if (c.kind === 'url') this.urls++;
    else this.specs++;
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    const cat = this.byCategory.get(c.cat) ?? new Map<number, number>();
    cat.set(status, (cat.get(status) ?? 0) + 1);
    this.byCategory.set(c.cat, cat);
  }

  topReasons(n: number): string {
    return [...this.reasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([why, k]) => `    ${String(k).padStart(5)}  ${why}`).join('\n');
  }

  summary(title: string): string {
    const hist = (m: Map<number, number>) => [...m.entries()].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`).join(', ');
    const lines = [
      `${title}: ${this.cases} requests: ${this.specs} job specs/bodies, ${this.files} files in ${this.cases - this.specs - this.urls} uploads, ${this.urls} URLs; ${this.accepted} jobs accepted and left queued (${this.replayed} idempotent replays), ${this.uploaded} datasets stored`,
      `  status histogram: ${hist(this.statuses)}`,
      ...[...this.byCategory.entries()].sort().map(([cat, m]) => `    ${cat.padEnd(18)} ${hist(m)}`),
      ...[...this.knownIssues.entries()].map(([issue, k]) => `  KNOWN ISSUE (${k.count}x, not fixed here): ${issue}\n    e.g. ${k.example.slice(0, 1500)}`),
    ];
    return lines.join('\n');
  }
}

// ---------------------------------------------------------------------------------------------
// Oracles for accepted jobs: everything the job references exists and everything it carries decodes.

function walk(node: unknown, visit: (obj: Record<string, any>) => void): void {
  const stack: unknown[] = [node];
  while (stack.length) {
    const n = stack.pop();
    if (n instanceof Deep || n === null || typeof n !== 'object') continue;
    if (!Array.isArray(n)) visit(n as Record<string, any>);
    for (const v of Object.values(n)) if (v !== null && typeof v === 'object') stack.push(v);
  }
}

/** Config keys whose values are catalog names. */
const NAMED_OPTION = /^(activation|recurrent_activation|\w+_initializer|\w+_regularizer)$/;

/** Every name in a job body that the API looks up in a catalog: layers and their named options, optimizer, losses, metrics, callbacks. */
function catalogNames(body: any): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const nameOf = (v: unknown) => (typeof v === 'string' ? v : typeof (v as any)?.class_name === 'string' ? (v as any).class_name : undefined);
  const add = (at: string, v: unknown) => {
    const name = nameOf(v);
    if (name !== undefined) out.push([at, name]);
  };
  const layers = [...(Array.isArray(body?.model?.layers) ? body.model.layers : []), ...(Array.isArray(body?.model?.sequential) ? body.model.sequential.slice(1) : [])];
  layers.forEach((l: any, i: number) => {
    add(`layer ${i} class_name`, l?.class_name);
    for (const [k, v] of Object.entries(l?.config ?? {})) if (NAMED_OPTION.test(k)) add(`layer ${i} ${k}`, v);
  });
  const c = body?.compile;
  if (c) {
    add('optimizer', c.optimizer);
    const each = (what: string, v: unknown) => {
      if (Array.isArray(v)) v.forEach((x) => each(what, x));
      else if (v && typeof v === 'object' && !('class_name' in v)) Object.values(v).forEach((x) => each(what, x));
      else add(what, v);
    };
    each('loss', c.loss);
    each('metrics', c.metrics);
  }
  (Array.isArray(body?.fit?.callbacks) ? body.fit.callbacks : []).forEach((cb: any, i: number) => add(`callback ${i}`, cb));
  return out;
}

const LOGS = { loss: 0.125, val_loss: 0.25, accuracy: 0.5, val_accuracy: 0.5, mae: 0.1, learning_rate: 0.001 };

function checkAccepted(body: any, modelRef: { id?: string; checkpoint?: string } | undefined, ctx: FuzzContext, where: string, tally: Tally): void {
  const refs = [modelRef, body?.initial_model ? { id: body.initial_model.model_id, checkpoint: body.initial_model.checkpoint } : undefined];
  if (body?.type === 'evaluate' || body?.type === 'predict') refs.push({ id: body.model_id, checkpoint: body.checkpoint });
  for (const ref of refs) {
    if (!ref) continue;
    const model = ctx.models.find((m) => m.id === ref.id);
    assert.ok(model, `${where}: accepted a job on model "${ref.id}", which does not exist`);
    if (ref.checkpoint !== undefined && !model.checkpoints.includes(ref.checkpoint)) {
      const message = `${where}: accepted a job on checkpoint "${ref.checkpoint}" of model ${ref.id}, which does not exist`;
      // check-job.ts looks checkpoints up in a plain object, so Object.prototype's names pass (not ours to fix).
      if (ref.checkpoint in {}) tally.known('checkpoint named like an Object.prototype property is accepted (src/spec/check-job.ts storedModel/checkLoaded)', message);
      else assert.fail(message);
    }
  }
  // Names the API resolves in its catalogs: none may be a property every JS object has.
  for (const [where2, name] of catalogNames(body)) {
    if (PROTO_NAMES.includes(name)) assert.fail(`${where}: accepted ${JSON.stringify(name)} at ${where2}, a name that is in no catalog`);
  }
  walk(body, (obj) => {
    if (typeof obj.dataset === 'string' && typeof obj.array === 'string') {
      const ds = ctx.datasets.find((d) => d.id === obj.dataset);
      assert.ok(ds, `${where}: accepted a reference to dataset "${obj.dataset}", which does not exist`);
      assert.ok(Object.hasOwn(ds.arrays, obj.array), `${where}: accepted a reference to array "${obj.array}" of dataset ${obj.dataset}, which does not exist`);
      for (const col of obj.columns ?? []) {
        if (typeof col === 'string') assert.ok(ds.arrays[obj.array].columns?.includes(col), `${where}: accepted column "${col}", which ${obj.dataset}/${obj.array} does not have`);
      }
    }
    if (typeof obj.b64 === 'string' && Array.isArray(obj.shape)) {
      const need = obj.shape.reduce((a: number, b: number) => a * b, 1) * 4;
      const got = Buffer.from(obj.b64, 'base64').length;
      assert.equal(got, need, `${where}: accepted b64 ${JSON.stringify(obj.b64.slice(0, 40))} for shape ${JSON.stringify(obj.shape)}; it decodes to ${got} bytes, the shape needs ${need}`);
    }
    if (obj.class_name === 'ModelCheckpoint' && typeof obj.config?.filepath === 'string') {
      let name: string | undefined;
      try {
        name = checkpointNameOf(formatFilepath(obj.config.filepath, 0, LOGS));
      } catch {
        name = undefined; // a key the logs do not have: the job fails cleanly at its first epoch
      }
      if (name !== undefined) assert.ok(isSafeCheckpointName(name), `${where}: accepted ModelCheckpoint filepath ${JSON.stringify(obj.config.filepath)}, which the worker formats to the unusable checkpoint name ${JSON.stringify(name)}`);
    }
  });
}

function expectedArrays(parts: UploadPartSpec[]): string[] {
  const names: string[] = [];
  for (const p of parts) {
    const file = (p.filename ?? '').split(/[\\/]/).pop() ?? '';
    const ext = path.extname(file).toLowerCase();
    if (ext === '.npz') names.push(...(p.members ?? []));
    else names.push(file.slice(0, file.length - ext.length));
  }
  return names.sort();
}

// ---------------------------------------------------------------------------------------------
// One case

export async function runCase(stack: Stack, ctx: FuzzContext, c: FuzzCase, tally: Tally): Promise<void> {
  const first = await checkOne(stack, ctx, c, tally, await snapshot(stack));
  if (c.kind !== 'job' || !c.twice || first.status >= 500) return; // a 500 got here only as a known issue
  // The same request again with the same Idempotency-Key: the same answer, and nothing new stored.
  const before = await snapshot(stack);
  const res = await send(stack, c);
  tally.record(c, res.status, res.json);
  const what = `${res.status} (first: ${first.status}) for the second ${describeCase(c)}\n  answer: ${res.text.slice(0, 800)}`;
  assert.ok(res.status < 500, `server error: ${what}`);
  assert.equal(res.status, first.status, `the same request with the same Idempotency-Key was answered differently: ${what}`);
  if (first.status === 202) {
    tally.replayed++;
    assert.equal(res.json?.id, first.json?.id, `a replay named another job: ${what}`);
    assert.ok(res.replayed, `a replay is not marked idempotent-replayed: ${what}`);
  } else checkProblem(res, what, tally);
  assert.deepEqual(await snapshot(stack), before, `a repeated request changed what is stored: ${what}`);
}

/** The deepest Deep marker in a body (0 if none). */
function maxDeep(body: unknown): number {
  let max = 0;
  const pending: unknown[] = [body];
  while (pending.length) {
    const n = pending.pop();
    if (n instanceof Deep) max = Math.max(max, n.depth);
    else if (n !== null && typeof n === 'object') pending.push(...Object.values(n));
  }
  return max;
}

/** Router errors Fastify answers itself (frameworkErrors), outside the app's problem+json handler. */
const FRAMEWORK_ERRORS = new Set(['FST_ERR_BAD_URL', 'FST_ERR_MAX_PARAM_LENGTH', 'FST_ERR_ASYNC_CONSTRAINT']);

function checkProblem(res: Answer, what: string, tally: Tally): void {
  if (!/^application\/problem\+json/.test(res.contentType) && FRAMEWORK_ERRORS.has(res.json?.code)) {
    tally.known('Fastify router errors (FST_ERR_BAD_URL 400, FST_ERR_MAX_PARAM_LENGTH 414) bypass the problem+json handler: src/app.ts sets no frameworkErrors', what);
    return;
  }
  assert.match(res.contentType, /^application\/problem\+json/, `4xx without problem+json: ${what}`);
  assert.equal(typeof res.json?.detail, 'string', `4xx problem without detail: ${what}`);
  assert.ok(res.json.detail.length > 0, `4xx problem with an empty detail: ${what}`);
}

async function checkOne(stack: Stack, ctx: FuzzContext, c: FuzzCase, tally: Tally, before: Snapshot): Promise<Answer> {
  const res = await send(stack, c);
  tally.record(c, res.status, res.json);
  const what = `${res.status} for ${describeCase(c)}\n  answer: ${res.text.slice(0, 800)}`;
  if (res.status === 500 && c.kind === 'job' && c.idempotencyKey !== undefined && maxDeep(c.body) >= 1000) {
    // claimKey() hashes JSON.stringify(body) before any check: deep nesting overflows the stack (not ours to fix).
    tally.known('a body nested ~5000+ levels deep with an Idempotency-Key is a 500 (src/jobs/submit.ts claimKey: JSON.stringify before checkJob)', what);
    assert.deepEqual(await snapshot(stack), before, `a failed request left something behind: ${what}`);
    return res;
  }
  assert.ok(res.status < 500, `server error: ${what}`);
  if (res.status >= 400) {
    checkProblem(res, what, tally);
    assert.deepEqual(await snapshot(stack), before, `a rejected request left something behind: ${what}`);
    return res;
  }
  if (c.kind === 'url') {
    assert.ok(c.method === 'GET' && res.status === 200, `unexpected status: ${what}`);
    assert.deepEqual(await snapshot(stack), before, `a GET changed what is stored: ${what}`);
    return res;
  }
  if (res.status === 202 && res.replayed) {
    tally.replayed++;
    assert.ok(c.kind === 'job' && c.idempotencyKey !== undefined, `a replay without an Idempotency-Key: ${what}`);
    assert.deepEqual(await snapshot(stack), before, `an Idempotency-Key replay stored something: ${what}`);
    return res;
  }
  if (res.status === 202) {
    tally.accepted++;
    assert.ok(c.kind !== 'upload', `202 for an upload: ${what}`);
    const after = await snapshot(stack);
    assert.equal(total(after.counts), total(before.counts) + 1, `an accepted job did not add exactly one queued job: ${what}`);
    assert.ok(after.counts.waiting + after.counts.prioritized >= before.counts.waiting + before.counts.prioritized + 1, `an accepted job is not waiting: ${what}`);
    assert.ok(after.keys.some((k) => !before.keys.includes(k)), `an accepted job wrote no Redis keys: ${what}`);
    assert.deepEqual(before.keys.filter((k) => !after.keys.includes(k)), [], `an accepted job removed Redis keys: ${what}`);
    assert.deepEqual(after.files, before.files, `an accepted job wrote files at submit time: ${what}`);
    const id = res.json?.id;
    assert.equal(typeof id, 'string', `202 without an id: ${what}`);
    // The one thing an accepted job may add there: its staged inline arrays (jobs/payloads.ts).
    assert.deepEqual(after.datasets.filter((p) => !p.startsWith(`payload-${id}/`)), before.datasets, `an accepted job changed the datasets folder: ${what}`);
    const job = await fetch(`${stack.baseUrl}/v1/jobs/${id}`);
    assert.equal(job.status, 200, `accepted job ${id} cannot be read back: ${what}`);
    assert.equal(((await job.json()) as any).state, 'queued', `accepted job ${id} is not queued: ${what}`);
    const body = c.kind === 'raw' ? JSON.parse(typeof c.body === 'string' ? c.body : Buffer.from(c.body).toString('utf8')) : c.body;
    checkAccepted(body, c.kind === 'shortcut' ? { id: c.modelId, checkpoint: c.query.checkpoint } : undefined, ctx, what, tally);
    return res;
  }
  if (res.status === 201) {
    tally.uploaded++;
    assert.ok(c.kind === 'upload', `201 for something that is not an upload: ${what}`);
    const after = await snapshot(stack);
    assert.deepEqual(after.keys, before.keys, `an upload changed Redis: ${what}`);
    assert.deepEqual(after.counts, before.counts, `an upload changed the queue: ${what}`);
    assert.deepEqual(after.files, before.files, `an upload wrote outside the datasets folder: ${what}`);
    const id = res.json?.id;
    const top = (list: string[]) => [...new Set(list.map((p) => p.split('/')[0]))].sort();
    assert.deepEqual(top(after.datasets), [...top(before.datasets), id].sort(), `an upload did not add exactly its own dataset folder: ${what}`);
    assert.deepEqual(after.datasets.filter((p) => !p.startsWith(`${id}/`)), before.datasets, `an upload touched other datasets: ${what}`);
    assert.deepEqual(Object.keys(res.json.arrays ?? {}).sort(), expectedArrays(c.parts), `the stored arrays are not the uploaded files: ${what}`);
    const again = await fetch(`${stack.baseUrl}/v1/datasets/${id}`);
    assert.equal(again.status, 200, `stored dataset ${id} cannot be read back: ${what}`);
    assert.deepEqual(Object.keys(((await again.json()) as any).arrays).sort(), expectedArrays(c.parts), `dataset ${id} reads back different arrays: ${what}`);
    return res;
  }
  assert.fail(`unexpected status: ${what}`);
}

/** The stack's environment for fuzzing: a rate limit the fuzzer cannot reach. */
export const FUZZ_ENV = { RATE_LIMIT_PER_MINUTE: '1000000000' };

// ---------------------------------------------------------------------------------------------
// Fixtures: two datasets uploaded over HTTP, one trained model planted on disk.

export async function setupContext(stack: Stack): Promise<FuzzContext> {
  const upload = async (parts: UploadPartSpec[]) => {
    const { body, contentType } = multipartBody(parts, 'ok', 1);
    const res = await fetch(`${stack.baseUrl}/v1/datasets`, { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) });
    const json = (await res.json()) as any;
    assert.equal(res.status, 201, JSON.stringify(json));
    return { id: json.id as string, arrays: json.arrays };
  };
  const x = Float32Array.from({ length: 64 * 32 }, (_, i) => ((i * 7919) % 1000) / 1000);
  const y = Int32Array.from({ length: 64 }, (_, i) => (i * 31) % 10);
  const csv = `a,b,c,label\n${Array.from({ length: 8 }, (_, i) => `${i},${i / 2},${-i},${i % 2}`).join('\n')}\n`;
  const ds1 = await upload([
    { field: 'file', filename: 'x.npy', data: writeNpy({ shape: [64, 32], dtype: 'float32', values: x }) },
    { field: 'file', filename: 'y.npy', data: writeNpy({ shape: [64], dtype: 'int32', values: y }) },
    { field: 'file', filename: 'table.csv', data: Buffer.from(csv) },
  ]);
  const ds2 = await upload([{ field: 'file', filename: 'x.json', data: Buffer.from(JSON.stringify([[1, 2], [3, 4], [5, 6]])) }]);

  const models = new ModelStore(stack.config.checkpointDir);
  const id = `fuzz-${randomUUID().slice(0, 8)}`;
  const spec = seedMlpJob();
  const now = new Date().toISOString();
  const summary = checkGraph(normalizeModel(spec.model)).summary;
  // As a worker writes it (workers/run-job.ts); tenant: the open service's single tenant.
  await models.writeInfo(id, {
    id, tenant: 'public', job_id: randomUUID(), created_at: now, trained_at: now, status: 'trained', backend: 'tensorflow',
    spec: { model: spec.model, compile: spec.compile }, summary, epochs_run: 2, final_metrics: { loss: 2.2 }, history: { loss: [2.3, 2.2] },
  });
  const cp = path.join(models.dir(id), 'checkpoints');
  for (const [name, state] of [['epoch_1', { epoch: 0, history: { loss: [2.3] } }], ['w_only', { epoch: 1, weights_only: true }]] as const) {
    await fs.mkdir(path.join(cp, name), { recursive: true });
    await fs.writeFile(path.join(cp, name, 'state.json'), JSON.stringify(state));
  }
  return { datasets: [ds1, ds2], models: [{ id, checkpoints: ['epoch_1', 'w_only'] }] };
}

// ---------------------------------------------------------------------------------------------
// With a worker: valid small fit jobs end (completed or failed with a message), the worker survives.

export interface WorkerFuzzResult {
  outcomes: Map<string, number>;
  /** Failed jobs: the error message and the spec, for the report. */
  failures: string[];
  details: fc.RunDetails<[Record<string, unknown>]>;
}

export async function runWorkerFuzz(stack: Stack, seed: number, runs: number, path?: string): Promise<WorkerFuzzResult> {
  const outcomes = new Map<string, number>();
  const failures: string[] = [];
  const ctx: FuzzContext = { datasets: [], models: [] };
  const details = await fc.check(
    fc.asyncProperty(validFitJob(ctx), async (job) => {
      const res = await fetch(`${stack.baseUrl}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(job) });
      const body = (await res.json()) as any;
      assert.equal(res.status, 202, `a valid spec was rejected: ${JSON.stringify(body)}\nspec: ${JSON.stringify(job)}`);
      const end = await waitForEnd(stack, body.id, 60_000);
      outcomes.set(end.state, (outcomes.get(end.state) ?? 0) + 1);
      assert.ok(end.state === 'completed' || end.state === 'failed', `job ${body.id} ended ${end.state}: ${JSON.stringify(end)}`);
      if (end.state === 'failed') {
        assert.equal(typeof end.error?.message, 'string', `a failed job without error.message: ${JSON.stringify(end)}`);
        assert.ok(end.error.message.length > 0, `a failed job with an empty error.message: ${JSON.stringify(end)}`);
        failures.push(`${end.error.message.slice(0, 300)}\n      spec: ${JSON.stringify(job).slice(0, 2000)}`);
      }
    }),
    { seed, numRuns: runs, path, endOnFailure: true },
  );
  return { outcomes, failures, details };
}

/** Polls a job until it is terminal; throws after the deadline (a stuck job is a failure). */
async function waitForEnd(stack: Stack, id: string, timeoutMs: number): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${stack.baseUrl}/v1/jobs/${id}`);
    const body = (await res.json()) as any;
    if (['completed', 'failed', 'cancelled'].includes(body.state)) return body;
    if (Date.now() > deadline) throw new Error(`job ${id} is still ${body.state} after ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** After the worker fuzz: /health lists a live worker and a trivial job still completes. */
export async function checkWorkerAlive(stack: Stack): Promise<void> {
  const health = (await (await fetch(`${stack.baseUrl}/health`)).json()) as any;
  assert.ok(health.workers?.length >= 1, `no live worker after the fuzz jobs: ${JSON.stringify(health)}`);
  const res = await fetch(`${stack.baseUrl}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(seedMlpJob({ epochs: 1, samples: 32 })) });
  const body = (await res.json()) as any;
  assert.equal(res.status, 202, JSON.stringify(body));
  const end = await waitForEnd(stack, body.id, 60_000);
  assert.equal(end.state, 'completed', `the worker cannot run a trivial job after the fuzz jobs: ${JSON.stringify(end.error)}`);
}
