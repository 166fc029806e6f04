/**
 * The three ways a job carries an array (nested JSON, base64 bytes, seeded random) and how they bind
 * to a model's named inputs/outputs. Pure TypeScript: the API only describes arrays (shape, dtype);
 * the worker materializes them.
 */
import { SpecError, fail } from './problem.ts';
import { Value } from 'typebox/value';
import { DatasetArray as DatasetArraySchema, EncodedArray as EncodedArraySchema, RandomArray as RandomArraySchema } from './schema.ts';
import type { ArrayLike, Data, DatasetArray, EncodedArray, RandomArray } from './schema.ts';

export type DType = 'float32' | 'int32';

export interface ArrayInfo {
  shape: number[];
  dtype: DType;
}

export interface HostArray extends ArrayInfo {
  values: Float32Array | Int32Array;
}

const isEncoded = (a: unknown): a is EncodedArray => typeof a === 'object' && a !== null && 'b64' in a;
const isRandom = (a: unknown): a is RandomArray => typeof a === 'object' && a !== null && 'random' in a;
export const isDatasetArray = (a: unknown): a is DatasetArray => typeof a === 'object' && a !== null && 'dataset' in a && 'array' in a;
const isArrayLike = (a: unknown): a is ArrayLike => Array.isArray(a) || isEncoded(a) || isRandom(a) || isDatasetArray(a);

/** Shapes of uploaded dataset arrays, looked up before the (synchronous) checks run. */
export type DatasetShapes = Map<string, { arrays: Record<string, { shape: number[]; dtype: DType; columns?: string[] }> }>;

/** Every {dataset, array} reference in a job body. Iterative: a body may nest far deeper than the call stack. */
export function datasetRefs(root: unknown, out: DatasetArray[] = []): DatasetArray[] {
  const pending: unknown[] = [root];
  while (pending.length) {
    const node = pending.pop();
    if (Array.isArray(node)) {
      if (node.length && typeof node[0] !== 'number') for (let i = node.length - 1; i >= 0; i--) pending.push(node[i]);
    } else if (node && typeof node === 'object') {
      if (isDatasetArray(node)) {
        // Only well-formed references are looked up; a malformed one is refused where the array is described.
        if (typeof node.dataset === 'string' && typeof node.array === 'string') out.push(node);
      } else {
        const values = Object.values(node);
        for (let i = values.length - 1; i >= 0; i--) pending.push(values[i]);
      }
    }
  }
  return out;
}

/**
 * The rows [start, stop) that `rows` selects of n, as Python slices them (x[start:stop]): negative
 * indices count from the end, and both ends are clamped to the array. The one meaning of `rows`,
 * for the checks at submit and for the worker's read.
 */
export function rowRange(rows: readonly [number, number], n: number): [number, number] {
  const norm = (i: number) => (i < 0 ? Math.max(0, n + i) : Math.min(i, n));
  return [norm(rows[0]), norm(rows[1])];
}

function describeDatasetArray(a: DatasetArray, at: string, datasets?: DatasetShapes): ArrayInfo {
  const ds = datasets?.get(a.dataset);
  if (!ds) fail(`${at}/dataset`, `no dataset "${a.dataset}"`);
  // Own entries only: an array named "constructor" must not find Object.prototype's.
  const info = Object.hasOwn(ds.arrays, a.array) ? ds.arrays[a.array] : undefined;
  if (!info) fail(`${at}/array`, `dataset "${a.dataset}" has no array "${a.array}"; it has ${Object.keys(ds.arrays).join(', ')}`);
  const shape = [...info.shape];
  if (a.rows) {
    const n = shape[0];
    const [start, stop] = rowRange(a.rows, n);
    if (stop <= start) fail(`${at}/rows`, `selects no rows of ${n}`);
    shape[0] = stop - start;
  }
  if (a.columns) {
    if (shape.length !== 2) fail(`${at}/columns`, `columns select along the last axis of a 2-D array; "${a.array}" has shape ${JSON.stringify(info.shape)}`);
    a.columns.forEach((c, i) => {
      const ok = typeof c === 'string' ? info.columns?.includes(c) : c < shape[1] && c >= -shape[1];
      if (!ok) fail(`${at}/columns/${i}`, `no column ${JSON.stringify(c)}${info.columns ? `; columns are ${info.columns.join(', ')}` : ''}`);
    });
    shape[1] = a.columns.length;
  }
  return { shape, dtype: info.dtype };
}

/** Nested arrays deeper than this are refused before they are walked (a model input has at most 8 dimensions besides the batch). */
const MAX_NESTED_DEPTH = 32;

/** A short description of a JSON value for messages: never the whole (possibly huge or deeply nested) value. */
function preview(value: unknown): string {
  if (Array.isArray(value)) return `a list of ${value.length} items`;
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** Walks a nested JSON array once: checks it is rectangular, numeric and finite, returns its shape. */
function nestedShape(value: unknown[], at: string): ArrayInfo {
  const shape: number[] = [];
  let cursor: unknown = value;
  while (Array.isArray(cursor)) {
    if (shape.length === MAX_NESTED_DEPTH) fail(at, `nests lists more than ${MAX_NESTED_DEPTH} levels deep; an array has at most 9 dimensions (the batch and 8 more)`);
    shape.push(cursor.length);
    if (cursor.length === 0) break;
    cursor = cursor[0];
  }
  let allInts = true;
  const walk = (node: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number' || !Number.isFinite(node)) fail(path, `expected a finite number, got ${preview(node)}`);
      if (!Number.isInteger(node)) allInts = false;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      fail(path, `ragged array: expected a list of ${shape[depth]} items at depth ${depth} (shape ${JSON.stringify(shape)})`);
    }
    for (let i = 0; i < node.length; i++) walk(node[i], depth + 1, `${path}/${i}`);
  };
  walk(value, 0, at);
  return { shape, dtype: allInts ? 'int32' : 'float32' };
}

const BYTES: Record<DType, number> = { float32: 4, int32: 4 };

/** Base64 (standard or URL-safe alphabet), padding only at the end; whitespace is ignored, as Buffer.from ignores it. */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** The number of bytes a base64 string decodes to, or undefined when it is not base64 (Buffer.from would silently decode less). */
export function base64Bytes(b64: string): number | undefined {
  const s = b64.replace(/\s+/g, '');
  if (!BASE64.test(s)) return undefined;
  const body = s.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  if (s.length !== body.length && s.length % 4 !== 0) return undefined;
  return Math.floor((body.length * 3) / 4);
}

/**
 * The items of a list of arrays (x/y for several inputs/outputs) reach here unvalidated: the request
 * schema can only say "a list". Each object form is checked against its own schema first.
 */
function checkForm(a: unknown, at: string): void {
  const schema = isEncoded(a) ? EncodedArraySchema : isRandom(a) ? RandomArraySchema : isDatasetArray(a) ? DatasetArraySchema : undefined;
  if (!schema || Value.Check(schema, a)) return;
  const [first] = [...Value.Errors(schema, a)];
  fail(`${at}${first?.instancePath ?? ''}`, `is not a valid array: ${first?.message ?? 'does not match the schema'}`);
}

export function describeArray(a: ArrayLike, at: string, datasets?: DatasetShapes): ArrayInfo {
  if (Array.isArray(a)) return nestedShape(a, at);
  checkForm(a, at);
  if (isDatasetArray(a)) return describeDatasetArray(a, at, datasets);
  if (isEncoded(a)) {
    const count = a.shape.reduce((x, y) => x * y, 1);
    const bytes = base64Bytes(a.b64);
    if (bytes === undefined) fail(`${at}/b64`, 'is not valid base64 (A-Z a-z 0-9 + / or - _, "=" padding only at the end)');
    if (bytes !== count * BYTES[a.dtype]) {
      fail(`${at}/b64`, `holds ${bytes} bytes but shape ${JSON.stringify(a.shape)} of ${a.dtype} needs ${count * BYTES[a.dtype]}`);
    }
    return { shape: a.shape, dtype: a.dtype };
  }
  const r = a.random;
  if (r.kind === 'randint' && r.high === undefined) fail(`${at}/random/high`, 'randint needs "high" (exclusive upper bound), like np.random.randint(high)');
  const low = r.low ?? 0;
  const high = r.high ?? 1;
  if (!(high > low)) fail(`${at}/random/high`, `must be greater than low (${low})`);
  if (r.kind === 'randint' && (!Number.isInteger(low) || !Number.isInteger(high))) fail(`${at}/random`, 'randint bounds must be integers');
  return { shape: r.shape, dtype: r.kind === 'randint' ? 'int32' : 'float32' };
}

/** mulberry32: small, fast, and reproducible across machines; seeds random data the same way every run. */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The values of an inline or random array (dataset arrays are read by the worker, from disk). */
export function materialize(a: ArrayLike, at = ''): HostArray {
  if (isDatasetArray(a)) throw new Error(`${at}: dataset array ${a.dataset}/${a.array} is read from disk, not materialized`);
  const info = describeArray(a, at);
  const count = info.shape.reduce((x, y) => x * y, 1);
  if (Array.isArray(a)) {
    const values = info.dtype === 'int32' ? new Int32Array(count) : new Float32Array(count);
    const flat = (a as unknown[]).flat(Infinity) as number[];
    values.set(flat);
    return { ...info, values };
  }
  if (isEncoded(a)) {
    const buf = Buffer.from(a.b64, 'base64');
    const copy = new ArrayBuffer(buf.byteLength);
    new Uint8Array(copy).set(buf);
    const values = a.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    if (a.dtype === 'float32' && !values.every(Number.isFinite)) fail(at, 'contains NaN or Infinity');
    return { ...info, values };
  }
  const r = a.random;
  const next = mulberry32(r.seed ?? Math.floor(Math.random() * 2 ** 31));
  const low = r.low ?? 0;
  const high = r.high ?? 1;
  if (r.kind === 'randint') {
    const values = new Int32Array(count);
    for (let i = 0; i < count; i++) values[i] = low + Math.floor(next() * (high - low));
    return { ...info, values };
  }
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) values[i] = low + next() * (high - low);
  return { ...info, values };
}

/**
 * Binds x/y/sample_weight to model order, as Keras accepts them: one array for a single
 * input/output, a list in model order, or a dict keyed by name.
 */
export function bindData<T>(data: Data, names: string[], at: string, each: (a: ArrayLike, at: string, name: string) => T): T[] {
  if (isDataDict(data)) {
    const dict = data;
    const extra = Object.keys(dict).filter((k) => !names.includes(k));
    if (extra.length) fail(`${at}/${extra[0]}`, `no model input/output is named "${extra[0]}"; expected keys ${names.join(', ')}`);
    return names.map((n) => {
      // Own keys only: an input named "constructor" must not find Object.prototype's.
      if (!Object.hasOwn(dict, n)) fail(at, `missing key "${n}"; expected keys ${names.join(', ')}`);
      return each(dict[n], `${at}/${n}`, n);
    });
  }
  if (names.length === 1) return [each(data as ArrayLike, at, names[0])];
  if (!Array.isArray(data) || data.length !== names.length || !data.every(isArrayLike)) {
    fail(at, `the model has ${names.length} ${names.length > 1 ? 'inputs/outputs' : 'input/output'} (${names.join(', ')}): give a list of ${names.length} arrays in that order or a dict by name`);
  }
  return names.map((n, i) => each((data as ArrayLike[])[i], `${at}/${i}`, n));
}

/**
 * sample_weight as Keras takes it: as bindData, and also one array for a model with several
 * outputs, which then weighs every output's loss (bound as a list of one).
 */
export function bindSampleWeight<T>(data: Data, names: string[], at: string, each: (a: ArrayLike, at: string, name: string) => T): T[] {
  return names.length > 1 && isOneArray(data) ? [each(data as ArrayLike, at, names[0])] : bindData(data, names, at, each);
}

/** Whether data is one array rather than a list or dict of them (a list of numbers is one array). */
export function isOneArray(data: Data): boolean {
  return isEncoded(data) || isRandom(data) || isDatasetArray(data) || (Array.isArray(data) && data.length > 0 && data.every((v) => typeof v === 'number'));
}

/** Whether data is a dict of arrays by input/output name. */
export function isDataDict(data: Data): data is Record<string, ArrayLike> {
  return !Array.isArray(data) && !isEncoded(data) && !isRandom(data) && !isDatasetArray(data);
}

export { SpecError };
