/**
 * Keras weights in HDF5, through h5wasm (the HDF5 C library built to WebAssembly): Keras 3's
 * model.weights.h5 (inside a .keras archive) and tf.keras 2's legacy .h5 model files. Bytes in,
 * bytes out: files live only in Emscripten's in-memory file system.
 *
 * Keras 3 (saving_lib.H5IOStore) does not address a layer by its name but by the snake_case of its
 * class, made unique per class in model.layers order: the second Dense is layers/dense_1 whatever
 * it is called. Each layer's variables are datasets vars/0..n-1 in get_weights() order; RNN layers
 * (LSTM, GRU, SimpleRNN) keep theirs under cell/vars. Newer Keras also tags each vars group with a
 * `name` attribute holding the layer's name.
 *
 * Legacy .h5 (tf.keras 2, or Keras 3 saving to a path ending in .h5): root attributes model_config
 * and training_config (JSON), group model_weights with attribute layer_names, and per layer a group
 * with attribute weight_names whose entries are dataset paths relative to it ("dense/kernel:0").
 */
import type { Dataset as H5Dataset, File as H5File, Group as H5Group } from 'h5wasm';
import { KerasImportError, type KerasArray, type KerasIssue, type KerasWeights } from './types.ts';
import { kerasSnakeCase } from '../spec/layers/layer-def.ts';

export { kerasSnakeCase };

/** A top-level layer as the model config lists it. */
export interface KerasLayerRef {
  name: string;
  class_name: string;
  /** A nested model's own model.layers, which name the groups under its layers/ group. */
  layers?: KerasLayerRef[];
}

/**
 * A nested model's variables: its layers' groups (layers/<path>) in its model.layers order, which
 * is the order of Keras's get_weights() for that model (a sorted walk could put a
 * batch_normalization before the dense it follows).
 */
function nestedVars(group: H5Group, ref: KerasLayerRef, pointer: string, budget?: ValueBudget): KerasArray[] {
  const container = childGroup(group, 'layers');
  if (!container) return [];
  const paths = keras3LayerPaths(ref.layers!.map((l) => l.class_name));
  return ref.layers!.flatMap((inner, i) => {
    const g = childGroup(container, paths[i]);
    if (!g) return [];
    return inner.layers ? nestedVars(g, inner, `${pointer}/layers/${paths[i]}`, budget) : layerVars(g, `${pointer}/layers/${paths[i]}`, budget);
  });
}

export interface LegacyH5 {
  /** The parsed model_config attribute; undefined for a weights-only file. */
  modelConfig: unknown;
  trainingConfig?: unknown;
  weights: KerasWeights;
  kerasVersion?: string;
  backend?: string;
}

export interface WriteWeightsOptions {
  /** Keras tags the root vars group with the model's name (config.config.name). */
  modelName?: string;
}

type H5wasm = typeof import('h5wasm');
interface MemFs {
  writeFile(path: string, data: Uint8Array): void;
  readFile(path: string): Uint8Array;
  unlink(path: string): void;
}

let h5: H5wasm | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads the WebAssembly module (about 0.3 s and 40 MB once per process). Loaded on first use rather
 * than at import, so that processes which never see an HDF5 file do not pay for it; the functions
 * below are synchronous and need this awaited once before.
 */
export function h5Ready(): Promise<void> {
  loading ??= (async () => {
    // The package's default (ESM) build keeps files in MEMFS; its 'h5wasm/node' build is compiled
    // with NODERAWFS and can only open files on the host disk.
    const mod = await import('h5wasm');
    const module = await mod.ready;
    // Otherwise HDF5 prints its error stack to stderr and File() returns an invalid id (-1) instead of throwing.
    module.activate_throwing_error_handler();
    h5 = mod;
  })();
  return loading;
}

function lib(): H5wasm {
  if (!h5) throw new Error('h5wasm is not loaded: await h5Ready() before reading or writing HDF5');
  return h5;
}

function memFs(): MemFs {
  return lib().Module.FS as unknown as MemFs;
}

let fileSeq = 0;
const memPath = () => `/keras-jobs-${process.pid}-${++fileSeq}.h5`;

/** HDF5's error text is a stack of "#00N: file line N in fn(): reason"; the innermost reason says most. */
export function hdf5Reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const reasons = [...text.matchAll(/#\d+: .* in [\w.]+\(\): (.*)$/gm)].map((m) => m[1].trim());
  return reasons.at(-1) ?? text.split('\n')[0];
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** HDF5's signature sits at 0, or after a user block at 512, 1024, 2048, ... */
export function hasHdf5Signature(bytes: Uint8Array): boolean {
  for (let at = 0; at + 8 <= bytes.length; at = at === 0 ? 512 : at * 2) {
    if (SIGNATURE.every((b, i) => bytes[at + i] === b)) return true;
  }
  return false;
}

/** Opens bytes as a read-only HDF5 file for the duration of `read`. */
function withFile<T>(bytes: Uint8Array, where: string, read: (file: H5File) => T): T {
  const { File } = lib();
  if (!hasHdf5Signature(bytes)) throw new KerasImportError([{ pointer: where, message: 'is not an HDF5 file (no HDF5 signature)' }]);
  const fs = memFs();
  const path = memPath();
  fs.writeFile(path, bytes);
  try {
    let file: H5File;
    try {
      file = new File(path, 'r');
    } catch (err) {
      throw new KerasImportError([{ pointer: where, message: `cannot be read as HDF5: ${hdf5Reason(err)}` }]);
    }
    try {
      return read(file);
    } catch (err) {
      if (err instanceof KerasImportError) throw err;
      throw new KerasImportError([{ pointer: where, message: `cannot be read as HDF5: ${hdf5Reason(err)}` }]);
    } finally {
      file.close();
    }
  } finally {
    fs.unlink(path);
  }
}

function childGroup(group: H5Group, name: string): H5Group | undefined {
  const child = group.keys().includes(name) ? group.get(name) : null;
  return child instanceof lib().Group ? child : undefined;
}

function attrJson(obj: Pick<H5Group, 'attrs'>, name: string): unknown {
  return Object.hasOwn(obj.attrs, name) ? obj.attrs[name].json_value : undefined;
}

function attrString(obj: H5Group, name: string): string | undefined {
  const v = attrJson(obj, name);
  return typeof v === 'string' ? v : undefined;
}

/**
 * A list of strings stored as an attribute. Keras splits one that would pass HDF5's 64 KB object
 * header limit into name0, name1, ...; an empty list is stored as an empty float64 array.
 */
function stringListAttr(obj: H5Group, name: string, pointer: string): string[] {
  const keys = Object.keys(obj.attrs);
  const parts = keys.includes(name) ? [name] : [];
  for (let i = 0; !keys.includes(name) && keys.includes(`${name}${i}`); i++) parts.push(`${name}${i}`);
  if (!parts.length) throw new KerasImportError([{ pointer, message: `has no "${name}" attribute` }]);
  const out: string[] = [];
  for (const part of parts) {
    const v = obj.attrs[part].json_value;
    const list = Array.isArray(v) ? v : [v];
    for (const s of list) {
      if (typeof s !== 'string') throw new KerasImportError([{ pointer, message: `attribute "${part}" is not a list of strings` }]);
      out.push(s);
    }
  }
  return out;
}

const FLOAT = 1;
const INTEGER = 0;
const OPAQUE = 5;

/**
 * How many values a layer may still read: the layer's own parameter count, when the model is
 * known. A dataset's shape is checked against it before its data is read, so a small file that
 * declares (and compresses) a huge dataset costs nothing.
 */
export interface ValueBudget {
  layer: string;
  left: number;
}

function readArray(ds: H5Dataset, pointer: string, budget?: ValueBudget): KerasArray {
  const md = ds.metadata;
  const shape = md.shape ?? [];
  const count = shape.reduce((a, b) => a * b, 1);
  if (budget) {
    if (count > budget.left) {
      throw new KerasImportError([{ pointer, message: `has shape [${shape}] (${count} values), more than the ${budget.left} that layer "${budget.layer}" has left of its parameters` }]);
    }
    budget.left -= count;
  }
  let data: Float32Array;
  const fail = (what: string): never => {
    throw new KerasImportError([{ pointer, message: `${what}; only float32 weights (or float64, integer, bfloat16, converted) can be imported` }]);
  };
  if (md.type === FLOAT && (md.size === 4 || md.size === 8)) {
    data = toFloat32(ds.value);
  } else if (md.type === INTEGER) {
    data = toFloat32(ds.value);
  } else if (md.type === OPAQUE && md.size === 2 && attrJson(ds, 'dtype') === 'bfloat16') {
    // Keras stores bfloat16 as 2 opaque bytes: the upper half of a float32.
    const raw = ds.value as Uint8Array;
    const bits = new Uint32Array(count);
    for (let i = 0; i < count; i++) bits[i] = (raw[2 * i] | (raw[2 * i + 1] << 8)) << 16;
    data = new Float32Array(bits.buffer);
  } else {
    return fail(md.type === FLOAT ? `is a ${md.size * 8}-bit float dataset` : `has HDF5 type class ${md.type} (size ${md.size})`);
  }
  if (data.length !== count) fail(`holds ${data.length} values for shape [${shape}]`);
  return { shape, data };
}

/** h5wasm gives a number (or bigint) for a scalar dataset and a typed array otherwise. */
function toFloat32(value: unknown): Float32Array {
  if (value instanceof Float32Array) return value;
  if (typeof value === 'number' || typeof value === 'bigint') return Float32Array.of(Number(value));
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) return Float32Array.from(value, Number);
  if (ArrayBuffer.isView(value)) return Float32Array.from(value as unknown as ArrayLike<number>);
  throw new Error(`unexpected dataset value ${typeof value}`);
}

/** `name` may be a path below the group: legacy weight names are ("lstm/lstm_cell/kernel:0"). */
function dataset(group: H5Group, name: string): H5Dataset | undefined {
  let entity: unknown;
  try {
    entity = group.get(name);
  } catch {
    return undefined; // HDF5 reports a missing link as an error
  }
  return entity instanceof lib().Dataset ? entity : undefined;
}

/** Datasets vars/0..n-1 of one Keras 3 object; any other key in vars is a malformed file. */
function ownVars(group: H5Group, pointer: string, budget?: ValueBudget): KerasArray[] {
  const vars = childGroup(group, 'vars');
  if (!vars) return [];
  const keys = vars.keys();
  const out: KerasArray[] = [];
  for (let i = 0; i < keys.length; i++) {
    const ds = keys.includes(String(i)) ? dataset(vars, String(i)) : undefined;
    if (!ds) throw new KerasImportError([{ pointer: `${pointer}/vars`, message: `holds ${keys.join(', ')}; expected datasets 0..${keys.length - 1}` }]);
    out.push(readArray(ds, `${pointer}/vars/${i}`, budget));
  }
  return out;
}

/**
 * Sub-objects whose variables belong to a layer's get_weights(), in that order: an RNN's cell, a
 * Bidirectional's forward then backward layer, a wrapper's layer. Others (nested models' `layers`)
 * follow in name order, which is Keras's order only when names sort as the layers were added.
 */
const CHILD_ORDER = ['cell', 'forward_layer', 'backward_layer', 'layer', 'query_dense', 'key_dense', 'value_dense', 'output_dense'];

function layerVars(group: H5Group, pointer: string, budget?: ValueBudget): KerasArray[] {
  const out = ownVars(group, pointer, budget);
  const children = group.keys().filter((k) => k !== 'vars');
  children.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const name of children) {
    const child = childGroup(group, name);
    if (!child) continue;
    if (name === 'layers') {
      for (const sub of child.keys().sort()) {
        const g = childGroup(child, sub);
        if (g) out.push(...layerVars(g, `${pointer}/layers/${sub}`, budget));
      }
    } else {
      out.push(...layerVars(child, `${pointer}/${name}`, budget));
    }
  }
  return out;
}

const rank = (name: string) => {
  const i = CHILD_ORDER.indexOf(name);
  return i < 0 ? CHILD_ORDER.length : i;
};


/** Values each top-level layer may read (its parameter count); a layer left out reads nothing. */
export type LayerBudgets = Record<string, number>;

function budgetOf(budgets: LayerBudgets | undefined, layer: string): ValueBudget | undefined {
  return budgets && { layer, left: Object.hasOwn(budgets, layer) ? budgets[layer] : 0 };
}

/** The group name of each layer under layers/ (saving_lib._save_container_state's naming). */
export function keras3LayerPaths(classNames: readonly string[]): string[] {
  const used = new Map<string, number>();
  return classNames.map((cls) => {
    const base = kerasSnakeCase(cls);
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    return n === undefined ? base : `${base}_${n + 1}`;
  });
}

/**
 * Weights of a Keras 3 model.weights.h5 per top-level layer name, each list in get_weights()
 * order. `layers` are the model config's layers in order. With class names the groups are found
 * as Keras finds them (by class and position); with names alone, by the vars groups' `name`
 * attribute, which recent Keras 3 releases write (3.15 does) and older files lack. Optimizer variables are ignored.
 * Layers without weights are left out.
 */
export function readKeras3WeightsH5(bytes: Uint8Array, layers: ReadonlyArray<string | KerasLayerRef>, where = '/model.weights.h5', budgets?: LayerBudgets): KerasWeights {
  const refs = layers.map((l) => (typeof l === 'string' ? { name: l, class_name: undefined } : l));
  return withFile(bytes, where, (file) => {
    // Files written by tf.keras 2.13-2.15's .keras format name the container differently.
    const containerName = childGroup(file, 'layers') ? 'layers' : childGroup(file, '_layer_checkpoint_dependencies') ? '_layer_checkpoint_dependencies' : undefined;
    if (!containerName) {
      if (childGroup(file, 'model_weights') || Object.hasOwn(file.attrs, 'layer_names')) {
        throw new KerasImportError([{ pointer: where, message: 'is a legacy Keras .h5 file (model_weights / layer_names), not a Keras 3 weights file' }]);
      }
      return {}; // a model whose layers hold no variables
    }
    const container = childGroup(file, containerName)!;
    const groups = new Map<string, string>(); // layer name → group key
    const issues: KerasIssue[] = [];
    if (refs.every((r) => r.class_name !== undefined)) {
      const paths = keras3LayerPaths(refs.map((r) => r.class_name!));
      refs.forEach((r, i) => groups.set(r.name, paths[i]));
    } else {
      const byName = new Map<string, string>();
      for (const key of container.keys()) {
        const group = childGroup(container, key);
        const vars = group && childGroup(group, 'vars');
        const name = vars && attrString(vars, 'name');
        if (name !== undefined) byName.set(name, key);
      }
      for (const r of refs) {
        const key = byName.get(r.name);
        if (key !== undefined) groups.set(r.name, key);
      }
      if (byName.size === 0 && container.keys().length > 0) {
        issues.push({ pointer: `${where}/${containerName}`, message: 'its layer groups carry no name attribute (written by an older Keras 3); the layers\' class names are needed to match them' });
      }
    }
    const weights: KerasWeights = {};
    for (const r of refs) {
      const key = groups.get(r.name);
      const group = key === undefined ? undefined : childGroup(container, key);
      if (!group) continue; // Keras, too, loads nothing for a layer whose group is absent
      const budget = budgetOf(budgets, r.name);
      if (budget?.left === 0) continue;
      try {
        const at = `${where}/${containerName}/${key}`;
        const arrays = 'layers' in r && r.layers ? nestedVars(group, r as KerasLayerRef, at, budget) : layerVars(group, at, budget);
        if (arrays.length) weights[r.name] = arrays;
      } catch (err) {
        if (!(err instanceof KerasImportError)) throw err;
        issues.push(...err.issues);
      }
    }
    if (issues.length) throw new KerasImportError(issues);
    return weights;
  });
}

/**
 * A legacy Keras .h5: a full model (model_config + model_weights) or weights only (layer_names at
 * the root, as tf.keras 2's save_weights('x.h5') writes).
 */
export function readLegacyH5(bytes: Uint8Array, where = '', budgetsFor?: (modelConfig: unknown) => LayerBudgets): LegacyH5 {
  return withFile(bytes, where, (file) => {
    const issues: KerasIssue[] = [];
    const json = (name: string): unknown => {
      const text = attrString(file, name);
      if (text === undefined) return undefined;
      try {
        return JSON.parse(text);
      } catch (err) {
        issues.push({ pointer: `${where}/${name}`, message: `is not valid JSON: ${(err as Error).message}` });
        return undefined;
      }
    };
    const modelConfig = json('model_config');
    const trainingConfig = json('training_config');
    const weightsGroup = childGroup(file, 'model_weights') ?? (Object.keys(file.attrs).some((k) => /^layer_names\d*$/.test(k)) ? file : undefined);
    if (!weightsGroup) {
      const hint = childGroup(file, 'layers') || childGroup(file, 'vars') ? ': it looks like a Keras 3 weights file (model.save_weights), which holds no architecture; upload the .keras file instead' : '';
      throw new KerasImportError([{ pointer: where, message: `is not a Keras .h5 model: no model_weights group and no layer_names attribute${hint}` }]);
    }
    const at = weightsGroup === file ? where : `${where}/model_weights`;
    if (budgetsFor && issues.length) throw new KerasImportError(issues);
    // Without an architecture nothing is owed a budget, so nothing is read (the caller refuses such a file).
    const budgets = budgetsFor && (modelConfig === undefined ? {} : budgetsFor(modelConfig));
    const weights: KerasWeights = {};
    for (const name of stringListAttr(weightsGroup, 'layer_names', at)) {
      const budget = budgetOf(budgets, name);
      if (budget?.left === 0) continue;
      const group = childGroup(weightsGroup, name);
      if (!group) {
        issues.push({ pointer: `${at}/${name}`, message: 'is listed in layer_names but missing' });
        continue;
      }
      try {
        const arrays = stringListAttr(group, 'weight_names', `${at}/${name}`).map((w) => {
          const ds = dataset(group, w);
          if (!ds) throw new KerasImportError([{ pointer: `${at}/${name}/${w}`, message: 'is listed in weight_names but missing' }]);
          return readArray(ds, `${at}/${name}/${w}`, budget);
        });
        if (arrays.length) weights[name] = arrays;
      } catch (err) {
        if (!(err instanceof KerasImportError)) throw err;
        issues.push(...err.issues);
      }
    }
    if (issues.length) throw new KerasImportError(issues);
    const kerasVersion = attrString(file, 'keras_version') ?? attrString(weightsGroup, 'keras_version');
    const backend = attrString(file, 'backend') ?? attrString(weightsGroup, 'backend');
    return { modelConfig, ...(trainingConfig !== undefined && { trainingConfig }), weights, ...(kerasVersion && { kerasVersion }), ...(backend && { backend }) };
  });
}

/** Layers whose variables Keras keeps in their cell (RNN.cell), under <layer>/cell/vars. */
const CELL_LAYERS = new Set(['LSTM', 'GRU', 'SimpleRNN', 'ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D']);
/** Layers whose variables live in sub-objects this writer cannot lay out from a flat list. */
const NESTED_LAYERS = new Set(['RNN', 'StackedRNNCells', 'Sequential', 'Functional', 'Model']);

/**
 * Layers whose variables Keras keeps in named sub-objects, each a run of the flat list: the groups
 * (paths below the layer) and how many variables each holds, from the layer's own count.
 */
const SUB_OBJECTS: Record<string, (count: number) => Array<[string[], number]>> = {
  // query, key, value and output EinsumDense: kernel and bias each (kernel alone without use_bias).
  MultiHeadAttention: (n) => ['query_dense', 'key_dense', 'value_dense', 'output_dense'].map((g) => [[g], n / 4]),
  // The forward RNN's cell, then the backward one's.
  Bidirectional: (n) => [[['forward_layer', 'cell'], n / 2], [['backward_layer', 'cell'], n / 2]],
  // The wrapped layer's own (the service wraps no recurrent layer, whose variables would sit in its cell).
  TimeDistributed: (n) => [[['layer'], n]],
};

/**
 * model.weights.h5 as Keras 3 writes it for these layers (`layers` = model.layers in order: for a
 * Sequential, without its InputLayer), so keras.saving.load_model finds every variable. Optimizer
 * state is not written; Keras then warns and starts the optimizer afresh.
 */
export function writeKeras3WeightsH5(weights: KerasWeights, layers: ReadonlyArray<KerasLayerRef>, options: WriteWeightsOptions = {}): Uint8Array {
  const { File } = lib();
  const names = new Set<string>();
  // A nested model's weights come per layer of its own, under those layers' names.
  const visit = (ls: ReadonlyArray<KerasLayerRef>): void => {
    for (const l of ls) {
      if (names.has(l.name)) throw new Error(`writeKeras3WeightsH5: two layers are named "${l.name}"`);
      names.add(l.name);
      if (l.layers) visit(l.layers);
    }
  };
  visit(layers);
  for (const [name, arrays] of Object.entries(weights)) {
    if (!names.has(name)) throw new Error(`writeKeras3WeightsH5: weights for "${name}", which is not among the layers`);
    arrays.forEach((a, i) => {
      const count = a.shape.reduce((x, y) => x * y, 1);
      if (a.data.length !== count) throw new Error(`writeKeras3WeightsH5: ${name}[${i}] has ${a.data.length} values for shape [${a.shape}]`);
    });
  }
  const fs = memFs();
  const path = memPath();
  // HDF5 1.8-compatible objects, so that any h5py (and so any Keras 3) reads the file.
  const file = new File(path, 'w', { libver: ['earliest', 'v110'] });
  try {
    file.create_group('vars').create_attribute('name', options.modelName ?? 'functional');
    const writeLayers = (container: H5Group, ls: ReadonlyArray<KerasLayerRef>): void => {
      const paths = keras3LayerPaths(ls.map((l) => l.class_name));
      ls.forEach((layer, i) => {
        const arrays = weights[layer.name] ?? [];
        if (arrays.length && layer.layers) throw new Error(`writeKeras3WeightsH5: give the weights of nested model "${layer.name}" per layer of its own`);
        if (arrays.length && NESTED_LAYERS.has(layer.class_name)) {
          throw new Error(`writeKeras3WeightsH5: cannot lay out the weights of ${layer.class_name} layer "${layer.name}" (nested layers)`);
        }
        const group = container.create_group(paths[i]);
        const own = group.create_group('vars');
        own.create_attribute('name', layer.name);
        if (layer.layers) {
          writeLayers(group.create_group('layers'), layer.layers);
          return;
        }
        const parts = SUB_OBJECTS[layer.class_name]?.(arrays.length);
        if (parts) {
          let at = 0;
          for (const [groups, count] of parts) {
            let g = group;
            for (const name of groups) g = g.create_group(name);
            const vars = g.create_group('vars');
            vars.create_attribute('name', groups.at(-1)!);
            arrays.slice(at, at + count).forEach((a, j) => vars.create_dataset({ name: String(j), data: a.data, shape: a.shape, dtype: '<f' }));
            at += count;
          }
          return;
        }
        let target = own;
        if (CELL_LAYERS.has(layer.class_name)) {
          target = group.create_group('cell').create_group('vars');
          target.create_attribute('name', `${kerasSnakeCase(layer.class_name)}_cell`);
        }
        arrays.forEach((a, j) => target.create_dataset({ name: String(j), data: a.data, shape: a.shape, dtype: '<f' }));
      });
    };
    writeLayers(file.create_group('layers'), layers);
  } finally {
    file.close();
  }
  try {
    return fs.readFile(path);
  } finally {
    fs.unlink(path);
  }
}
