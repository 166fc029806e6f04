/**
 * fast-check arbitraries for the fuzz test (test/fuzz.test.ts, scripts/fuzz.ts): job bodies built
 * from the tutorial models and from random small graphs, mutations of them, raw bodies, and dataset
 * uploads. Generators produce plain data (recipes), so every case prints, shrinks and replays from
 * its seed; the few runtime values (dataset and model ids) come in through FuzzContext.
 */
import { zip } from '../helpers/zip.ts';
import fc from 'fast-check';
import { npyHeader, writeNpy } from '../../src/datasets/npy.ts';
import { multiIoJob, seedMlpJob } from '../helpers/specs.ts';

// ---------------------------------------------------------------------------------------------
// Context and case types

export interface DatasetFixture {
  id: string;
  arrays: Record<string, { shape: number[]; dtype: 'float32' | 'int32'; columns?: string[] }>;
}

/** A trained model planted on disk: the tutorial MLP (input "digits" (32,), output "predictions", 10 classes). */
export interface ModelFixture {
  id: string;
  checkpoints: string[];
}

export interface FuzzContext {
  datasets: DatasetFixture[];
  models: ModelFixture[];
}

export interface UploadPartSpec {
  field: string;
  /** undefined: a plain form field (no filename). */
  filename?: string;
  data: Uint8Array;
  /** For .npz parts: the member array names written into the zip. */
  members?: string[];
}

export type Framing = 'ok' | 'truncated' | 'no-final-boundary' | 'wrong-boundary' | 'no-boundary-param' | 'lf-only';

export type FuzzCase =
  | { kind: 'job'; cat: string; body: unknown; idempotencyKey?: string; twice?: boolean }
  | { kind: 'url'; cat: string; method: 'GET' | 'DELETE'; path: string }
  | { kind: 'shortcut'; cat: string; modelId: string; op: 'predict' | 'evaluate'; query: Record<string, string>; body: unknown }
  | { kind: 'raw'; cat: string; method: 'POST'; path: string; contentType: string | null; body: string | Uint8Array }
  | { kind: 'upload'; cat: string; parts: UploadPartSpec[]; framing: Framing; cut: number };

// ---------------------------------------------------------------------------------------------
// Deep nesting, serialized without recursion (neither JSON.stringify nor fast-check's printer can
// hold 100 000 levels).

export class Deep {
  constructor(
    readonly depth: number,
    readonly kind: 'array' | 'object',
    readonly leaf: unknown,
  ) {}
  toString(): string {
    return `Deep(${this.depth}, ${this.kind}, ${JSON.stringify(this.leaf)})`;
  }
}

/** JSON text of a body that may hold Deep markers. */
export function toJson(value: unknown, compact = false): string {
  const deep: Deep[] = [];
  const text = JSON.stringify(value, (_k, v) => (v instanceof Deep ? (compact ? `<${v}>` : `\u0001DEEP${deep.push(v) - 1}\u0001`) : v)) ?? '';
  if (compact) return text;
  return text.replace(/"\\u0001DEEP(\d+)\\u0001"/g, (_m, i: string) => {
    const d = deep[Number(i)];
    const leaf = toJson(d.leaf) || 'null';
    return d.kind === 'array' ? '['.repeat(d.depth) + leaf + ']'.repeat(d.depth) : '{"a":'.repeat(d.depth) + leaf + '}'.repeat(d.depth);
  });
}

/** Structured clone that keeps Deep markers. */
export function clone<T>(value: T): T {
  if (value instanceof Deep || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(clone) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = clone(v);
  return out as T;
}

// ---------------------------------------------------------------------------------------------
// Pools

/** Names that are also properties of every JS object: lookups in plain objects find them. */
export const PROTO_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];

const LONG = 'x'.repeat(201);
const WEIRD_STRINGS = ['', ' ', '\u0000', 'a\u0000b', '\ud800', '😀', 'ünïcødé', '\u202etxt.exe', 'NaN', 'Infinity', '-Infinity', '1e999', '0x10', 'null', 'true', '../x', '/etc/passwd', 'a'.repeat(10_000), ...PROTO_NAMES];

/** A value of any JSON type, biased towards edges. */
export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -0, -1, 1.5, 0.1, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, 2 ** 31, -(2 ** 31) - 1, 1e-320, 1e21, [], {}, [null], [[]], { class_name: 'constructor' }, { class_name: '' }, [1, [2]]) },
  { weight: 4, arbitrary: fc.constantFrom(...WEIRD_STRINGS) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.record({ depth: fc.constantFrom(10, 1000, 20_000, 100_000), kind: fc.constantFrom('array' as const, 'object' as const) }).map(({ depth, kind }) => new Deep(depth, kind, 1)) },
);

/** Values for *_initializer / *_regularizer options: good ones and names every JS object has. */
const NAMED_OPTIONS: unknown[] = ['glorot_uniform', 'zeros', 'l2', { class_name: 'L1L2', config: {} }, 'constructor', 'toString', { class_name: 'hasOwnProperty' }, 'valueOf', null, 3];

const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'linear', 'softmax', 'gelu', 'swish'];
const activation = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...ACTIVATIONS) }, { weight: 1, arbitrary: fc.constantFrom<unknown>('relu7', 'constructor', 'toString', '', null, 3, { class_name: 'ReLU' }) });

// ---------------------------------------------------------------------------------------------
// Deterministic fillers: array contents come from a seed, not from fast-check, to stay small.

function fill(count: number, seed: number, ints: boolean, high = 10): number[] {
  const out = new Array<number>(count);
  let s = (seed >>> 0) + 1;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = ints ? (s >>> 16) % high : Math.round((((s >>> 8) % 20000) / 10000 - 1) * 1000) / 1000;
  }
  return out;
}

function nest(flat: number[], shape: number[]): unknown {
  if (shape.length === 0) return flat[0];
  const [d, ...rest] = shape;
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: d }, (_, i) => nest(flat.slice(i * size, (i + 1) * size), rest));
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------------------------------------
// Arrays: how x / y / sample_weight are written

export interface ArrayTarget {
  shape: number[];
  /** 'int' with high: labels or token ids. */
  ints: boolean;
  high: number;
}

interface ArrayRecipe {
  form: 'random' | 'random-bad' | 'nested' | 'nested-bad' | 'b64' | 'dataset';
  seed: number;
  variant: number;
  delta: number;
}

const arrayRecipe = (strict: boolean): fc.Arbitrary<ArrayRecipe> =>
  fc.record({
    form: strict
      ? fc.constantFrom<ArrayRecipe['form']>('random', 'random', 'random', 'nested', 'b64')
      : fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom<ArrayRecipe['form']>('random', 'random', 'random', 'nested', 'b64') },
          { weight: 2, arbitrary: fc.constantFrom<ArrayRecipe['form']>('random-bad', 'nested-bad', 'b64', 'dataset') },
        ),
    seed: fc.nat({ max: 1000 }),
    // strict: only the b64 spellings that are right (plain, unpadded, URL-safe).
    variant: strict ? fc.constantFrom(0, 3, 7) : fc.oneof({ weight: 2, arbitrary: fc.constantFrom(0, 3, 7) }, { weight: 1, arbitrary: fc.nat({ max: 50 }) }),
    delta: fc.integer({ min: -5, max: 5 }),
  });

/** An array of the target's shape in one of the accepted forms; the *-bad forms and b64 deltas are wrong on purpose. */
function buildArray(r: ArrayRecipe, t: ArrayTarget, ctx: FuzzContext): unknown {
  const count = prod(t.shape);
  const small = count <= 512;
  switch (r.form) {
    case 'random':
      return t.ints ? { random: { kind: 'randint', shape: t.shape, high: t.high, seed: r.seed } } : { random: { kind: 'uniform', shape: t.shape, seed: r.seed } };
    case 'random-bad': {
      const v = r.variant % 7;
      if (v === 0) return { random: { kind: 'randint', shape: t.shape, seed: r.seed } }; // no high
      if (v === 1) return { random: { kind: 'uniform', shape: t.shape, low: 1, high: 1 } };
      if (v === 2) return { random: { kind: 'randint', shape: t.shape, low: 0.5, high: 3.5 } };
      if (v === 3) return { random: { kind: 'uniform', shape: [...t.shape.slice(0, -1), (t.shape.at(-1) ?? 1) + 1] } };
      if (v === 4) return { random: { kind: 'uniform', shape: [t.shape[0] + r.delta || 1, ...t.shape.slice(1)] } };
      if (v === 5) return { random: { kind: 'gaussian', shape: t.shape } };
      return { random: { kind: 'uniform', shape: [], seed: -1 } };
    }
    case 'nested':
      if (!small) return buildArray({ ...r, form: 'random' }, t, ctx);
      return nest(fill(count, r.seed, t.ints, t.high), t.shape);
    case 'nested-bad': {
      const shape = small ? t.shape : [2, 3];
      const arr = nest(fill(prod(shape), r.seed, t.ints, t.high), shape) as unknown[];
      const v = r.variant % 6;
      if (v === 0 && Array.isArray(arr[0])) (arr[0] as unknown[]).pop(); // ragged
      else if (v === 1) (arr as unknown[]).push('NaN');
      else if (v === 2) arr[0] = null;
      else if (v === 3) return [];
      else if (v === 4) return [[[[[[[[[[[1]]]]]]]]]]];
      else arr[arr.length - 1] = Array.isArray(arr[0]) ? { 0: 1 } : 1e39;
      return arr;
    }
    case 'b64': {
      if (count > 4096) return buildArray({ ...r, form: 'random' }, t, ctx);
      const dtype = t.ints ? 'int32' : 'float32';
      const values = fill(count, r.seed, t.ints, t.high);
      const bytes = Buffer.from((t.ints ? Int32Array.from(values) : Float32Array.from(values)).buffer);
      const shape = t.shape;
      let b64 = bytes.toString('base64');
      const v = r.variant % 10;
      if (v === 1) b64 = Buffer.concat([bytes, Buffer.alloc(Math.abs(r.delta) || 1)]).toString('base64');
      else if (v === 2) b64 = bytes.subarray(0, Math.max(0, bytes.length - (Math.abs(r.delta) || 1))).toString('base64');
      else if (v === 3) b64 = b64.replace(/=+$/, '');
      else if (v === 4 && b64.length > 4) b64 = `${b64.slice(0, 2)}!${b64.slice(3)}`; // an invalid character, same length
      else if (v === 5 && b64.length > 4) b64 = `${b64.slice(0, 2)}=${b64.slice(3)}`; // padding in the middle
      else if (v === 6) b64 = b64.replace(/(.{4})/g, '$1\n');
      else if (v === 7) b64 = b64.replace(/\+/g, '-').replace(/\//g, '_');
      else if (v === 8) b64 = `${b64}====`;
      return { dtype: v === 9 ? 'float64' : dtype, shape, b64 };
    }
    case 'dataset': {
      const v = r.variant % 9;
      const ds = ctx.datasets[r.seed % Math.max(1, ctx.datasets.length)];
      if (!ds || v === 0) return { dataset: 'no-such-dataset', array: 'x' };
      const names = Object.keys(ds.arrays);
      const array = names[r.seed % names.length];
      if (v === 1) return { dataset: ds.id, array: 'missing' };
      if (v === 2) return { dataset: ds.id, array: PROTO_NAMES[r.seed % PROTO_NAMES.length] };
      if (v === 3) return { dataset: ds.id, array, rows: [r.delta, r.delta * 7] };
      if (v === 4) return { dataset: ds.id, array, rows: [0, 2 ** 53] };
      if (v === 5) return { dataset: ds.id, array, columns: [0, r.delta] };
      if (v === 6) return { dataset: ds.id, array, columns: ['a', PROTO_NAMES[r.seed % PROTO_NAMES.length]] };
      if (v === 7) return { dataset: `../${ds.id}`, array };
      return { dataset: ds.id, array };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Random small graphs

type Family = 'vector' | 'seq' | 'image' | 'tokens';
type Task = 'sparse' | 'categorical' | 'regression' | 'binary';

interface OpRecipe {
  kind: string;
  a: number;
  b: number;
  c: number;
  flag: boolean;
  act: unknown;
}

export interface GraphRecipe {
  family: Family;
  dims: number[];
  ops: OpRecipe[];
  branch: 'none' | 'concat' | 'add' | 'concat-mismatch';
  heads: Array<{ units: number; task: Task }>;
  sequential: boolean;
  flatten: boolean;
  strict: boolean;
  /** Index into PROTO_NAMES for one layer name, or -1. */
  hostileName: number;
  hostileAt: number;
}

const OPS_BY_FAMILY: Record<Family, string[]> = {
  vector: ['Dense', 'Dense', 'Dropout', 'BatchNormalization', 'Activation', 'LayerNormalization'],
  seq: ['Conv1D', 'MaxPooling1D', 'AveragePooling1D', 'LSTM', 'GRU', 'Dense', 'Dropout', 'BatchNormalization', 'GlobalMaxPooling1D', 'Flatten'],
  image: ['Conv2D', 'MaxPooling2D', 'AveragePooling2D', 'Dense', 'Dropout', 'BatchNormalization', 'GlobalAveragePooling2D', 'Flatten'],
  tokens: ['LSTM', 'GRU', 'Conv1D', 'Dense', 'GlobalMaxPooling1D', 'Dropout', 'Flatten'],
};

const ALL_OPS = [...new Set(Object.values(OPS_BY_FAMILY).flat()), 'Embedding', 'Reshape', 'Dense3D', 'SimpleRNN', 'GlobalMaxPooling2D'];

const opRecipe = (family: Family, strict: boolean): fc.Arbitrary<OpRecipe> =>
  fc.record({
    kind: strict ? fc.constantFrom(...OPS_BY_FAMILY[family]) : fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...OPS_BY_FAMILY[family]) }, { weight: 1, arbitrary: fc.constantFrom(...ALL_OPS) }),
    a: fc.nat({ max: 64 }),
    b: fc.nat({ max: 64 }),
    c: fc.nat({ max: 64 }),
    flag: fc.boolean(),
    act: strict ? fc.constantFrom(...ACTIVATIONS) : activation,
  });

export const graphRecipe = (strict: boolean): fc.Arbitrary<GraphRecipe> =>
  fc.constantFrom<Family>('vector', 'vector', 'seq', 'image', 'tokens').chain((family) =>
    fc.record({
      family: fc.constant(family),
      dims:
        family === 'vector'
          ? fc.tuple(fc.integer({ min: 1, max: 24 }))
          : family === 'seq'
            ? fc.tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 6 }))
            : family === 'image'
              ? fc.tuple(fc.integer({ min: 2, max: 10 }), fc.integer({ min: 2, max: 10 }), fc.integer({ min: 1, max: 3 }))
              : fc.tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 30 })), // [timesteps, vocabulary]
      ops: fc.array(opRecipe(family, strict), { minLength: 0, maxLength: strict ? 4 : 6 }),
      branch: strict ? fc.constantFrom<GraphRecipe['branch']>('none', 'none', 'concat', 'add') : fc.constantFrom<GraphRecipe['branch']>('none', 'none', 'concat', 'add', 'concat-mismatch'),
      heads: fc.array(fc.record({ units: fc.integer({ min: 1, max: 8 }), task: fc.constantFrom<Task>('sparse', 'categorical', 'regression', 'binary') }), { minLength: 1, maxLength: 2 }),
      sequential: fc.boolean(),
      flatten: strict ? fc.constant(true) : fc.boolean(),
      strict: fc.constant(strict),
      hostileName: strict ? fc.constant(-1) : fc.oneof({ weight: 4, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat({ max: PROTO_NAMES.length - 1 }) }),
      hostileAt: fc.nat({ max: 10 }),
    }),
  );

export interface BuiltGraph {
  model: Record<string, unknown>;
  inputs: Array<{ name: string; shape: number[]; ints: boolean; high: number }>;
  outputs: Array<{ name: string; shape: number[]; task: Task; units: number }>;
}

const snake = (c: string) => c.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();

function convOut(len: number, k: number, stride: number, same: boolean): number {
  return same ? Math.ceil(len / stride) : Math.floor((len - k) / stride) + 1;
}

/** One op on the current shape: the layer and its output shape, or null when it does not fit (strict recipes skip it). */
function applyOp(op: OpRecipe, shape: number[], strict: boolean): { class_name: string; config: Record<string, unknown>; shape: number[] } | null {
  const r = shape.length;
  const keepIfLoose = (class_name: string, config: Record<string, unknown>) => (strict ? null : { class_name, config, shape });
  switch (op.kind) {
    case 'Dense': {
      const units = strict || op.b % 8 ? 1 + (op.a % 12) : [1 + op.a, 0, -3, 2.5, 1e9, '8'][op.c % 6];
      const config: Record<string, unknown> = { units, activation: op.act };
      if (!strict && op.c % 6 === 0) config[['kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer'][op.c % 4]] = NAMED_OPTIONS[op.b % NAMED_OPTIONS.length];
      if (!strict && typeof units !== 'number') return { class_name: 'Dense', config, shape };
      return { class_name: 'Dense', config, shape: [...shape.slice(0, -1), units as number] };
    }
    case 'Dropout':
      return { class_name: 'Dropout', config: { rate: strict || op.b % 4 ? [0, 0.1, 0.5][op.a % 3] : [0, 0.5, 1, -0.1, 1.5, '0.5'][op.a % 6] }, shape };
    case 'BatchNormalization':
      return { class_name: 'BatchNormalization', config: op.flag ? { momentum: 0.9 } : {}, shape };
    case 'LayerNormalization':
      return { class_name: 'LayerNormalization', config: {}, shape };
    case 'Activation':
      return { class_name: 'Activation', config: { activation: op.act }, shape };
    case 'Conv1D':
    case 'Conv2D': {
      const dims = op.kind === 'Conv1D' ? 1 : 2;
      const k = 1 + (op.a % 3);
      const strides = 1 + (op.c % 2);
      const same = op.flag;
      const loose = !strict && op.b % 5 === 0;
      const filters = loose ? [1 + op.b, 0, -1, 1.5][op.c % 4] : 1 + (op.b % 6);
      const config = { filters, kernel_size: loose ? [k, [k, k, k], 0, 'k'][op.a % 4] : k, strides, padding: same ? 'same' : 'valid', activation: op.act };
      if (r !== dims + 1 || shape.slice(0, dims).some((d) => !same && d < k)) return keepIfLoose(op.kind, config);
      return { class_name: op.kind, config, shape: [...shape.slice(0, dims).map((d) => convOut(d, k, strides, same)), filters as number] };
    }
    case 'MaxPooling1D':
    case 'AveragePooling1D':
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const dims = op.kind.endsWith('1D') ? 1 : 2;
      const p = 1 + (op.a % 2);
      const config = { pool_size: p };
      if (r !== dims + 1 || shape.slice(0, dims).some((d) => d < p)) return keepIfLoose(op.kind, config);
      return { class_name: op.kind, config, shape: [...shape.slice(0, dims).map((d) => Math.floor((d - p) / p) + 1), shape[dims]] };
    }
    case 'GlobalMaxPooling1D':
    case 'GlobalMaxPooling2D':
    case 'GlobalAveragePooling2D': {
      const dims = op.kind.endsWith('1D') ? 1 : 2;
      if (r !== dims + 1) return keepIfLoose(op.kind, {});
      return { class_name: op.kind, config: {}, shape: [shape[dims]] };
    }
    case 'LSTM':
    case 'GRU':
    case 'SimpleRNN': {
      const units = 1 + (op.a % 6);
      const config: Record<string, unknown> = { units, return_sequences: op.flag };
      if (!strict && op.c % 12 === 0) config.return_state = true;
      if (r !== 2) return keepIfLoose(op.kind, config);
      return { class_name: op.kind, config, shape: op.flag ? [shape[0], units] : [units] };
    }
    case 'Flatten':
      return { class_name: 'Flatten', config: {}, shape: [prod(shape)] };
    case 'Embedding':
      return { class_name: 'Embedding', config: { input_dim: 1 + op.a, output_dim: 1 + (op.b % 8) }, shape: [...shape, 1 + (op.b % 8)] };
    case 'Reshape':
      return { class_name: 'Reshape', config: { target_shape: [-1, 1 + (op.a % 3)] }, shape };
    default:
      return keepIfLoose(op.kind, { units: 1 });
  }
}

/** Turns a recipe into a functional (or Sequential) model, naming layers as Keras would. */
export function buildGraph(g: GraphRecipe): BuiltGraph {
  // Sometimes the input itself gets a name every JS object has (hostileAt 10 picks the input).
  const inputName = g.hostileName >= 0 && g.hostileAt === 10 ? PROTO_NAMES[g.hostileName] : 'input_1';
  const tokens = g.family === 'tokens';
  const inputShape = tokens ? [g.dims[0]] : g.dims;
  const vocab = tokens ? g.dims[1] : 0;
  const layers: Array<{ name: string; class_name: string; config: Record<string, unknown>; inbound: string[] }> = [];
  const used = new Map<string, number>();
  const nameOf = (cls: string) => {
    const base = snake(cls);
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  };
  const add = (class_name: string, config: Record<string, unknown>, inbound: string[]) => {
    const name = nameOf(class_name);
    layers.push({ name, class_name, config, inbound });
    return name;
  };
  let shape = [...inputShape];
  let prev = inputName;
  if (tokens) {
    const out = 2 + (g.dims[0] % 5);
    prev = add('Embedding', { input_dim: vocab, output_dim: out }, [prev]);
    shape = [...shape, out];
  }
  for (const op of g.ops) {
    const applied = applyOp(op, shape, g.strict);
    if (!applied) continue;
    prev = add(applied.class_name, applied.config, [prev]);
    shape = applied.shape;
  }
  if (shape.length > 1 && g.flatten) {
    prev = add('Flatten', {}, [prev]);
    shape = [prod(shape)];
  }
  if (g.branch !== 'none') {
    const u = 1 + (g.ops.length % 4);
    const a = add('Dense', { units: u }, [prev]);
    const b = add('Dense', { units: g.branch === 'add' ? u : u + 1 }, [prev]);
    if (g.branch === 'add') prev = add('Add', {}, [a, b]);
    else if (g.branch === 'concat') prev = add('Concatenate', {}, [a, b]);
    else prev = add('Concatenate', { axis: 1 }, [a, inputName]);
    shape = [...shape.slice(0, -1), g.branch === 'add' ? u : 2 * u + 1];
  }
  const heads = g.sequential ? g.heads.slice(0, 1) : g.heads;
  const outputs: BuiltGraph['outputs'] = heads.map((h) => {
    const units = h.task === 'binary' ? 1 : h.task === 'sparse' || h.task === 'categorical' ? Math.max(2, h.units) : h.units;
    const name = add('Dense', { units, ...(h.task === 'binary' ? { activation: 'sigmoid' } : {}) }, [prev]);
    return { name, shape: [...shape.slice(0, -1), units], task: h.task, units };
  });
  if (g.hostileName >= 0 && g.hostileAt < 10 && layers.length) {
    // Rename one layer (and every reference to it) to a name every JS object has.
    const i = g.hostileAt % layers.length;
    const from = layers[i].name;
    const to = PROTO_NAMES[g.hostileName];
    layers[i].name = to;
    for (const l of layers) l.inbound = l.inbound.map((n) => (n === from ? to : n));
    for (const o of outputs) if (o.name === from) o.name = to;
  }
  const inputs = [{ name: inputName, shape: inputShape, ints: tokens, high: Math.max(1, vocab) }];
  if (g.sequential && g.branch === 'none') {
    return {
      model: { sequential: [{ class_name: 'InputLayer', config: { shape: inputShape } }, ...layers.map((l) => ({ name: l.name, class_name: l.class_name, config: l.config }))] },
      inputs,
      outputs: outputs.slice(0, 1),
    };
  }
  return {
    model: { inputs: [{ name: inputName, shape: inputShape, ...(tokens ? { dtype: 'int32' } : {}) }], layers, outputs: outputs.map((o) => o.name) },
    inputs,
    outputs,
  };
}

// ---------------------------------------------------------------------------------------------
// compile

const KNOWN_OPTIMIZERS = ['adam', 'sgd', 'rmsprop', 'adamw', 'adagrad', 'adamax', 'nadam', 'Adam', 'SGD', 'RMSprop'];
const KNOWN_METRICS_BY_TASK: Record<Task, string[]> = {
  sparse: ['accuracy', 'sparse_categorical_accuracy', 'acc'],
  categorical: ['accuracy', 'categorical_accuracy', 'mse'],
  regression: ['mae', 'mse', 'RootMeanSquaredError'],
  binary: ['accuracy', 'binary_accuracy', 'auc'],
};
const UNKNOWN_NAMES = ['adamm', 'f1', 'sparse_crossentropy', 'Dense', 'EarlyStopping', '', ...PROTO_NAMES];

function lossFor(task: Task, variant: number): unknown {
  const v = variant % 3;
  switch (task) {
    case 'sparse':
      return v === 0 ? 'sparse_categorical_crossentropy' : { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true } };
    case 'categorical':
      return v === 0 ? 'categorical_crossentropy' : { class_name: 'CategoricalCrossentropy', config: { from_logits: v === 1 } };
    case 'binary':
      return 'binary_crossentropy';
    case 'regression':
      return ['mse', 'mae', { class_name: 'Huber', config: { delta: 1.0 } }][v];
  }
}

interface CompileRecipe {
  optimizer: number;
  optimizerForm: number;
  lr: number;
  lossForm: number;
  lossVariant: number;
  metricsForm: number;
  lossWeightsForm: number;
  junk: unknown;
}

const compileRecipe = (strict: boolean): fc.Arbitrary<CompileRecipe> =>
  fc.record({
    optimizer: fc.nat({ max: 100 }),
    optimizerForm: strict ? fc.nat({ max: 2 }) : fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 2 }) }, { weight: 1, arbitrary: fc.nat({ max: 7 }) }),
    lr: fc.constantFrom(0.001, 0.01, 0.05),
    lossForm: strict ? fc.nat({ max: 2 }) : fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 2 }) }, { weight: 1, arbitrary: fc.nat({ max: 8 }) }),
    lossVariant: fc.nat({ max: 30 }),
    metricsForm: strict ? fc.nat({ max: 3 }) : fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 3 }) }, { weight: 1, arbitrary: fc.nat({ max: 8 }) }),
    lossWeightsForm: strict ? fc.nat({ max: 2 }) : fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 2 }) }, { weight: 1, arbitrary: fc.nat({ max: 6 }) }),
    junk: weirdValue,
  });

function buildCompile(c: CompileRecipe, outputs: BuiltGraph['outputs']): Record<string, unknown> {
  const names = outputs.map((o) => o.name);
  const optName = KNOWN_OPTIMIZERS[c.optimizer % KNOWN_OPTIMIZERS.length];
  const bad = UNKNOWN_NAMES[c.optimizer % UNKNOWN_NAMES.length];
  const optimizer = [
    undefined,
    optName,
    { class_name: 'Adam', config: { learning_rate: c.lr } },
    bad || 'x',
    { class_name: bad || 'x' },
    { class_name: 'Adam', config: { learning_rate: c.lr, beta_3: 1 } },
    { class_name: 'SGD', config: { learning_rate: c.junk } },
    c.junk,
  ][c.optimizerForm];
  const perOutput = outputs.map((o) => lossFor(o.task, c.lossVariant));
  const badLoss = UNKNOWN_NAMES[c.lossVariant % UNKNOWN_NAMES.length] || 'x';
  const loss = [
    outputs.length === 1 ? perOutput[0] : perOutput,
    Object.fromEntries(names.map((n, i) => [n, perOutput[i]])),
    outputs.length === 1 ? [perOutput[0]] : perOutput,
    badLoss,
    { class_name: badLoss },
    [...perOutput, 'mse'],
    { ...Object.fromEntries(names.map((n, i) => [n, perOutput[i]])), not_an_output: 'mse' },
    {},
    c.junk,
  ][c.lossForm];
  const good = outputs.map((o) => KNOWN_METRICS_BY_TASK[o.task][c.lossVariant % 3]);
  const metrics = [
    undefined,
    // A flat list applies to every output (as in Keras): only the first output's metric when there is one output.
    outputs.length === 1 ? [good[0]] : outputs.map((_, i) => [good[i]]),
    outputs.map((_, i) => [good[i]]),
    Object.fromEntries(names.map((n, i) => [n, good[i]])),
    [badLoss],
    [[good[0]], 'mse'],
    { nope: ['mae'] },
    [good[0], { class_name: 'TopKCategoricalAccuracy', config: { k: c.lossVariant } }],
    c.junk,
  ][c.metricsForm];
  const loss_weights = [undefined, names.map(() => 1), Object.fromEntries(names.map((n) => [n, 0.5])), [1, 2, 3], { nope: 1 }, [c.junk], c.junk][c.lossWeightsForm];
  const out: Record<string, unknown> = { loss };
  if (optimizer !== undefined) out.optimizer = optimizer;
  if (metrics !== undefined) out.metrics = metrics;
  if (loss_weights !== undefined) out.loss_weights = loss_weights;
  return out;
}

// ---------------------------------------------------------------------------------------------
// callbacks

export const HOSTILE_FILEPATHS = [
  '../x', '/etc/x', 'a\u0000b', 'a/b', '..', '.', '', '.hidden', 'x'.repeat(200), LONG, 'x'.repeat(5000), '{epoch}/../../x', '{epoch:/../../x}',
  '{epoch:0300d}', '{loss:.150f}', '{epoch:.2f}', '{nope}', 'C:\\x', '%2e%2e%2fx', '\u202etxt.exe', 'ü', '{epoch:x}', '{{epoch}}', 'x{', 'x}', '{epoch:}', '{epoch:0200d}',
  '{epoch:/}', 'ok_{epoch:02d}/..', '....', 'a..b', 'con', 'x.keras/', '~', '$HOME', 'x\ny', ...PROTO_NAMES,
];
const GOOD_FILEPATHS = ['ckpt', 'ckpt_{epoch:02d}', 'best_{epoch:02d}-{loss:.2f}', 'm.keras', 'w.weights.h5', 'e{epoch}'];

interface CallbackRecipe {
  kind: number;
  variant: number;
  str: string;
  junk: unknown;
}

const callbackRecipe = (strict: boolean): fc.Arbitrary<CallbackRecipe> =>
  fc.record({
    kind: strict ? fc.nat({ max: 5 }) : fc.oneof({ weight: 2, arbitrary: fc.nat({ max: 5 }) }, { weight: 1, arbitrary: fc.nat({ max: 11 }) }),
    variant: fc.nat({ max: 100 }),
    str: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...HOSTILE_FILEPATHS) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) }),
    junk: weirdValue,
  });

function buildCallback(r: CallbackRecipe, strict: boolean): unknown {
  const good = GOOD_FILEPATHS[r.variant % GOOD_FILEPATHS.length];
  switch (r.kind) {
    case 0:
      return { class_name: 'EarlyStopping', config: { monitor: 'loss', patience: r.variant % 3 } };
    case 1:
      return { class_name: 'ModelCheckpoint', config: { filepath: strict ? good : r.variant % 2 ? good : r.str, ...(r.variant % 3 === 0 ? { monitor: 'loss', save_best_only: true } : {}) } };
    case 2:
      return { class_name: 'CSVLogger', config: { filename: strict || r.variant % 2 ? 'log.csv' : r.str } };
    case 3:
      return { class_name: 'TerminateOnNaN' };
    case 4:
      return { class_name: 'ReduceLROnPlateau', config: { monitor: 'loss', factor: 0.5, patience: 1 } };
    case 5:
      return { class_name: 'LearningRateScheduler', config: { schedule: r.variant % 2 ? [0.01, 0.005] : { boundaries: [1], values: [0.01, 0.001] } } };
    case 6:
      return { class_name: 'LearningRateScheduler', config: { schedule: [[], { boundaries: [1], values: [0.1] }, { boundaries: ['1'], values: [1, 2] }, [-1], r.junk, 'lambda e: 0.1'][r.variant % 6] } };
    case 7:
      return { class_name: PROTO_NAMES[r.variant % PROTO_NAMES.length], config: {} };
    case 8:
      return { class_name: 'TensorBoard', config: { log_dir: r.str } };
    case 9:
      return { class_name: 'EarlyStopping', config: { monitor: r.junk, patience: r.junk, [PROTO_NAMES[r.variant % PROTO_NAMES.length]]: 1 } };
    case 10:
      return { class_name: 'ModelCheckpoint', config: { filepath: r.junk } };
    default:
      return { class_name: 'ModelCheckpoint', config: { filepath: r.str, save_freq: r.variant % 2 ? 'epoch' : r.variant } };
  }
}

// ---------------------------------------------------------------------------------------------
// fit

interface FitRecipe {
  n: number;
  x: ArrayRecipe;
  y: ArrayRecipe;
  dataForm: number;
  batch: number;
  epochs: number;
  initialEpoch: number;
  split: number;
  validation: number;
  vx: ArrayRecipe;
  classWeight: number;
  sampleWeight: boolean;
  shuffle: boolean;
  callbacks: CallbackRecipe[];
  verbose: unknown;
  evaluate: boolean;
  predict: boolean;
  priority: number;
}

const SPLITS = [0, 1, 1e-12, 0.5, 0.2, 0.999999, 1 - 1e-12, -0, -0.1, 1.5, 0.25];

const fitRecipe = (strict: boolean): fc.Arbitrary<FitRecipe> =>
  fc.record({
    n: strict ? fc.integer({ min: 4, max: 64 }) : fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 64 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, 2, 1000) }),
    x: arrayRecipe(strict),
    y: arrayRecipe(strict),
    dataForm: strict ? fc.nat({ max: 2 }) : fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 2 }) }, { weight: 1, arbitrary: fc.nat({ max: 6 }) }),
    batch: fc.nat({ max: 12 }),
    epochs: strict ? fc.integer({ min: 1, max: 2 }) : fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 2 }) }, { weight: 1, arbitrary: fc.nat({ max: 10 }) }),
    initialEpoch: fc.nat({ max: 8 }),
    split: fc.nat({ max: 30 }),
    validation: strict ? fc.nat({ max: 2 }) : fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 2 }) }, { weight: 1, arbitrary: fc.nat({ max: 5 }) }),
    vx: arrayRecipe(strict),
    classWeight: fc.nat({ max: 8 }),
    sampleWeight: fc.boolean(),
    shuffle: fc.boolean(),
    callbacks: fc.array(callbackRecipe(strict), { maxLength: 3 }),
    verbose: strict ? fc.constantFrom(0, 1, 'auto') : fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 1, 2, 'auto') }, { weight: 1, arbitrary: weirdValue }),
    evaluate: fc.boolean(),
    predict: fc.boolean(),
    priority: fc.nat({ max: 8 }),
  });

/** x or y for the model's inputs/outputs: one array, a list in order, a dict by name, or (loose) something off. */
function bindForm(form: number, names: string[], arrays: unknown[]): unknown {
  const f = form % 7;
  if (names.length === 1) {
    if (f === 1) return [arrays[0]];
    if (f === 2) return { [names[0]]: arrays[0] };
    if (f === 3) return {};
    if (f === 4) return { [names[0]]: arrays[0], extra: arrays[0] };
    if (f === 5) return [arrays[0], arrays[0]];
    if (f === 6) return { [PROTO_NAMES[0]]: arrays[0] };
    return arrays[0];
  }
  if (f === 0 || f === 1) return arrays;
  if (f === 2) return Object.fromEntries(names.map((n, i) => [n, arrays[i]]));
  if (f === 3) return {};
  if (f === 4) return arrays.slice(1);
  if (f === 5) return arrays[0];
  return Object.fromEntries(names.slice(1).map((n, i) => [n, arrays[i + 1]]));
}

function yTarget(o: BuiltGraph['outputs'][number], n: number): ArrayTarget {
  if (o.task === 'sparse') return { shape: [n], ints: true, high: o.units };
  if (o.task === 'binary') return { shape: [n, 1], ints: true, high: 2 };
  return { shape: [n, ...o.shape], ints: false, high: 1 };
}

function buildFit(f: FitRecipe, g: BuiltGraph, ctx: FuzzContext, strict: boolean): { fit: Record<string, unknown>; evaluate?: unknown; predict?: unknown; priority?: number } {
  const n = f.n;
  const inNames = g.inputs.map((i) => i.name);
  const outNames = g.outputs.map((o) => o.name);
  const xArrays = g.inputs.map((i, k) => buildArray({ ...f.x, seed: f.x.seed + k }, { shape: [n, ...i.shape], ints: i.ints, high: i.high }, ctx));
  const yArrays = g.outputs.map((o, k) => buildArray({ ...f.y, seed: f.y.seed + k }, yTarget(o, n), ctx));
  const fit: Record<string, unknown> = {
    x: bindForm(strict ? 0 : f.dataForm, inNames, xArrays),
    y: bindForm(strict ? 0 : [0, 0, 2, 3, 2, 0, 6][f.dataForm % 7], outNames, yArrays),
  };
  if (f.batch) fit.batch_size = strict || f.batch < 12 ? [8, 16, 32, 1, 4][f.batch % 5] : [0, -1, 1e6, 1e7, 2.5, 1000][f.batch % 6];
  fit.epochs = strict || f.epochs < 3 ? f.epochs || 1 : [1, 2, 3, 0, -1, 1e5, 1e9, 1.5, 1, 2, 5][f.epochs % 11];
  if (!strict && f.initialEpoch % 4 === 0) fit.initial_epoch = [0, 1, 5, -1, 2][f.initialEpoch % 5];
  fit.shuffle = f.shuffle;
  const vNames = f.validation % 6;
  if (vNames === 1 && n >= 4) fit.validation_split = strict ? 0.25 : SPLITS[f.split % SPLITS.length];
  else if (vNames === 1 && !strict) fit.validation_split = SPLITS[f.split % SPLITS.length];
  else if (vNames === 2) {
    const vn = 1 + (f.vx.seed % 8);
    fit.validation_data = {
      x: bindForm(0, inNames, g.inputs.map((i) => buildArray(f.vx, { shape: [vn, ...i.shape], ints: i.ints, high: i.high }, ctx))),
      y: bindForm(0, outNames, g.outputs.map((o) => buildArray(f.vx, yTarget(o, vn), ctx))),
    };
  } else if (vNames === 3) {
    fit.validation_split = 0.5;
    fit.validation_data = { x: fit.x, y: fit.y };
  } else if (vNames === 4) fit.validation_data = { x: fit.x };
  if (!strict && f.classWeight % 4 === 0) fit.class_weight = [{ '0': 1, '1': 2 }, { a: 1 }, { '0': -1 }, { '1': 1e308 }, { [PROTO_NAMES[0]]: 1 }, { '99999999999999999999': 1 }][f.classWeight % 6];
  if (!strict && f.sampleWeight && f.classWeight % 3 === 0) fit.sample_weight = bindForm(0, outNames, g.outputs.map(() => ({ random: { kind: 'uniform', shape: [n] } })));
  if (f.callbacks.length) fit.callbacks = f.callbacks.map((c) => buildCallback(c, strict));
  if (f.verbose !== undefined) fit.verbose = f.verbose;
  const out: ReturnType<typeof buildFit> = { fit };
  if (f.evaluate) out.evaluate = { x: fit.x, y: fit.y, ...(f.batch % 2 ? { batch_size: 4 } : {}) };
  if (f.predict) out.predict = { x: fit.x };
  if (!strict && f.priority % 4 === 0) out.priority = [1, 2_097_152, 1, 2_097_153, -1, 1.5, 3, 0][f.priority % 8];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Job bodies

/** A fit job from a random small graph. strict: one the API should accept and a worker can train. */
export const graphJob = (ctx: FuzzContext, strict: boolean): fc.Arbitrary<Record<string, unknown>> =>
  fc.tuple(graphRecipe(strict), compileRecipe(strict), fitRecipe(strict)).map(([g, c, f]) => {
    const built = buildGraph(g);
    const { fit, evaluate, predict, priority } = buildFit(f, built, ctx, strict);
    return { type: 'fit', model: built.model, compile: buildCompile(c, built.outputs), fit, ...(evaluate ? { evaluate } : {}), ...(predict ? { predict } : {}), ...(priority !== undefined ? { priority } : {}) };
  });

const TUTORIAL_OUTPUTS: Record<string, BuiltGraph> = {
  mlp: {
    model: seedMlpJob().model,
    inputs: [{ name: 'digits', shape: [32], ints: false, high: 1 }],
    outputs: [{ name: 'predictions', shape: [10], task: 'sparse', units: 10 }],
  },
  multi: {
    model: multiIoJob().model,
    inputs: [
      { name: 'img_input', shape: [32, 32, 3], ints: false, high: 1 },
      { name: 'ts_input', shape: [20, 10], ints: false, high: 1 },
    ],
    outputs: [
      { name: 'score_output', shape: [1], task: 'regression', units: 1 },
      { name: 'class_output', shape: [5], task: 'categorical', units: 5 },
    ],
  },
};

/** The tutorial's models (as in test/helpers/specs.ts) with random compile and fit sections. */
export const tutorialJob = (ctx: FuzzContext): fc.Arbitrary<Record<string, unknown>> =>
  fc.tuple(fc.constantFrom('mlp', 'mlp', 'multi', 'mlp-raw', 'multi-dict'), compileRecipe(false), fitRecipe(false), fc.boolean()).map(([which, c, f, keepCompile]) => {
    if (which === 'mlp-raw') return seedMlpJob({ epochs: 1 + f.epochs, samples: 1 + f.n });
    if (which === 'multi-dict') return multiIoJob('dict');
    const g = TUTORIAL_OUTPUTS[which];
    const base = which === 'mlp' ? seedMlpJob() : multiIoJob();
    const { fit, evaluate, predict } = buildFit(f, g, ctx, false);
    return { ...base, compile: keepCompile ? base.compile : buildCompile(c, g.outputs), fit, ...(evaluate ? { evaluate } : {}), ...(predict ? { predict } : {}) };
  });

/** The tutorial MLP, valid but for its callbacks: hostile ModelCheckpoint filepaths, bad schedules, unknown classes. */
export const callbackJob: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...HOSTILE_FILEPATHS, ...GOOD_FILEPATHS) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) }),
    fc.constantFrom('ModelCheckpoint', 'ModelCheckpoint', 'CSVLogger'),
    fc.array(callbackRecipe(false), { maxLength: 2 }),
    fc.integer({ min: 1, max: 3 }),
  )
  .map(([path, cls, others, epochs]) => {
    const job = seedMlpJob({ epochs, samples: 32 }) as any;
    const first = cls === 'CSVLogger' ? { class_name: cls, config: { filename: path } } : { class_name: cls, config: { filepath: path } };
    job.fit.callbacks = [first, ...others.map((c) => buildCallback(c, false))];
    return job;
  });

/**
 * The tutorial MLP with its input and/or output named like an Object.prototype member (valid names),
 * x / y / loss / metrics / loss_weights given as dicts that have, miss or add that key.
 */
export const protoNameJob: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    input: fc.nat({ max: PROTO_NAMES.length }),
    output: fc.nat({ max: PROTO_NAMES.length }),
    x: fc.nat({ max: 3 }),
    y: fc.nat({ max: 3 }),
    loss: fc.nat({ max: 3 }),
    extra: fc.nat({ max: 3 }),
    option: fc.option(fc.tuple(fc.constantFrom('kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'activation'), fc.constantFrom(...NAMED_OPTIONS, ...PROTO_NAMES))),
  })
  .map((r) => {
    const job = seedMlpJob({ epochs: 1, samples: 16 }) as any;
    if (r.option) job.model.layers[1].config[r.option[0]] = r.option[1];
    // "__proto__" is a valid name but cannot be a JSON key (the body parser refuses it): keep it for names only.
    const inName = PROTO_NAMES[r.input] ?? 'digits';
    const outName = PROTO_NAMES[r.output] ?? 'predictions';
    job.model.inputs[0].name = inName;
    job.model.layers[0].inbound = [inName];
    job.model.layers[2].name = outName;
    job.model.outputs = [outName];
    delete job.fit.validation_data;
    const dict = (form: number, key: string, value: unknown) => (form === 0 ? value : form === 1 ? { [key]: value } : form === 2 ? {} : { [key === 'x' ? 'y' : 'x']: value });
    if (inName !== '__proto__') job.fit.x = dict(r.x, inName, job.fit.x);
    if (outName !== '__proto__') {
      job.fit.y = dict(r.y, outName, job.fit.y);
      const loss = job.compile.loss;
      job.compile.loss = dict(r.loss, outName, loss);
      if (r.extra === 1) job.compile.metrics = dict(r.loss, outName, ['accuracy']);
      if (r.extra === 2) job.compile.loss_weights = dict(r.loss, outName, 1);
    }
    return job;
  });

/** Fit jobs on the tutorial MLP whose data comes from uploaded datasets (real and missing). */
export const datasetJob = (ctx: FuzzContext): fc.Arbitrary<Record<string, unknown>> =>
  fc.tuple(fc.nat({ max: 40 }), fc.integer({ min: -80, max: 80 }), fc.integer({ min: -80, max: 80 }), fc.nat({ max: 100 })).map(([v, a, b, pick]) => {
    const job = seedMlpJob({ epochs: 1 }) as any;
    delete job.fit.validation_data;
    const ds = ctx.datasets[pick % ctx.datasets.length];
    const names = ds ? Object.keys(ds.arrays) : ['x'];
    const id = ds?.id ?? 'none';
    const choice = v % 12;
    const arr = (name: string, extra: Record<string, unknown> = {}) => ({ dataset: id, array: name, ...extra });
    if (choice === 0) Object.assign(job.fit, { x: arr('x'), y: arr('y') });
    else if (choice === 1) Object.assign(job.fit, { x: arr('x', { rows: [a, b] }), y: arr('y', { rows: [a, b] }) });
    else if (choice === 2) Object.assign(job.fit, { x: arr('x', { columns: [a % 40, b % 40] }), y: arr('y') });
    else if (choice === 3) Object.assign(job.fit, { x: arr(names[pick % names.length]), y: arr(names[(pick + 1) % names.length]) });
    else if (choice === 4) Object.assign(job.fit, { x: arr(PROTO_NAMES[pick % PROTO_NAMES.length]), y: arr('y') });
    else if (choice === 5) Object.assign(job.fit, { x: { dataset: PROTO_NAMES[pick % PROTO_NAMES.length], array: 'x' }, y: arr('y') });
    else if (choice === 6) Object.assign(job.fit, { x: arr('table', { columns: ['a', 'b', PROTO_NAMES[pick % PROTO_NAMES.length]] }), y: arr('y') });
    else if (choice === 7) Object.assign(job.fit, { x: arr('x'), y: arr('y'), validation_split: 0.25, evaluate: undefined });
    else if (choice === 8) Object.assign(job, { predict: { x: arr('x', { rows: [a, b] }) } }, { fit: { ...job.fit, x: arr('x'), y: arr('y') } });
    else if (choice === 9) Object.assign(job.fit, { x: arr('x', { rows: [a, b], columns: ['a'] }), y: arr('y', { rows: [a, b] }) });
    else if (choice === 10) Object.assign(job.fit, { x: { dataset: `${id}x`, array: 'x' }, y: arr('y') });
    else Object.assign(job.fit, { x: arr('x'), y: arr('table', { columns: [a] }) });
    return JSON.parse(JSON.stringify(job));
  });

const modelIdArb = (ctx: FuzzContext) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...(ctx.models.length ? ctx.models.map((m) => m.id) : ['m'])) },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/) },
    { weight: 1, arbitrary: fc.constantFrom('', '..', '../x', 'a/b', 'a b', 'x'.repeat(101), '%2e%2e', 'ü', ...PROTO_NAMES) },
  );

const checkpointArb = (ctx: FuzzContext) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constantFrom(...(ctx.models.flatMap((m) => m.checkpoints).length ? ctx.models.flatMap((m) => m.checkpoints) : ['epoch_1'])) },
    { weight: 2, arbitrary: fc.constantFrom('nope', '../final', '.', '', LONG, ...PROTO_NAMES) },
  );

/** evaluate / predict job bodies (POST /v1/jobs) and the model shortcuts, with random model ids. */
export const evalPredictCase = (ctx: FuzzContext): fc.Arbitrary<FuzzCase> =>
  fc.tuple(fc.constantFrom('evaluate', 'predict'), modelIdArb(ctx), checkpointArb(ctx), arrayRecipe(false), fc.integer({ min: 0, max: 70 }), fc.nat({ max: 3 }), fc.boolean()).map(
    ([op, modelId, checkpoint, rec, n, form, shortcut]) => {
      const x = buildArray(rec, { shape: [n, 32], ints: false, high: 1 }, ctx);
      const y = buildArray({ ...rec, form: rec.form === 'b64' ? 'b64' : 'random' }, { shape: [n], ints: true, high: 10 }, ctx);
      const xs = [x, { digits: x }, [x], { other: x }][form];
      const section = op === 'evaluate' ? { x: xs, y, ...(n % 3 ? { batch_size: 1 + (n % 5) } : {}) } : { x: xs };
      if (shortcut) {
        return { kind: 'shortcut', cat: `${op}-shortcut`, modelId, op, query: checkpoint === undefined ? {} : { checkpoint }, body: section } as FuzzCase;
      }
      const body: Record<string, unknown> = { type: op, model_id: modelId, [op]: section };
      if (checkpoint !== undefined) body.checkpoint = checkpoint;
      return { kind: 'job', cat: `${op}-job`, body } as FuzzCase;
    },
  );

/** A fit job that continues a stored model (initial_model). */
export const resumeJob = (ctx: FuzzContext): fc.Arbitrary<Record<string, unknown>> =>
  fc.tuple(modelIdArb(ctx), checkpointArb(ctx), fc.nat({ max: 6 }), fc.boolean()).map(([modelId, checkpoint, epochs, withModel]) => {
    const base = seedMlpJob({ epochs: 1 + epochs, samples: 16 }) as any;
    const body: Record<string, unknown> = { type: 'fit', fit: base.fit, initial_model: { model_id: modelId, ...(checkpoint !== undefined ? { checkpoint } : {}) } };
    if (withModel) Object.assign(body, { model: base.model, compile: base.compile });
    return body;
  });

// ---------------------------------------------------------------------------------------------
// Mutations of (mostly) valid specs

type Path = Array<string | number>;

function allPaths(root: unknown): Path[] {
  const out: Path[] = [];
  const stack: Array<[unknown, Path]> = [[root, []]];
  while (stack.length) {
    const [node, path] = stack.pop()!;
    if (path.length) out.push(path);
    if (node instanceof Deep || node === null || typeof node !== 'object' || path.length > 12) continue;
    const entries = Array.isArray(node) ? node.map((v, i) => [i, v] as const) : Object.entries(node);
    for (let i = entries.length - 1; i >= 0; i--) stack.push([entries[i][1], [...path, entries[i][0]]]);
  }
  return out;
}

function parentOf(root: any, path: Path): [any, string | number] {
  let node = root;
  for (const k of path.slice(0, -1)) node = node[k];
  return [node, path[path.length - 1]];
}

export interface Mutation {
  op: 'delete' | 'replace' | 'dup-name' | 'cycle' | 'proto-ref' | 'deep' | 'unicode' | 'dup-entry' | 'huge' | 'negative';
  pick: number;
  pick2: number;
  value: unknown;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom<Mutation['op']>('delete', 'delete', 'replace', 'replace', 'replace', 'dup-name', 'cycle', 'proto-ref', 'deep', 'unicode', 'dup-entry', 'huge', 'negative'),
  pick: fc.nat(),
  pick2: fc.nat(),
  value: weirdValue,
});

/** Applies one mutation; an earlier mutation may have left a shape this one cannot work on, then it does nothing. */
export function applyMutation(body: any, m: Mutation): string {
  try {
    return mutate(body, m);
  } catch {
    return 'none';
  }
}

function mutate(body: any, m: Mutation): string {
  const paths = allPaths(body);
  if (!paths.length) return 'none';
  const path = paths[m.pick % paths.length];
  const [parent, key] = parentOf(body, path);
  const layers: any[] | undefined = Array.isArray(body?.model?.layers) ? body.model.layers : undefined;
  switch (m.op) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      return `delete ${path.join('/')}`;
    case 'replace':
      parent[key] = m.value;
      return `replace ${path.join('/')}`;
    case 'huge':
      parent[key] = [1e308, 2 ** 63, 1e21, Number.MAX_SAFE_INTEGER + 2, 4294967296][m.pick2 % 5];
      return `huge ${path.join('/')}`;
    case 'negative':
      parent[key] = typeof parent[key] === 'number' ? -parent[key] - 1 : -1;
      return `negative ${path.join('/')}`;
    case 'deep':
      parent[key] = new Deep([50, 5000, 100_000][m.pick2 % 3], m.pick2 % 2 ? 'array' : 'object', typeof parent[key] === 'object' ? 1 : parent[key]);
      return `deep ${path.join('/')}`;
    case 'unicode':
      parent[key] = typeof parent[key] === 'string' ? `${parent[key]}${['\u0000', '\ud800', '😀', 'é', '\u202e', '\uFEFF'][m.pick2 % 6]}` : '😀';
      return `unicode ${path.join('/')}`;
    case 'dup-entry':
      if (Array.isArray(parent[key]) && parent[key].length) parent[key].push(clone(parent[key][m.pick2 % parent[key].length]));
      else if (Array.isArray(parent)) parent.push(clone(parent[key as number]));
      return `dup-entry ${path.join('/')}`;
    case 'dup-name':
      if (layers && layers.length > 1) {
        const i = m.pick % layers.length;
        const j = (i + 1 + (m.pick2 % (layers.length - 1))) % layers.length;
        if (layers[i] && layers[j]) layers[i].name = layers[j].name;
        return `dup-name ${i}<-${j}`;
      }
      if (Array.isArray(body?.model?.inputs) && body.model.inputs.length > 1) body.model.inputs[1].name = body.model.inputs[0].name;
      return 'dup-name inputs';
    case 'cycle':
      if (layers && layers.length) {
        const i = m.pick % layers.length;
        const j = i + (m.pick2 % (layers.length - i));
        if (layers[i] && layers[j]) layers[i].inbound = [layers[j].name];
        return `cycle ${i}->${j}`;
      }
      return 'cycle none';
    case 'proto-ref': {
      const name = PROTO_NAMES[m.pick2 % PROTO_NAMES.length];
      if (layers && layers.length && m.pick % 3 === 0) {
        const l = layers[m.pick % layers.length];
        if (l) l.inbound = [name];
      } else if (layers && layers.length && m.pick % 3 === 1) {
        if (body.model.outputs) body.model.outputs = [name];
      } else parent[key] = name;
      return `proto-ref ${name}`;
    }
  }
}

export const mutatedJob = (ctx: FuzzContext): fc.Arbitrary<Record<string, unknown>> =>
  fc
    .tuple(
      fc.oneof(
        { weight: 3, arbitrary: tutorialJob(ctx) },
        { weight: 3, arbitrary: graphJob(ctx, true) },
        { weight: 1, arbitrary: resumeJob(ctx) },
        { weight: 1, arbitrary: evalPredictCase(ctx).map((c): Record<string, unknown> => (c.kind === 'shortcut' ? { type: c.op, model_id: c.modelId, [c.op]: c.body } : ((c as { body: unknown }).body as Record<string, unknown>))) },
      ),
      fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
    )
    .map(([body, muts]) => {
      const copy = clone(body);
      for (const m of muts) applyMutation(copy, m);
      return copy;
    });

// ---------------------------------------------------------------------------------------------
// Raw bodies

const RAW_TEXTS = [
  '', ' ', '{', '}', '{"type":', '{"type": "fit", ', 'null', '[]', '"fit"', '123', 'true', '{"type":"fit"}', '{"a":1,}', "{'type':'fit'}", 'NaN',
  '{"__proto__": {"polluted": 1}, "type": "fit"}', '{"constructor": {"prototype": {"polluted": 1}}}', '\uFEFF{"type":"fit"}', '{"type":"fit","type":"predict"}',
  '[' .repeat(100_000), '{"a":'.repeat(50_000), '{"type":"fit","fit":{"x":' + '['.repeat(200_000) + ']'.repeat(200_000) + '}}', '\u0000', '{"type":"fit"}garbage', '{"type":"fit"}\n{"type":"fit"}',
];
const CONTENT_TYPES = [
  'application/json', 'application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'APPLICATION/JSON',
  'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz', 'multipart/form-data', 'application/problem+json', 'application/octet-stream',
  '', null, 'application/xml', 'application/json, text/plain', 'application/jsonx', ';;;', 'application/json; boundary=x',
];

export const rawCase = (ctx: FuzzContext): fc.Arbitrary<FuzzCase> =>
  fc
    .tuple(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...RAW_TEXTS) },
        { weight: 2, arbitrary: fc.tuple(tutorialJob(ctx), fc.double({ min: 0, max: 1, noNaN: true })).map(([job, at]) => { const s = toJson(job); return s.slice(0, Math.floor(s.length * at)); }) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
        { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
        { weight: 1, arbitrary: tutorialJob(ctx).map((j) => toJson(j)) },
      ),
      fc.constantFrom(...CONTENT_TYPES),
      fc.constantFrom('/v1/jobs', '/v1/jobs', '/v1/models/m/predict', '/v1/models/m/evaluate', '/v1/datasets'),
    )
    .map(([body, contentType, path]) => ({
      kind: 'raw' as const,
      cat: path === '/v1/datasets' ? 'raw-datasets' : 'raw-jobs',
      method: 'POST' as const,
      path: path.replace('/m/', `/${ctx.models[0]?.id ?? 'm'}/`),
      contentType,
      body,
    }));

// ---------------------------------------------------------------------------------------------
// Dataset files


interface NpyRecipe {
  shape: number[];
  ints: boolean;
  seed: number;
  mutation: number;
  at: number;
  bytes: Uint8Array;
}

const npyRecipe: fc.Arbitrary<NpyRecipe> = fc.record({
  shape: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 0, maxLength: 3 }),
  ints: fc.boolean(),
  seed: fc.nat({ max: 1000 }),
  mutation: fc.nat({ max: 40 }),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
});

const HEADER_TEXTS = [
  "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",
  "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }",
  "{'descr': '<f4', 'fortran_order': False, 'shape': (1152921504606846976, 16), }",
  "{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,), }",
  "{'descr': '<f4', 'fortran_order': False, 'shape': [2], }",
  "{'descr': '<f4', 'fortran_order': False}",
  "{'descr': '<f4', 'shape': (2,)}",
  "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
  "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
  "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }",
  "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }",
  "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }",
  "{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }",
  "{'descr': 'constructor', 'fortran_order': False, 'shape': (2,), }",
  "{'descr': '__proto__', 'fortran_order': False, 'shape': (2,), }",
  "{'descr': '<f4', 'fortran_order': False, 'shape': " + '('.repeat(500) + ')'.repeat(500) + ', }',
  "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'constructor': 1, '__proto__': {}}",
  "{'descr': '<f4\\', 'fortran_order': False, 'shape': (2,), }",
  "{'descr': '<f4', 'fortran_order': None, 'shape': (2,), }",
  "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }",
  "[1, 2]",
  '',
  "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } trailing",
  "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 1: 2}",
];

/** A .npy file: valid (written by writeNpy), or with its header lying, truncated, bytes flipped, or garbage. */
function buildNpy(r: NpyRecipe): Uint8Array {
  const count = prod(r.shape);
  const values = fill(count, r.seed, r.ints, 100);
  const valid = writeNpy({ shape: r.shape, dtype: r.ints ? 'int32' : 'float32', values: r.ints ? Int32Array.from(values) : Float32Array.from(values) });
  const m = r.mutation;
  if (m < 16) return valid;
  const data = valid.subarray(npyHeader(r.shape, r.ints ? 'int32' : 'float32').length);
  if (m < 19) {
    // The header lies about the shape.
    const lie = r.shape.length ? r.shape.map((d, i) => (i === 0 ? d + 1 + (m % 3) : d)) : [2];
    return Buffer.concat([npyHeader(m === 18 ? [0] : lie, r.ints ? 'int32' : 'float32'), data]);
  }
  if (m < 22) return valid.subarray(0, Math.floor(valid.length * r.at)); // truncated
  if (m < 25) {
    const copy = Buffer.from(valid);
    for (let i = 0; i < r.bytes.length; i++) copy[Math.floor(r.at * copy.length + i * 7) % copy.length] = r.bytes[i];
    return copy;
  }
  if (m < 32) {
    const text = HEADER_TEXTS[(m + r.seed) % HEADER_TEXTS.length];
    const major = r.seed % 4 === 3 ? 2 : 1;
    const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
    const len = Buffer.alloc(major === 1 ? 2 : 4);
    const body = Buffer.from(`${text}\n`, 'latin1');
    const lie = r.seed % 5 === 0 ? 65535 : body.length;
    if (major === 1) len.writeUInt16LE(lie, 0);
    else len.writeUInt32LE(r.seed % 5 === 0 ? 0xffffffff : body.length, 0);
    return Buffer.concat([pre, len, body, Buffer.alloc(8 * (r.seed % 3))]);
  }
  if (m < 35) {
    // Other dtypes with data of the right size: float64 (maybe NaN bytes), int64 out of range, bool.
    const descr = ['<f8', '<i8', '|b1', '<u4', '<i2', '|u1'][r.seed % 6];
    const size = ({ '<f8': 8, '<i8': 8, '|b1': 1, '<u4': 4, '<i2': 2, '|u1': 1 } as Record<string, number>)[descr];
    const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${count}${count >= 0 ? ',' : ''}), }`;
    const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const body = Buffer.from(`${dict}\n`, 'latin1');
    const len = Buffer.alloc(2);
    len.writeUInt16LE(body.length, 0);
    const payload = Buffer.alloc(count * size);
    for (let i = 0; i < payload.length; i++) payload[i] = r.bytes[i % r.bytes.length];
    return Buffer.concat([pre, len, body, payload]);
  }
  return Buffer.from(r.bytes); // garbage
}

interface FileRecipe {
  type: 'npy' | 'npz' | 'csv' | 'json' | 'garbage';
  stem: number;
  ext: number;
  npy: NpyRecipe[];
  text: number;
  rows: number;
  cols: number;
  seed: number;
  zipMode: number;
}

const STEMS = ['x', 'y', 'x_train', 'data', '_a', 'b.c-d', 'constructor', '__proto__', 'toString', 'hasOwnProperty', '1bad', 'a b', '../../etc/passwd', 'dir/x', 'ü', 'x'.repeat(150), '', '.hidden', 'a\u0000b'];
const EXTS_BY_TYPE: Record<FileRecipe['type'], string[]> = {
  npy: ['.npy', '.npy', '.NPY', '.txt', ''],
  npz: ['.npz', '.npz', '.Npz', '.zip'],
  csv: ['.csv', '.csv', '.CSV', '.tsv'],
  json: ['.json', '.json', '.JSON', '.npy'],
  garbage: ['.npy', '.npz', '.csv', '.json', '.exe'],
};
const MEMBER_NAMES = ['a.npy', 'b.npy', 'x.npy', 'a.npy', 'dir/a.npy', '../a.npy', 'a.txt', '__proto__.npy', 'constructor.npy', '.npy', 'a/', 'é.npy'];

const fileRecipe: fc.Arbitrary<FileRecipe> = fc.record({
  type: fc.constantFrom<FileRecipe['type']>('npy', 'npy', 'npy', 'npz', 'npz', 'csv', 'json', 'garbage'),
  stem: fc.oneof({ weight: 6, arbitrary: fc.nat({ max: 5 }) }, { weight: 2, arbitrary: fc.nat({ max: STEMS.length - 1 }) }),
  ext: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 4 }) }),
  npy: fc.array(npyRecipe, { minLength: 1, maxLength: 3 }),
  text: fc.nat({ max: 40 }),
  rows: fc.nat({ max: 6 }),
  cols: fc.nat({ max: 4 }),
  seed: fc.nat({ max: 1000 }),
  zipMode: fc.nat({ max: 12 }),
});

function buildCsv(r: FileRecipe): string {
  const cols = 1 + r.cols;
  const names = ['a', 'b', 'c', 'label', 'd'].slice(0, cols);
  const values = fill(r.rows * cols, r.seed, false);
  const rows = Array.from({ length: r.rows }, (_, i) => values.slice(i * cols, (i + 1) * cols).join(','));
  const v = r.text % 16;
  if (v === 1) rows.push('1,2,3,4,5,6,7'.split(',').slice(0, cols + 1).join(','));
  if (v === 2) rows.push(names.map(() => 'nan').join(','));
  if (v === 3) rows.push(names.map(() => '1e39').join(','));
  if (v === 4) return rows.join('\n'); // no header
  if (v === 5) return `${names.join(',')},${names[0]}\n${rows.join('\n')}`; // duplicate column
  if (v === 6) return `\uFEFF# ${names.join(',')}\r\n${rows.join('\r\n')}\r\n`;
  if (v === 7) return `"${names.join('","')}"\n${rows.join('\n')}`;
  if (v === 8) return `${names.join(',')},\n${rows.join('\n')}`; // empty column name
  if (v === 9) return names.join(',');
  if (v === 10) return '';
  if (v === 11) return `${names.join(',')}\n${'9'.repeat(2_000_000)}`;
  if (v === 12) return `${PROTO_NAMES.slice(0, cols).join(',')}\n${rows.join('\n')}`;
  if (v === 13) rows.push(names.map(() => '').join(','));
  if (v === 14) rows.push(names.map(() => '0x1f').join(','));
  return `${names.join(',')}\n${rows.join('\n')}`;
}

function buildJsonFile(r: FileRecipe): string {
  const v = r.text % 12;
  const shape = [1 + r.rows, 1 + r.cols];
  const values = fill(prod(shape), r.seed, r.text % 2 === 0, 100);
  if (v === 0 || v === 1) return JSON.stringify(nest(values, shape));
  if (v === 2) return JSON.stringify([[1, 2], [3]]);
  if (v === 3) return JSON.stringify({ x: [1, 2] });
  if (v === 4) return '[1, 2,';
  if (v === 5) return JSON.stringify([1, '2']);
  if (v === 6) return '[1e39]';
  if (v === 7) return JSON.stringify([2 ** 31, -(2 ** 31) - 1, 3]);
  if (v === 8) return '['.repeat(100_000) + ']'.repeat(100_000);
  if (v === 9) return '[]';
  if (v === 10) return JSON.stringify([[[]]]);
  return JSON.stringify(5);
}

function buildNpz(r: FileRecipe): { data: Uint8Array; members: string[] } {
  const members = r.npy.map((n, i) => ({ name: r.zipMode < 6 ? ['a.npy', 'b.npy', 'c.npy'][i] : MEMBER_NAMES[(r.seed + i) % MEMBER_NAMES.length], data: buildNpy(n), method: (r.seed + i) % 2 ? 8 : 0 }) as { name: string; data: Uint8Array; method: 0 | 8; declaredSize?: number; badCrc?: boolean });
  const m = r.zipMode;
  if (m === 7) members[0].declaredSize = Math.max(0, members[0].data.length - 1);
  if (m === 8) members[0].declaredSize = members[0].data.length + 10;
  if (m === 9) members[0].badCrc = true;
  if (m === 10) members[0].declaredSize = 0xffffffff;
  let data: Uint8Array = zip(members);
  if (m === 11) data = data.subarray(0, Math.floor(data.length / 2));
  if (m === 12) data = zip([]);
  return { data, members: members.map((x) => x.name.replace(/\.npy$/, '')) };
}

function buildFile(r: FileRecipe): UploadPartSpec {
  const exts = EXTS_BY_TYPE[r.type];
  const filename = `${STEMS[r.stem % STEMS.length]}${exts[r.ext % exts.length]}`;
  switch (r.type) {
    case 'npy':
      return { field: 'file', filename, data: buildNpy(r.npy[0]) };
    case 'npz': {
      const { data, members } = buildNpz(r);
      return { field: 'file', filename, data, members };
    }
    case 'csv':
      return { field: 'file', filename, data: Buffer.from(buildCsv(r)) };
    case 'json':
      return { field: 'file', filename, data: Buffer.from(buildJsonFile(r)) };
    case 'garbage':
      return { field: 'file', filename, data: r.npy[0].bytes };
  }
}

export const uploadCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    files: fc.array(fileRecipe, { minLength: 1, maxLength: 3 }),
    extra: fc.nat({ max: 12 }),
    framing: fc.oneof({ weight: 10, arbitrary: fc.constant<Framing>('ok') }, { weight: 1, arbitrary: fc.constantFrom<Framing>('truncated', 'no-final-boundary', 'wrong-boundary', 'no-boundary-param', 'lf-only') }),
    cut: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ files, extra, framing, cut }) => {
    const parts = files.map(buildFile);
    if (extra === 1) parts.push({ field: 'note', data: Buffer.from('hello') });
    if (extra === 2) parts[0] = { ...parts[0], field: 'files' };
    if (extra === 3) parts[0] = { ...parts[0], filename: undefined };
    if (extra === 4) parts.push({ ...parts[0] }); // the same file twice
    if (extra === 5) parts.length = 0;
    if (extra === 6) parts[0] = { ...parts[0], filename: '' };
    return { kind: 'upload' as const, cat: parts.length && parts.every((p) => p.field === 'file' && p.filename) ? 'upload' : 'upload-form', parts, framing, cut };
  });

// ---------------------------------------------------------------------------------------------
// URLs: odd ids, encodings and traversal attempts on the read routes (and DELETE of what does not exist)

export const urlCase = (ctx: FuzzContext): fc.Arbitrary<FuzzCase> => {
  const model = ctx.models[0]?.id ?? 'm';
  const ds = ctx.datasets[0]?.id ?? 'd';
  const long = 'x'.repeat(101);
  const gets = [
    '/v1/jobs/%zz', '/v1/jobs/%E0%A4%A', `/v1/jobs/${long}`, `/v1/models/${long}`, `/v1/datasets/${long}`, '/v1/models/..%2F..%2Fetc', '/v1/models/%2e%2e',
    `/v1/models/${model}/files/..%2F..%2Finfo.json`, `/v1/models/${model}/files/final/..%2F..%2F..%2Fetc%2Fpasswd`, `/v1/models/${model}/files/checkpoints/epoch_1/state.json`,
    `/v1/models/${model}/files/checkpoints/..%2F..%2Finfo.json`, `/v1/models/${model}/files/checkpoints/constructor/state.json`, `/v1/models/${model}/files/final/%00`,
    `/v1/models/${model}/archive?checkpoint=../../x`, `/v1/models/${model}/archive?checkpoint=constructor`, `/v1/models/${model}/archive?checkpoint=epoch_1`, `/v1/models/${model}/archive`,
    '/v1/jobs?limit=0', '/v1/jobs?limit=abc', '/v1/jobs?limit=100', '/v1/jobs?cursor=constructor', '/v1/jobs?cursor=', '/v1/jobs?state=constructor', '/v1/jobs?type=fit&state=queued',
    `/v1/datasets/${ds}`, '/v1/datasets/..', '/v1/datasets/%00', '/v1/datasets/constructor', '/v1/jobs/x/result/..%2F..%2Fx.npy', '/v1/jobs/constructor/result/predictions.npy',
    `/v1/models/${model}`, '/v1/models', '/v1/models?limit=-1', '/health', '/v1/jobs/nope/events', `/v1/models/${model}/files/`, '/v1/nope', '//v1/jobs', '/v1/jobs/',
  ];
  const deletes = ['/v1/jobs/nope', '/v1/jobs/constructor', `/v1/jobs/${long}`, '/v1/models/nope', '/v1/models/..%2F..', '/v1/datasets/nope', '/v1/datasets/..', '/v1/datasets/constructor', '/v1/datasets/%2e%2e', '/v1/jobs/%zz'];
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...gets).map((path) => ({ kind: 'url' as const, cat: 'url-get', method: 'GET' as const, path })) },
    { weight: 2, arbitrary: fc.constantFrom(...deletes).map((path) => ({ kind: 'url' as const, cat: 'url-delete', method: 'DELETE' as const, path })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom('/v1/jobs/', '/v1/models/', '/v1/datasets/', `/v1/models/${model}/files/`, `/v1/models/${model}/archive?checkpoint=`), fc.string({ unit: 'binary', maxLength: 40 }))
        .map(([prefix, tail]) => ({ kind: 'url' as const, cat: 'url-get', method: 'GET' as const, path: `${prefix}${encodeURIComponent(tail)}` })),
    },
  );
};

/** An Idempotency-Key for some job requests, and sometimes the same request sent twice. */
const idempotency = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.record({ key: fc.uuid(), twice: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ key: fc.constantFrom(' ', 'x'.repeat(200), 'x'.repeat(201), 'constructor', '__proto__', 'a b'), twice: fc.boolean() }) },
);

const withKey = (arb: fc.Arbitrary<FuzzCase>): fc.Arbitrary<FuzzCase> =>
  fc.tuple(arb, idempotency).map(([c, idem]) => (c.kind === 'job' && idem ? { ...c, idempotencyKey: idem.key, twice: idem.twice } : c));

// ---------------------------------------------------------------------------------------------
// Everything

export const fuzzCase = (ctx: FuzzContext): fc.Arbitrary<FuzzCase> =>
  withKey(fc.oneof(
    { weight: 10, arbitrary: tutorialJob(ctx).map((body) => ({ kind: 'job' as const, cat: 'tutorial', body })) },
    { weight: 14, arbitrary: graphJob(ctx, false).map((body) => ({ kind: 'job' as const, cat: 'graph', body })) },
    { weight: 6, arbitrary: graphJob(ctx, true).map((body) => ({ kind: 'job' as const, cat: 'graph-strict', body })) },
    { weight: 24, arbitrary: mutatedJob(ctx).map((body) => ({ kind: 'job' as const, cat: 'mutation', body })) },
    { weight: 10, arbitrary: evalPredictCase(ctx) },
    { weight: 4, arbitrary: resumeJob(ctx).map((body) => ({ kind: 'job' as const, cat: 'resume', body })) },
    { weight: 8, arbitrary: datasetJob(ctx).map((body) => ({ kind: 'job' as const, cat: 'dataset-job', body })) },
    { weight: 5, arbitrary: callbackJob.map((body) => ({ kind: 'job' as const, cat: 'callback-job', body })) },
    { weight: 4, arbitrary: protoNameJob.map((body) => ({ kind: 'job' as const, cat: 'proto-names', body })) },
    { weight: 8, arbitrary: rawCase(ctx) },
    { weight: 16, arbitrary: uploadCase },
    { weight: 6, arbitrary: urlCase(ctx) },
  ));

/** Small fit jobs a worker can run: epochs 1–2, at most 64 samples. */
export const validFitJob = (ctx: FuzzContext): fc.Arbitrary<Record<string, unknown>> => graphJob(ctx, true);
