/**
 * Keras model JSON → our model and compile spec. Takes what `model.to_json()` returns (string or
 * parsed) or a `.keras` archive's config.json, from Keras 3 and from tf.keras 2 / Keras 2 (for a
 * legacy .h5: its model_config, with its training_config attribute as a `training_config` key).
 *
 * Keras writes every option, mostly at its default; options at Keras's default are dropped, the
 * rest kept in our (Keras kwargs) form. Anything the service would not run as Keras does is an
 * issue, never silently dropped: all issues are collected and thrown as one KerasImportError whose
 * pointers are JSON pointers into the given JSON.
 */
import { LOSSES, METRICS, OPTIMIZERS, objectOptionProblem, resolve, supported, type Family } from '../spec/catalog.ts';
import { resolveCompile } from '../spec/compile.ts';
import { MODEL_CLASSES, checkGraph, normalizeModel, type CheckedGraph } from '../spec/graph.ts';
import { ACTIVATIONS, activationName } from '../spec/activations.ts';
import { INITIALIZERS } from '../spec/initializers.ts';
import { LAYERS, layerDef, layerOptionProblem, sameValue } from '../spec/layers/index.ts';
import { REGULARIZERS } from '../spec/regularizers.ts';
import { SpecError, pointer } from '../spec/problem.ts';
import type { CompileSpec, GraphModel, Identifier, InputSpec, LayerSpec, TensorRef } from '../spec/schema.ts';
import { KERAS_INITIALIZERS, KERAS_LAYERS, canonicalLayerClass, kerasInitializerClass, type KerasObject } from './to-keras-json.ts';
import { KerasImportError, type KerasIssue } from './types.ts';

type Json = Record<string, unknown>;

export interface FromKerasResult {
  model: GraphModel;
  /** Present when the JSON carries a non-empty compile_config (a compiled model, a .keras archive). */
  compile?: CompileSpec;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

/** The shortest decimal that is the same float32: Keras writes float32 variables back widened (0.0010000000474974513). */
function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || Math.fround(x) !== x || Number.isInteger(x)) return x;
  for (let p = 1; p <= 9; p++) {
    const v = Number(x.toPrecision(p));
    if (Math.fround(v) === x) return v;
  }
  return x;
}

/** {module, class_name, config, registered_name, shared_object_id} (Keras 3) or {class_name, config} (Keras 2) → short form. */
function unwrap(v: unknown): { class_name: string; config: unknown; registered_name?: unknown; module?: unknown } | undefined {
  if (!isObject(v) || typeof v.class_name !== 'string') return undefined;
  return { class_name: v.class_name, config: v.config ?? {}, registered_name: v.registered_name, module: v.module };
}

const NAME = /^[A-Za-z0-9_.\-]+$/;

class Collector {
  readonly issues: KerasIssue[] = [];
  add(at: string, message: string): void {
    this.issues.push({ pointer: at, message });
  }
}

// ----------------------------------------------------------------------------- option values

const SUPPORTED_INITIALIZERS = Object.keys(INITIALIZERS).join(', ');
const TUPLE_KEYS = new Set(['kernel_size', 'strides', 'dilation_rate', 'pool_size']);

/**
 * Keras 2.2 wrote glorot_uniform and friends as VarianceScaling; naming them lets them compare
 * equal to Keras 3's defaults (and the engine builds named ones, not VarianceScaling's config).
 */
function namedVarianceScaling(cfg: Json): string | undefined {
  const dist = cfg.distribution === 'normal' ? 'truncated_normal' : cfg.distribution;
  const key = `${cfg.scale ?? 1}/${cfg.mode ?? 'fan_in'}/${dist ?? 'truncated_normal'}`;
  const table: Record<string, string> = {
    '1/fan_avg/uniform': 'GlorotUniform', '1/fan_avg/truncated_normal': 'GlorotNormal',
    '2/fan_in/uniform': 'HeUniform', '2/fan_in/truncated_normal': 'HeNormal',
    '1/fan_in/uniform': 'LecunUniform', '1/fan_in/truncated_normal': 'LecunNormal',
  };
  return table[key];
}

type Canon = { value: unknown } | { error: string };

/** An initializer as {class_name: Keras 3 class, config: full Keras 3 config}. */
function canonicalInitializer(raw: unknown): Canon {
  const obj = unwrap(raw);
  const name = typeof raw === 'string' ? raw : obj?.class_name;
  const given = obj && isObject(obj.config) ? obj.config : {};
  let cls = typeof name === 'string' ? kerasInitializerClass(name) : undefined;
  if (!cls || (typeof obj?.registered_name === 'string' && obj.registered_name.includes('>'))) {
    return { error: `initializer ${show(raw)} is not supported; supported: ${SUPPORTED_INITIALIZERS}` };
  }
  const config: Json = { ...KERAS_INITIALIZERS[cls] };
  for (const [k, v] of Object.entries(given)) {
    if (Object.hasOwn(config, k)) config[k] = v;
    else if (v !== null && k !== 'dtype') return { error: `initializer ${cls} option "${k}" = ${show(v)} is not supported` };
  }
  if (cls === 'VarianceScaling') {
    const named = namedVarianceScaling(config);
    if (named) {
      cls = named;
      for (const k of ['scale', 'mode', 'distribution']) delete config[k];
    }
  }
  return { value: { class_name: cls, config } };
}

function canonicalRegularizer(raw: unknown): Canon {
  if (raw === null || raw === undefined) return { value: null };
  const obj = unwrap(raw);
  const name = typeof raw === 'string' ? raw : obj?.class_name;
  const lower = typeof name === 'string' ? name.toLowerCase().replace('_', '') : '';
  const cls = lower === 'l1' ? 'L1' : lower === 'l2' ? 'L2' : lower === 'l1l2' ? 'L1L2' : undefined;
  if (!cls) return { error: `regularizer ${show(raw)} is not supported; supported: ${REGULARIZERS.join(', ')}` };
  const defaults: Json = cls === 'L1' ? { l1: 0.01 } : cls === 'L2' ? { l2: 0.01 } : { l1: 0, l2: 0 };
  const config: Json = { ...defaults, ...(obj && isObject(obj.config) ? obj.config : {}) };
  // Keras 2 wrote l2(x) as L1L2 with l1 = 0.
  if (cls === 'L1L2' && config.l1 === 0) return { value: { class_name: 'L2', config: { l2: config.l2 } } };
  if (cls === 'L1L2' && config.l2 === 0) return { value: { class_name: 'L1', config: { l1: config.l1 } } };
  return { value: { class_name: cls, config } };
}

function canonicalActivation(raw: unknown): Canon {
  const canon = typeof raw === 'string' || raw === null || raw === undefined ? activationName(raw) : undefined;
  if (canon === undefined) return { error: `activation ${show(raw)} is not supported; supported: ${ACTIVATIONS.join(', ')}` };
  return { value: canon };
}

/** One Keras config value in a form comparable with Keras's default and writable into our spec. */
function canonical(cls: string, key: string, raw: unknown): Canon {
  if (key.endsWith('_initializer')) return raw === null ? { value: null } : canonicalInitializer(raw);
  if (key.endsWith('_regularizer')) return canonicalRegularizer(raw);
  if (key === 'activation' || key === 'recurrent_activation') return canonicalActivation(raw);
  if (TUPLE_KEYS.has(key) && typeof raw === 'number') return { value: Array(cls.endsWith('1D') ? 1 : 2).fill(raw) };
  // tf.keras 2 wrote the built axis of normalization layers as a list of one positive axis.
  if (key === 'axis' && Array.isArray(raw) && raw.length === 1) return { value: raw[0] };
  return { value: raw };
}

function isKerasDefault(cls: string, key: string, value: unknown, config: Json): boolean {
  const defaults = KERAS_LAYERS[cls].config;
  if (key === 'strides' && cls.includes('Pooling')) {
    const poolSize = canonical(cls, 'pool_size', config.pool_size ?? 2);
    return value === null || ('value' in poolSize && sameValue(value, poolSize.value));
  }
  if (Object.hasOwn(defaults, key)) {
    if (defaults[key] === undefined) return false;
    const def = canonical(cls, key, defaults[key]);
    return 'value' in def && sameValue(def.value, value);
  }
  // Options Keras leaves unset are written as null; older Keras wrote a few more at these values.
  return value === null || (Object.hasOwn(LEGACY_DEFAULTS, key) && sameValue(LEGACY_DEFAULTS[key], value));
}

const LEGACY_DEFAULTS: Json = { time_major: false, autocast: true };
/** Written by some Keras versions, meaningless here: shape hints the graph already has, kernel choices. */
const IGNORED_KEYS = new Set(['batch_input_shape', 'batch_shape', 'input_shape', 'input_length', 'implementation', 'unroll', 'fused']);

/** Our catalog's spelling of an initializer class (LeCunNormal), config without unset keys. */
function ourInitializer(canon: KerasObject): KerasObject {
  const ours = Object.values(INITIALIZERS).find((c) => c.toLowerCase() === canon.class_name.toLowerCase()) ?? canon.class_name;
  return { class_name: ours, config: Object.fromEntries(Object.entries(canon.config).filter(([, v]) => v !== null && v !== undefined)) };
}

function dtypeName(raw: unknown): unknown {
  if (raw === null || raw === undefined) return 'float32';
  const obj = unwrap(raw);
  return obj ? (isObject(obj.config) ? obj.config.name : undefined) : raw;
}

interface LayerContext {
  name: string;
  cls: string;
  at: string;
  issues: Collector;
}

/** Keras layer config → our config: Keras defaults dropped, the rest checked against catalog and engine. */
function layerConfig(config: Json, { name, cls, at, issues }: LayerContext): Json {
  const out: Json = {};
  const def = layerDef(cls)!;
  const where = `layer "${name}" (${cls})`;
  for (const [key, raw] of Object.entries(config)) {
    const ptr = `${at}/config${pointer(key)}`;
    if (key === 'name' || IGNORED_KEYS.has(key) || def.ignored?.includes(key)) continue;
    if (key === 'trainable') {
      if (raw === false) out.trainable = false;
      continue;
    }
    if (key === 'dtype') {
      const dtype = dtypeName(raw);
      if (dtype !== 'float32') issues.add(ptr, `${where}: dtype ${show(dtype)} is not supported; the service computes in float32`);
      continue;
    }
    const canon = canonical(cls, key, raw);
    if ('error' in canon) {
      issues.add(ptr, `${where}: ${canon.error}`);
      continue;
    }
    const value = canon.value;
    if (isKerasDefault(cls, key, value, config)) continue;
    const problem = layerOptionProblem(def, key, key.endsWith('_initializer') && value !== null ? ourInitializer(value as KerasObject) : value, config);
    if (problem) {
      issues.add(ptr, `${where}: ${problem}`);
      continue;
    }
    out[key] = key.endsWith('_initializer') && value !== null ? ourInitializer(value as KerasObject) : value;
  }
  return out;
}

// ----------------------------------------------------------------------------- graph

interface Ref {
  layer: string;
  ref: TensorRef;
  at: string;
}

/** [name, node_index, tensor_index] (input_layers/output_layers): a leaf, a list of leaves or a dict. */
function tensorRefs(value: unknown, at: string, issues: Collector): Ref[] {
  const isLeaf = (v: unknown): v is [string, number, number] => Array.isArray(v) && v.length === 3 && typeof v[0] === 'string';
  if (isLeaf(value)) return [{ layer: value[0], ref: value[1] === 0 && value[2] === 0 ? value[0] : [value[0], value[1], value[2]], at }];
  if (Array.isArray(value)) return value.flatMap((v, i) => tensorRefs(v, `${at}/${i}`, issues));
  // Keras flattens a dict of inputs/outputs in sorted key order.
  if (isObject(value)) return Object.keys(value).sort().flatMap((k) => tensorRefs(value[k], `${at}${pointer(k)}`, issues));
  issues.add(at, `expected [layer_name, node_index, tensor_index] or a list of them, got ${show(value)}`);
  return [];
}

/**
 * Keras 3 records the defaults of call() in each node (training: false for Dropout and RNNs,
 * mask: null). A functional model overrides a recorded training flag with its own (fit trains,
 * predict does not), so only training=True, a mask or other arguments change what a layer computes
 * — unless it is the layer's own recorded default (CenterCrop's training: true, which it ignores).
 */
function callKwargsIgnorable(kwargs: unknown, cls?: string): boolean {
  const recorded = (cls && layerDef(cls)?.call_kwargs) || {};
  return !isObject(kwargs) || Object.entries(kwargs).every(([k, v]) => v === null || (k === 'training' && v === false) || (Object.hasOwn(recorded, k) && recorded[k] === v));
}

/** One inbound tensor: a Keras 3 __keras_tensor__ or a Keras 2 [name, node, tensor, kwargs?], as our reference. */
function inboundTensor(v: unknown, at: string, where: string, issues: Collector): TensorRef | undefined {
  let history: unknown[];
  let kwargs: unknown;
  if (isObject(v) && v.class_name === '__keras_tensor__' && isObject(v.config) && Array.isArray(v.config.keras_history)) {
    history = v.config.keras_history;
    at = `${at}/config/keras_history`;
  } else if (Array.isArray(v) && typeof v[0] === 'string') {
    history = v;
    kwargs = v[3];
  } else {
    issues.add(at, `${where} is called with ${show(v)}, not a tensor of the model; constants and nested structures are not supported`);
    return undefined;
  }
  const [layer, node, tensor] = history;
  if (typeof layer !== 'string' || !Number.isInteger(node) || !Number.isInteger(tensor)) {
    issues.add(at, `${where}: unreadable tensor reference ${show(history)}`);
    return undefined;
  }
  if (!callKwargsIgnorable(kwargs)) issues.add(`${at}/3`, `${where}: call arguments ${show(kwargs)} are not supported`);
  return node === 0 && tensor === 0 ? layer : [layer, node as number, tensor as number];
}

interface CallSpec {
  inbound: TensorRef[];
  kwargs?: Record<string, TensorRef[]>;
}

/** Every call of a layer (its inbound nodes, in order): the tensors and keyword arguments of each. */
function callsOf(entry: Json, cls: string, at: string, where: string, issues: Collector): CallSpec[] | undefined {
  // The call arguments that take tensors are the layer's callArgs (initial_state for RNNs).
  const tensorKwargs = layerDef(cls)?.callArgs ?? {};
  const nodes = entry.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length === 0) {
    issues.add(`${at}/inbound_nodes`, `${where} is not called on any tensor of the model`);
    return undefined;
  }
  const calls: CallSpec[] = [];
  let ok = true;
  nodes.forEach((node, k) => {
    const nodeAt = `${at}/inbound_nodes/${k}`;
    const refs: Array<TensorRef | undefined> = [];
    const kwargs: Record<string, TensorRef[]> = {};
    if (isObject(node)) {
      let args = Array.isArray(node.args) ? node.args : [];
      // mha(query, value[, key]): one tensor per positional argument, taken as the list of inputs.
      if (layerDef(cls)?.positionalInputs && args.length > 1) args = [args];
      if (args.length !== 1) {
        issues.add(`${nodeAt}/args`, `${where} is called with ${args.length} positional arguments; supported layers take one tensor or one list of tensors`);
        ok = false;
        return;
      }
      const first = args[0];
      const list = Array.isArray(first) ? first.map((t, j) => [t, `${nodeAt}/args/0/${j}`] as const) : [[first, `${nodeAt}/args/0`] as const];
      for (const [t, tAt] of list) refs.push(inboundTensor(t, tAt, where, issues));
      const rest: Json = {};
      for (const [key, value] of Object.entries(isObject(node.kwargs) ? node.kwargs : {})) {
        if (Object.hasOwn(tensorKwargs, key) && value !== null) {
          const items = Array.isArray(value) ? value : [value];
          const tensors = items.map((t, j) => inboundTensor(t, `${nodeAt}/kwargs/${key}/${j}`, where, issues));
          if (tensors.every((t) => t !== undefined)) kwargs[key] = tensors as TensorRef[];
          else ok = false;
        } else rest[key] = value;
      }
      if (!callKwargsIgnorable(rest, cls)) issues.add(`${nodeAt}/kwargs`, `${where}: call arguments ${show(rest)} are not supported`);
    } else if (Array.isArray(node)) {
      node.forEach((t, j) => refs.push(inboundTensor(t, `${nodeAt}/${j}`, where, issues)));
    } else {
      issues.add(nodeAt, `${where}: unreadable inbound node ${show(node)}`);
      ok = false;
      return;
    }
    if (refs.some((r) => r === undefined)) ok = false;
    calls.push({ inbound: refs as TensorRef[], ...(Object.keys(kwargs).length ? { kwargs } : {}) });
  });
  return ok ? calls : undefined;
}

const isTensor = (v: unknown) => isObject(v) && v.class_name === '__keras_tensor__';

/**
 * Tensor arithmetic Keras applications write between layers (MobileNetV3's hard_sigmoid is
 * ReLU(6)(x + 3) * (1 / 6)) as the layer that computes the same numbers: two tensors → Add,
 * Subtract or Multiply; a tensor and a number → Rescaling (x * scale + offset, which is x + c,
 * x - c, c - x or x * c exactly in float arithmetic). Other operations stay refused.
 */
function operationAsLayer(entry: Json): Json | undefined {
  if (entry.module !== 'keras.src.ops.numpy' || !['Add', 'Subtract', 'Multiply'].includes(entry.class_name as string)) return undefined;
  const nodes = entry.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length !== 1 || !isObject(nodes[0]) || !Array.isArray(nodes[0].args) || nodes[0].args.length !== 2) return undefined;
  if (isObject(nodes[0].kwargs) && Object.keys(nodes[0].kwargs).length) return undefined;
  const [a, b] = nodes[0].args as unknown[];
  const name = entry.name ?? (isObject(entry.config) ? entry.config.name : undefined);
  const op = entry.class_name as string;
  if (isTensor(a) && isTensor(b)) return { class_name: op, config: { name }, name, inbound_nodes: [{ args: [[a, b]], kwargs: {} }] };
  const [tensor, c, tensorFirst] = isTensor(a) && typeof b === 'number' ? [a, b, true] : isTensor(b) && typeof a === 'number' ? [b, a, false] : [];
  if (tensor === undefined) return undefined;
  const k = c as number;
  const scaling = op === 'Add' ? { scale: 1, offset: k } : op === 'Multiply' ? { scale: k, offset: 0 } : tensorFirst ? { scale: 1, offset: -k } : { scale: -1, offset: k };
  return { class_name: 'Rescaling', config: { name, ...scaling }, name, inbound_nodes: [{ args: [tensor], kwargs: {} }] };
}

const KERAS_MODULE = /^(keras|tf_keras|tensorflow\.keras|tensorflow\.python\.keras)(\.|$)/;

/** Why a layer entry cannot be translated at all, or its canonical class. */
function layerClass(entry: Json, name: string, at: string, issues: Collector): string | undefined {
  const cls = typeof entry.class_name === 'string' ? entry.class_name : '';
  const where = `layer "${name}" (${cls || '?'})`;
  const module = entry.module;
  const registered = entry.registered_name;
  if (typeof module === 'string' && /(^|\.)ops(\.|$)/.test(module)) {
    issues.add(`${at}/class_name`, `${where} is a raw operation (${module}: keras.ops or tensor arithmetic such as x + 1) in the graph; only layers are supported: ${Object.keys(LAYERS).join(', ')}`);
    return undefined;
  }
  if ((typeof registered === 'string' && registered.includes('>')) || (('module' in entry) && (typeof module !== 'string' || !KERAS_MODULE.test(module)))) {
    issues.add(`${at}/class_name`, `${where} is a custom layer (${show(registered ?? module)}); supported layers: ${Object.keys(LAYERS).join(', ')}`);
    return undefined;
  }
  if (MODEL_CLASSES.has(cls)) return cls === 'Sequential' ? 'Sequential' : 'Functional';
  const canon = canonicalLayerClass(cls);
  if (!Object.hasOwn(LAYERS, canon)) {
    issues.add(`${at}/class_name`, `${where} is not supported; supported layers: ${Object.keys(LAYERS).join(', ')}`);
    return undefined;
  }
  return canon;
}

function checkName(name: unknown, at: string, issues: Collector): name is string {
  if (typeof name !== 'string' || !NAME.test(name) || name.length > 200) {
    issues.add(at, `name ${show(name)} cannot be used: names are 1-200 letters, digits, "_", "." or "-"`);
    return false;
  }
  return true;
}

const INPUT_DTYPES: Record<string, 'float32' | 'int32'> = { float32: 'float32', int32: 'int32', int64: 'int32' };

/** An InputLayer config (batch_shape in Keras 3, batch_input_shape in Keras 2) → our input. */
function inputFrom(name: string, batchShape: unknown, dtype: unknown, config: Json, at: string, issues: Collector): InputSpec | undefined {
  const where = `input "${name}"`;
  for (const flag of ['sparse', 'ragged', 'optional']) {
    if (config[flag] === true) issues.add(`${at}/config/${flag}`, `${where}: ${flag} inputs are not supported`);
  }
  const dtypeStr = dtypeName(dtype);
  const ourDtype = typeof dtypeStr === 'string' && Object.hasOwn(INPUT_DTYPES, dtypeStr) ? INPUT_DTYPES[dtypeStr] : undefined;
  if (!ourDtype) issues.add(`${at}/config/dtype`, `${where}: dtype ${show(dtypeStr)} is not supported; inputs are float32 or int32 (int64 is read as int32)`);
  const shape = Array.isArray(batchShape) ? batchShape.slice(1) : undefined;
  if (!shape || shape.length > 8 || !shape.every((d) => d === null || (Number.isInteger(d) && (d as number) >= 1))) {
    issues.add(`${at}/config`, `${where}: shape ${show(batchShape)} is not supported; give a batch shape [null, d1, ...] of at most 8 known or null dimensions`);
    return undefined;
  }
  // A fixed batch size (batch_shape[0]) only restricts Keras; the weights do not depend on it.
  return { name, shape: shape as Array<number | null>, ...(ourDtype === 'int32' ? { dtype: 'int32' as const } : {}) };
}

interface Built {
  inputs: InputSpec[];
  layers: LayerSpec[];
  outputs: TensorRef[];
  /** Pointer of each of our layers (and inputs) in the Keras JSON, for mapping our own checks' errors back. */
  layerAt: string[];
  inputAt: string[];
  /** Every layer entry was translated (config issues aside), so the graph can be checked as a whole. */
  complete: boolean;
}

function layerSpec(entry: Json, name: string, cls: string, calls: CallSpec[], at: string, issues: Collector): LayerSpec {
  const wiring = calls.length === 1 ? { inbound: calls[0].inbound, ...(calls[0].kwargs ? { kwargs: calls[0].kwargs } : {}) } : { calls };
  if (cls === 'Sequential' || cls === 'Functional') {
    // A nested model: its config becomes a model in our form, translated the same way.
    const nested = modelFrom(entry, at, issues);
    return { name, class_name: cls, config: nested as unknown as Record<string, unknown>, ...wiring };
  }
  const config = layerConfig(isObject(entry.config) ? entry.config : {}, { name, cls, at, issues });
  return { name, class_name: cls, ...(Object.keys(config).length ? { config } : {}), ...wiring };
}

function functionalFrom(config: Json, at: string, issues: Collector): Built {
  const built: Built = { inputs: [], layers: [], outputs: [], layerAt: [], inputAt: [], complete: true };
  const entries = Array.isArray(config.layers) ? config.layers : [];
  if (!entries.length) issues.add(`${at}/layers`, 'the model has no layers');
  const inputLayers = new Map<string, InputSpec>();
  const inputAts = new Map<string, string>();
  entries.forEach((raw, i) => {
    const lat = `${at}/layers/${i}`;
    let entry = raw;
    if (!isObject(entry)) {
      issues.add(lat, `a layer must be an object, got ${show(entry)}`);
      built.complete = false;
      return;
    }
    const cfg = isObject(entry.config) ? entry.config : {};
    const name = entry.name ?? cfg.name;
    if (!checkName(name, `${lat}/name`, issues)) {
      built.complete = false;
      return;
    }
    if (entry.class_name === 'InputLayer') {
      const input = inputFrom(name, cfg.batch_shape ?? cfg.batch_input_shape, cfg.dtype, cfg, lat, issues);
      if (input) inputLayers.set(name, input);
      else built.complete = false;
      inputAts.set(name, lat);
      return;
    }
    entry = operationAsLayer(entry) ?? entry;
    const cls = layerClass(entry, name, lat, issues);
    // How a layer we cannot take is wired would only add noise to its issue.
    const calls = cls ? callsOf(entry, cls, lat, `layer "${name}" (${cls})`, issues) : undefined;
    if (!cls || !calls) {
      built.complete = false;
      return;
    }
    built.layers.push(layerSpec(entry, name, cls, calls, lat, issues));
    built.layerAt.push(lat);
  });
  for (const ref of tensorRefs(config.input_layers, `${at}/input_layers`, issues)) {
    const input = inputLayers.get(ref.layer);
    if (input) {
      built.inputs.push(input);
      built.inputAt.push(inputAts.get(ref.layer)!);
    } else {
      issues.add(ref.at, `model input "${ref.layer}" is not an InputLayer of the model`);
      built.complete = false;
    }
  }
  built.outputs = tensorRefs(config.output_layers, `${at}/output_layers`, issues).map((r) => r.ref);
  if (!built.inputs.length || !built.outputs.length) {
    issues.add(at, 'the model needs input_layers and output_layers');
    built.complete = false;
  }
  return built;
}

/** Keras 3 and tf.keras 2 list layers under config.layers; Keras 2.1 made config the list itself. */
function sequentialFrom(config: unknown, at: string, legacy: boolean, issues: Collector): Built {
  const built: Built = { inputs: [], layers: [], outputs: [], layerAt: [], inputAt: [], complete: true };
  const [entries, listAt] = Array.isArray(config) ? [config, at] : isObject(config) && Array.isArray(config.layers) ? [config.layers, `${at}/layers`] : [[], at];
  if (!entries.length) {
    issues.add(listAt, 'the model has no layers');
    built.complete = false;
    return built;
  }
  const first = isObject(entries[0]) ? entries[0] : {};
  const firstCfg = isObject(first.config) ? first.config : {};
  let rest = entries.map((e, i) => [e, `${listAt}/${i}`] as const);
  let input: InputSpec | undefined;
  if (first.class_name === 'InputLayer') {
    const name = first.name ?? firstCfg.name;
    if (checkName(name, `${listAt}/0/config/name`, issues)) input = inputFrom(name, firstCfg.batch_shape ?? firstCfg.batch_input_shape, firstCfg.dtype, firstCfg, `${listAt}/0`, issues);
    rest = rest.slice(1);
  } else {
    // No InputLayer: the first layer carries the shape (Keras 2), or the model was built with build().
    const given = firstCfg.batch_input_shape ?? firstCfg.batch_shape ?? (Array.isArray(firstCfg.input_shape) ? [null, ...firstCfg.input_shape] : undefined) ?? (isObject(config) ? config.build_input_shape : undefined);
    if (given === undefined) {
      issues.add(`${listAt}/0`, 'the Sequential model has no input shape (no InputLayer, batch_input_shape or build_input_shape); build it with keras.Input(shape=...) first');
    } else {
      const firstName = typeof firstCfg.name === 'string' ? firstCfg.name : 'layer';
      // Keras 2 named the implicit input "<first layer>_input"; Keras 3 "input_layer".
      const name = legacy ? `${firstName}_input` : 'input_layer';
      input = inputFrom(name, given, firstCfg.dtype ?? 'float32', {}, `${listAt}/0`, issues);
    }
  }
  if (!input) {
    built.complete = false;
    return built;
  }
  built.inputs.push(input);
  built.inputAt.push(`${listAt}/0`);
  let previous = input.name;
  for (const [entry, lat] of rest) {
    if (!isObject(entry)) {
      issues.add(lat, `a layer must be an object, got ${show(entry)}`);
      built.complete = false;
      continue;
    }
    const cfg = isObject(entry.config) ? entry.config : {};
    const name = entry.name ?? cfg.name;
    if (!checkName(name, `${lat}/config/name`, issues)) {
      built.complete = false;
      continue;
    }
    const cls = entry.class_name === 'InputLayer' ? undefined : layerClass(entry, name, lat, issues);
    if (entry.class_name === 'InputLayer') issues.add(lat, `a Sequential model has one InputLayer, first; "${name}" is another`);
    if (!cls) {
      built.complete = false;
      continue;
    }
    built.layers.push(layerSpec(entry, name, cls, [{ inbound: [previous] }], lat, issues));
    built.layerAt.push(lat);
    previous = name;
  }
  built.outputs = [previous];
  return built;
}

/** Drops axis values that name the last axis (Keras 2's built [3], or 3 for rank-4 input): our default -1. */
function dropLastAxis(layers: LayerSpec[], graph: CheckedGraph): void {
  for (const layer of layers) {
    const axis = layer.config?.axis;
    if (!layer.config || axis === undefined || !['BatchNormalization', 'LayerNormalization', 'Concatenate'].includes(layer.class_name)) continue;
    const rank = graph.shapes[layer.name].length;
    if (axis === rank || axis === -1) delete layer.config.axis;
    if (!Object.keys(layer.config).length) delete layer.config;
  }
}

/** Our checks' pointers (/model/layers/3/...) → pointers into the Keras JSON. */
function mapSpecPointer(ptr: string, built: Built, outputsAt: string): string {
  const layer = /^\/model\/layers\/(\d+)(.*)$/.exec(ptr);
  if (layer) {
    const rest = layer[2].replace(/^\/calls\/(\d+)(\/inbound(\/\d+)?)?/, '/inbound_nodes/$1').replace(/^\/inbound(\/\d+)?/, '/inbound_nodes').replace(/^\/kwargs/, '/inbound_nodes/0/kwargs');
    return `${built.layerAt[Number(layer[1])]}${rest}`;
  }
  const input = /^\/model\/inputs\/(\d+)(.*)$/.exec(ptr);
  if (input) return `${built.inputAt[Number(input[1])]}${input[2] === '/name' ? '/name' : '/config'}`;
  const output = /^\/model\/outputs\/(\d+)$/.exec(ptr);
  if (output) return `${outputsAt}`;
  return ptr.replace(/^\/model/, '');
}

// ----------------------------------------------------------------------------- compile

/** Written by older Keras versions: bookkeeping whatever its value, or Keras 2's per-step decay at 0. */
const OPTIMIZER_IGNORED = new Set(['name', 'is_legacy_optimizer', 'jit_compile']);
const OPTIMIZER_LEGACY_DEFAULTS: Json = { decay: 0 };

/**
 * A Keras object's config → ours: Keras's defaults dropped, the rest checked by the catalog
 * (honour or refuse), so an import takes exactly what a spec would.
 */
function objectConfig(family: Family, cls: string, given: Json, at: string, issues: Collector, skip: (key: string, value: unknown) => boolean): Json {
  const keras = family.classes[cls].keras;
  const config: Json = {};
  for (const [key, value] of Object.entries(given)) {
    if (value === null || skip(key, value)) continue;
    const v = typeof value === 'number' ? shortestFloat32(value) : value;
    if (Object.hasOwn(keras, key) && sameValue(v, keras[key])) continue;
    config[key] = v;
  }
  for (const [key, value] of Object.entries(config)) {
    const problem = objectOptionProblem(family, cls, key, value, config);
    if (problem) {
      issues.add(`${at}/config${pointer(key)}`, problem);
      delete config[key];
    }
  }
  return config;
}

function optimizerFrom(raw: unknown, at: string, issues: Collector): Identifier | undefined {
  if (typeof raw === 'string') {
    if ('error' in resolve(OPTIMIZERS, raw, 'optimizer')) issues.add(at, `optimizer ${show(raw)} is not supported; supported: ${supported(OPTIMIZERS)}`);
    return raw;
  }
  const obj = unwrap(raw);
  const clsGiven = obj?.class_name.replace(/^Custom>/, '');
  const r = clsGiven ? resolve(OPTIMIZERS, { class_name: clsGiven }, 'optimizer') : undefined;
  if (!obj || !r || 'error' in r) {
    issues.add(at, `optimizer ${show(raw)} is not supported; supported: ${Object.keys(OPTIMIZERS.classes).join(', ')}`);
    return undefined;
  }
  const given: Json = {};
  for (const [key, value] of Object.entries(isObject(obj.config) ? obj.config : {})) given[key === 'lr' ? 'learning_rate' : key] = value;
  if (given.learning_rate !== undefined && typeof given.learning_rate !== 'number') {
    issues.add(`${at}/config/learning_rate`, `learning_rate ${show(given.learning_rate)} is not supported: give a number (a schedule can be written as a LearningRateScheduler callback in fit)`);
    delete given.learning_rate;
  }
  const skip = (key: string, value: unknown) => OPTIMIZER_IGNORED.has(key) || (Object.hasOwn(OPTIMIZER_LEGACY_DEFAULTS, key) && sameValue(value, OPTIMIZER_LEGACY_DEFAULTS[key]));
  return { class_name: r.class_name, config: objectConfig(OPTIMIZERS, r.class_name, given, at, issues, skip) };
}

/** Loss and metric identifiers: strings, Keras objects, or Keras 3's {class_name: "function", config: "mse"}. */
function identifierFrom(raw: unknown, at: string, family: Family, what: 'loss' | 'metric', issues: Collector): Identifier | undefined {
  const obj = unwrap(raw);
  const asString = typeof raw === 'string' ? raw : obj?.class_name === 'function' && typeof obj.config === 'string' ? obj.config : undefined;
  if (asString !== undefined) {
    if ('error' in resolve(family, asString, what)) issues.add(at, `${what} ${show(raw)} is not supported; supported: ${supported(family)}`);
    return asString;
  }
  const r = obj ? resolve(family, { class_name: obj.class_name }, what) : undefined;
  if (!obj || !r || 'error' in r || (typeof obj.registered_name === 'string' && obj.registered_name.includes('>'))) {
    issues.add(at, `${what} ${show(raw)} is not supported; supported: ${supported(family)}`);
    return undefined;
  }
  // A loss's name appears nowhere in what fit reports; Keras 2 called the default reduction "auto".
  const skip = (key: string, value: unknown) =>
    (key === 'dtype' && dtypeName(value) === 'float32') || (what === 'loss' && key === 'name') || (key === 'reduction' && value === 'auto');
  return { class_name: r.class_name, config: objectConfig(family, r.class_name, isObject(obj.config) ? obj.config : {}, at, issues, skip) };
}

/** A structure of identifiers: one, a list (of lists) or a dict by output name. */
function structureFrom(raw: unknown, at: string, leaf: (v: unknown, at: string) => Identifier | undefined): unknown {
  if (Array.isArray(raw)) return raw.map((v, i) => structureFrom(v, `${at}/${i}`, leaf));
  if (isObject(raw) && typeof raw.class_name !== 'string') return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, structureFrom(v, `${at}${pointer(k)}`, leaf)]));
  return leaf(raw, at);
}

/** Keras 3 compile_config (in to_json and config.json), or tf.keras 2's training_config of an .h5. */
function compileFrom(cc: Json, at: string, legacy: boolean, issues: Collector): CompileSpec | undefined {
  const optimizerRaw = legacy ? cc.optimizer_config : cc.optimizer;
  const optimizer = optimizerRaw === undefined || optimizerRaw === null ? undefined : optimizerFrom(optimizerRaw, `${at}/${legacy ? 'optimizer_config' : 'optimizer'}`, issues);
  if (cc.loss === null || cc.loss === undefined) {
    issues.add(`${at}/loss`, 'the model is compiled without a loss; the service trains with one of its losses');
    return undefined;
  }
  // A None inside a list or dict: that output trains without a loss.
  const loss = structureFrom(cc.loss, `${at}/loss`, (v, p) => (v === null ? (null as unknown as Identifier) : identifierFrom(v, p, LOSSES, 'loss', issues))) as CompileSpec['loss'];
  const metrics = cc.metrics === null || cc.metrics === undefined ? undefined : (structureFrom(cc.metrics, `${at}/metrics`, (v, p) => identifierFrom(v, p, METRICS, 'metric', issues)) as CompileSpec['metrics']);
  const weighted = cc.weighted_metrics;
  if (weighted !== null && weighted !== undefined && !(Array.isArray(weighted) && weighted.length === 0)) {
    issues.add(`${at}/weighted_metrics`, `weighted_metrics ${show(weighted)} are not supported; use metrics (the service weighs metrics by sample_weight as Keras's metrics do not)`);
  }
  const lossWeights = cc.loss_weights;
  if (lossWeights !== null && lossWeights !== undefined && !Array.isArray(lossWeights) && !isObject(lossWeights)) {
    issues.add(`${at}/loss_weights`, `loss_weights ${show(lossWeights)} must be a list or a dict of numbers`);
  }
  return {
    ...(optimizer !== undefined ? { optimizer } : {}),
    loss,
    ...(metrics !== undefined ? { metrics } : {}),
    ...(Array.isArray(lossWeights) || isObject(lossWeights) ? { loss_weights: lossWeights as CompileSpec['loss_weights'] } : {}),
  };
}

// ----------------------------------------------------------------------------- entry point

function parse(json: unknown): Json {
  if (typeof json !== 'string') return isObject(json) ? json : {};
  try {
    const parsed: unknown = JSON.parse(json);
    return isObject(parsed) ? parsed : {};
  } catch (err) {
    throw new KerasImportError([{ pointer: '', message: `not JSON: ${(err as Error).message}` }]);
  }
}

/**
 * Translates a Keras model JSON into our GraphModel (a Sequential becomes the equivalent graph,
 * with Keras's layer names) and, when compiled, our compile section. Throws KerasImportError with
 * every issue found; the result passes checkGraph(normalizeModel(model)) and resolveCompile.
 */
/** A Functional or Sequential entry ({class_name, config}) → our layers, inputs and outputs. */
function builtFrom(entry: Json, at: string, issues: Collector): Built {
  // Keras 3 writes a module; tf.keras 2 and Keras 2 did not (they name implicit inputs differently).
  const legacy = !('module' in entry);
  const built = entry.class_name === 'Sequential' ? sequentialFrom(entry.config, `${at}/config`, legacy, issues) : functionalFrom(isObject(entry.config) ? entry.config : {}, `${at}/config`, issues);
  const modelConfig = isObject(entry.config) ? entry.config : {};
  if (modelConfig.trainable === false) {
    for (const layer of built.layers) if (!MODEL_CLASSES.has(layer.class_name)) layer.config = { ...layer.config, trainable: false };
  }
  return built;
}

/** A nested model's entry → its config in our model form (checked with the outer model). */
function modelFrom(entry: Json, at: string, issues: Collector): GraphModel {
  const built = builtFrom(entry, at, issues);
  return { inputs: built.inputs, layers: built.layers, outputs: built.outputs };
}

export function fromKerasJson(json: unknown): FromKerasResult {
  const root = parse(json);
  const issues = new Collector();
  const cls = root.class_name;
  if (typeof cls !== 'string' || !('config' in root)) {
    throw new KerasImportError([{ pointer: '', message: 'not a Keras model JSON: expected {"class_name": "Functional"|"Sequential", "config": {...}} as model.to_json() writes it' }]);
  }
  const subclassed = typeof root.registered_name === 'string' && root.registered_name.includes('>');
  if (!MODEL_CLASSES.has(cls) || subclassed) {
    throw new KerasImportError([{ pointer: '/class_name', message: `model class ${show(cls)} is not supported: only Functional and Sequential models (a subclassed model's JSON does not describe its layers)` }]);
  }
  const built = builtFrom(root, '', issues);
  const model: GraphModel = { inputs: built.inputs, layers: built.layers, outputs: built.outputs };

  // Shapes are checked once the layers themselves are clean: with a layer or an option missing,
  // our own checks would mostly report the consequences.
  if (built.complete && !issues.issues.length) {
    try {
      dropLastAxis(built.layers, checkGraph(normalizeModel(model)));
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      for (const i of err.issues) issues.add(mapSpecPointer(i.pointer, built, '/config/output_layers'), i.message);
    }
  }

  let compile: CompileSpec | undefined;
  const [cc, ccAt, ccLegacy] = isObject(root.compile_config) ? [root.compile_config, '/compile_config', false] : isObject(root.training_config) ? [root.training_config, '/training_config', true] : [undefined, '', false];
  if (cc && Object.keys(cc).length) {
    compile = compileFrom(cc, ccAt, ccLegacy, issues);
    if (compile && !issues.issues.length) {
      try {
        resolveCompile(compile, checkGraph(normalizeModel(model)).outputs, ccAt);
      } catch (err) {
        if (!(err instanceof SpecError)) throw err;
        for (const i of err.issues) issues.add(i.pointer, i.message);
      }
    }
  }
  if (issues.issues.length) throw new KerasImportError(issues.issues);
  return { model, ...(compile ? { compile } : {}) };
}
