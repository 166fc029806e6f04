/**
 * The model zoo (test/fixtures/zoo, made by make_zoo.py from real Keras 3): each case's data from
 * its recipe (the same 32-bit hash as the generator, so the float32 numbers are identical), and
 * one run through a real service: import the .keras, predict, fine-tune, export.
 */
import fs from 'node:fs';
import path from 'node:path';
import { post, waitForState } from './http.ts';
import type { Stack } from './stack.ts';

export const ZOO_DIR = path.join(import.meta.dirname, '../fixtures/zoo');

export interface Recipe {
  kind: 'float' | 'int';
  shape: number[];
  seed: number;
  low?: number;
  high: number;
  name?: string;
}

export interface ZooCase {
  name: string;
  file: string;
  params: number;
  classes: string[];
  inputs: Recipe[];
  targets: Recipe[];
  n: number;
  probe: number;
  predict: number[];
  compile: Record<string, unknown>;
  fit: { batch_size: number; epochs: number; shuffle: boolean };
  history: { loss: number[] };
}

export const zooNames = (): string[] =>
  fs
    .readdirSync(ZOO_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();

export const loadZooCase = (name: string): ZooCase => JSON.parse(fs.readFileSync(path.join(ZOO_DIR, `${name}.json`), 'utf8'));

/** make_zoo.py's hash_u32, in 32-bit integer arithmetic. */
function hashU32(i: number, seed: number): number {
  let h = (Math.imul(i, 0x9e3779b1) + Math.imul(seed, 0x85ebca77) + 1) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The recipe's first n samples as an encoded array (base64 of little-endian float32 or int32). */
export function zooArray(r: Recipe, n: number): { b64: string; shape: number[]; dtype: 'float32' | 'int32' } {
  const size = n * r.shape.reduce((a, b) => a * b, 1);
  const out = r.kind === 'int' ? new Int32Array(size) : new Float32Array(size);
  const low = r.low ?? 0;
  for (let i = 0; i < size; i++) {
    const h = hashU32(i, r.seed);
    out[i] = r.kind === 'int' ? h % r.high : low + (r.high - low) * ((h >>> 8) / 16777216);
  }
  return { b64: Buffer.from(out.buffer).toString('base64'), shape: [n, ...r.shape], dtype: r.kind === 'int' ? 'int32' : 'float32' };
}

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

/** The largest |got - want| / (atol + rtol |want|): at most 1 is within tolerance. */
export function worstError(got: number[], want: number[], rtol: number, atol: number): number {
  if (got.length !== want.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (atol + rtol * Math.abs(want[i]));
    worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
}

/**
 * max |got - want| / max |want|: the error relative to the outputs' scale, as logits are compared.
 * Per element, a float32 forward pass is only that good: Keras's own float32 logits of
 * EfficientNetV2B0 differ from its float64 ones by 3e-4 where the largest is 10.7.
 */
export function scaleError(got: number[], want: number[]): number {
  if (got.length !== want.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / Math.max(scale, 1e-6);
}

/** The largest relative difference max |got - want| / max(|want|, tiny), as the table prints it. */
export function relError(got: number[], want: number[]): number {
  if (got.length !== want.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), 1e-6);
    worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
}

export interface ZooRun {
  name: string;
  imported: boolean;
  importError?: string;
  predicted?: number[];
  history?: number[];
  /** Why the predict or the fine-tune job did not complete. */
  fitError?: string;
  /** How the fine-tune ran its steps. */
  execution?: 'graph' | 'eager';
  /** The fine-tune's training samples/s in its last epoch. */
  samplesPerS?: number;
  /** With `exported`: the fine-tuned model's predictions of the probe, and its .keras export. */
  tuned?: { predicted: number[]; keras: Uint8Array<ArrayBuffer> };
}

/** Submits a job and waits for its end: the completed job, or an Error saying why not. */
async function completed(stack: Stack, body: Record<string, unknown>): Promise<any> {
  const submitted = await post(stack, '/v1/jobs', body);
  if (submitted.status !== 202) throw new Error(`${body.type}: ${submitted.body.detail}`);
  const job = await waitForState(stack, submitted.body.id, ['completed', 'failed', 'cancelled'], 30 * 60_000);
  if (job.state !== 'completed') throw new Error(`${body.type}: ${job.error?.message ?? job.state}`);
  return job;
}

/** Feeds the named inputs (one input: the array itself, as Keras takes it). */
const inputsOf = (c: ZooCase, n: number) => (c.inputs.length === 1 ? zooArray(c.inputs[0], n) : Object.fromEntries(c.inputs.map((r) => [r.name!, zooArray(r, n)])));

/** Imports a .keras file: the model's id, or the refusal's message. */
export async function importKeras(stack: Stack, bytes: Uint8Array<ArrayBuffer>, file: string): Promise<{ id?: string; error?: string }> {
  const form = new FormData();
  form.append('file', new Blob([bytes]), file);
  const res = await fetch(`${stack.baseUrl}/v1/models/import`, { method: 'POST', body: form });
  const body = (await res.json()) as any;
  return res.status === 201 ? { id: body.id } : { error: body.detail ?? JSON.stringify(body) };
}

/** The model's predictions of the case's probe samples, flattened. */
export async function predictProbe(stack: Stack, c: ZooCase, modelId: string): Promise<number[]> {
  const p = await completed(stack, { type: 'predict', model_id: modelId, predict: { x: inputsOf(c, c.probe) } });
  return flat(p.result.predictions);
}

/** The probe samples as nested lists keyed by input name (what scripts/keras_load_check.py feeds Keras). */
export function probeInputs(c: ZooCase): Record<string, unknown> {
  const nest = (values: number[], shape: number[]): unknown =>
    shape.length <= 1 ? values : Array.from({ length: shape[0] }, (_, i) => nest(values.slice((i * values.length) / shape[0], ((i + 1) * values.length) / shape[0]), shape.slice(1)));
  return Object.fromEntries(
    c.inputs.map((r, i) => {
      const a = zooArray(r, c.probe);
      const raw = Buffer.from(a.b64, 'base64');
      const view = a.dtype === 'int32' ? new Int32Array(raw.buffer, raw.byteOffset, raw.length / 4) : new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
      return [r.name ?? `input_${i}`, nest(Array.from(view), a.shape)];
    }),
  );
}

/**
 * Import, predict, fine-tune; with `exported`, also the fine-tuned model's predictions and its
 * .keras export (for a round trip through Keras or a re-import).
 */
export async function runZooCase(stack: Stack, c: ZooCase, options: { exported?: boolean } = {}): Promise<ZooRun> {
  const run: ZooRun = { name: c.name, imported: false };
  const imported = await importKeras(stack, fs.readFileSync(path.join(ZOO_DIR, c.file)), c.file);
  if (!imported.id) {
    run.importError = imported.error;
    return run;
  }
  run.imported = true;
  try {
    run.predicted = await predictProbe(stack, c, imported.id);
    const fit = { ...c.fit, x: inputsOf(c, c.n), y: zooArray(c.targets[0], c.n) };
    const done = await completed(stack, { type: 'fit', initial_model: { model_id: imported.id }, compile: c.compile, fit });
    run.history = done.history.loss;
    run.execution = done.execution;
    run.samplesPerS = done.progress?.samples_per_s;
    if (options.exported) {
      const res = await fetch(`${stack.baseUrl}/v1/models/${done.model_id}/export?format=keras`);
      if (!res.ok) throw new Error(`export: ${res.status} ${await res.text()}`);
      run.tuned = { predicted: await predictProbe(stack, c, done.model_id), keras: new Uint8Array(await res.arrayBuffer()) };
    }
  } catch (err) {
    run.fitError = (err as Error).message;
  }
  return run;
}
