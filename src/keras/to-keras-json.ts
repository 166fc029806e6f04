/**
 * Our model spec → the JSON Keras 3 `model.to_json()` writes for the same functional model, so that
 * `keras.models.model_from_json` (and a `.keras` archive's config.json) rebuilds the architecture
 * with the same layer names, classes and weight shapes. Also Keras's defaults per layer class and
 * its weight names and order, which the import direction (from-keras-json.ts) shares.
 *
 * The tables are Keras 3.15's get_config() of a fresh object; test/keras-json.test.ts checks them
 * against test/fixtures/keras/json/keras_defaults.json, written by Keras itself.
 */
import { LOSSES, METRICS, OPTIMIZERS, resolve, type Family } from '../spec/catalog.ts';
import { checkGraph, firstOutput, normalizeModel, tensorKey, type CheckedGraph, type Graph, type GraphLayer, type LayerCall, type TensorRef } from '../spec/graph.ts';
import { KERAS_INITIALIZERS, kerasInitializerClass } from '../spec/initializers.ts';
import { LAYERS, canonicalLayerClass, layerDef, type Shape } from '../spec/layers/index.ts';
import { innerLayers, timeDistributedInner } from '../spec/layers/wrappers.ts';
import { parseRegularizer } from '../spec/regularizers.ts';
import { kerasLayerOrder } from '../spec/layer-order.ts';

export { kerasLayerOrder };

export { KERAS_INITIALIZERS, canonicalLayerClass, kerasInitializerClass };
import type { CompileSpec, Identifier, ModelSpec } from '../spec/schema.ts';

type Cfg = Record<string, unknown>;

/** A Keras object in the short form the tables use: {class_name, config}. */
export interface KerasObject {
  class_name: string;
  config: Cfg;
}

export interface KerasLayerInfo {
  /**
   * get_config() of a fresh layer after name, trainable and dtype, in Keras's key order.
   * `undefined` marks a key without a default (units, filters, ...); initializers are KerasObjects.
   */
  config: Cfg;
  /** Keras writes build_config {input_shape} for it: the layers whose build() Keras records. */
  build: boolean;
  /** The call() defaults Keras records as the kwargs of each inbound node (mask=None, training=False). */
  kwargs?: Cfg;
  /** Its config holds name and a dtype string but no trainable (LayerDef.bareConfig). */
  bare?: boolean;
}

/** Every registered layer class as Keras 3 configures it (the registry's keras, build_config, call_kwargs). */
export const KERAS_LAYERS: Record<string, KerasLayerInfo> = Object.fromEntries(
  Object.values(LAYERS).map((d) => [d.class_name, { config: d.keras, build: d.build_config, ...(d.call_kwargs ? { kwargs: d.call_kwargs } : {}), ...(d.bareConfig ? { bare: true } : {}) }]),
);

/** Keras 3 optimizer get_config() at defaults (learning rates as the float32 Keras keeps them in). */
export const KERAS_OPTIMIZERS: Record<string, Cfg> = Object.fromEntries(Object.entries(OPTIMIZERS.classes).map(([cls, def]) => [cls, def.keras]));

export const DTYPE_POLICY = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };

// ----------------------------------------------------------------------------- weights

export interface KerasWeightSpec {
  /** Variable name as Keras 3 names it: kernel, bias, recurrent_kernel, gamma, beta, moving_mean, ... */
  name: string;
  /** Keras 3 variable path, e.g. "dense_1/kernel", "lstm/lstm_cell/recurrent_kernel". */
  path: string;
  shape: number[];
  trainable: boolean;
}

const tupleOf = (v: unknown, n: number): number[] => (typeof v === 'number' ? Array(n).fill(v) : (v as number[]));

/**
 * The variables Keras 3 creates for one layer, in get_weights() order, given the layer's input
 * shapes (without the batch dimension). Our engine and KerasWeights use the same order.
 */
export function kerasWeightSpecs(layer: Pick<GraphLayer, 'name' | 'class_name' | 'config'>, inputShapes: Shape[]): KerasWeightSpec[] {
  const def = layerDef(layer.class_name);
  const trainable = layer.config.trainable !== false;
  return (def?.weights?.(layer.config, inputShapes) ?? []).map((w) => ({
    name: w.name,
    path: w.cell ? `${layer.name}/${w.cell}/${w.name}` : `${layer.name}/${w.name}`,
    shape: w.shape,
    trainable: trainable && w.trainable,
  }));
}

/** Weight specs of every layer that has weights, keyed by layer name. */
export function kerasModelWeightSpecs(graph: CheckedGraph): Record<string, KerasWeightSpec[]> {
  const out: Record<string, KerasWeightSpec[]> = {};
  for (const layer of graph.layers) {
    const specs = kerasWeightSpecs(layer, layer.inbound.map((n) => graph.shapes[n]));
    if (specs.length) out[layer.name] = specs;
  }
  return out;
}

// ----------------------------------------------------------------------------- config values

function kerasInitializer(value: unknown): Cfg {
  const [name, config] = typeof value === 'string' ? [value, {}] : [(value as KerasObject).class_name, (value as Partial<KerasObject>).config ?? {}];
  const cls = kerasInitializerClass(name);
  if (!cls) throw new Error(`initializer ${JSON.stringify(value)} has no Keras 3 equivalent`);
  return { module: 'keras.initializers', class_name: cls, config: { ...KERAS_INITIALIZERS[cls], ...config }, registered_name: null };
}

function kerasRegularizer(value: unknown): Cfg {
  const r = parseRegularizer(value);
  if ('error' in r) throw new Error(r.error);
  return { module: 'keras.regularizers', class_name: r.class_name, config: r.config, registered_name: null };
}

const activationName = (v: unknown): unknown => (typeof v === 'object' && v !== null && 'class_name' in v ? (v as KerasObject).class_name : v);

/** One value of our config in the form Keras 3's get_config() writes it. */
function kerasValue(cls: string, key: string, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (key.endsWith('_initializer')) return kerasInitializer(value);
  if (key.endsWith('_regularizer')) return kerasRegularizer(value);
  if (key === 'activation' || key === 'recurrent_activation') return activationName(value);
  const n = /1D/.test(cls) ? 1 : 2;
  if (['kernel_size', 'strides', 'dilation_rate', 'pool_size'].includes(key) || (key === 'size' && cls === 'UpSampling2D')) return tupleOf(value, n);
  if (key === 'padding' && typeof value === 'string') return value.toLowerCase();
  // A built LayerNormalization holds its axes as a list and writes them so.
  if (key === 'axis' && cls === 'LayerNormalization' && typeof value === 'number') return [value];
  return value;
}

/** A Bidirectional's inner layer as Keras 3 serializes it: the RNN's own full config, under the name Keras gives it, with the wrapper's build shape. */
function wrappedLayer(cfg: Cfg, key: 'layer' | 'backward_layer', inputShape?: Shape): Cfg {
  const inner = innerLayers(cfg)[key === 'layer' ? 0 : 1];
  return {
    module: 'keras.layers',
    class_name: inner.class_name,
    config: kerasLayerConfig({ name: inner.name, class_name: inner.class_name, config: inner.config ?? {} }),
    registered_name: null,
    ...(inputShape ? { build_config: { input_shape: inputShape } } : {}),
  };
}

/** A TimeDistributed's inner layer as Keras 3 serializes it: its own full config and its per-step build shape. */
function timeDistributedLayer(cfg: Cfg, inputShape?: Shape): Cfg {
  const inner = timeDistributedInner(cfg);
  return {
    module: 'keras.layers',
    class_name: inner.class_name,
    config: kerasLayerConfig({ name: inner.name, class_name: inner.class_name, config: inner.config ?? {} }),
    registered_name: null,
    ...(inputShape ? { build_config: { input_shape: [inputShape[0], ...inputShape.slice(2)] } } : {}),
  };
}

/** What Keras's build_from_config takes: input_shape, or one shape per named call input (MultiHeadAttention's shapes_dict). */
function buildConfig(cls: string, shapes: Shape | Shape[]): Cfg {
  const names = layerDef(cls)?.buildShapeNames;
  if (!names) return { input_shape: shapes };
  return { shapes_dict: Object.fromEntries((shapes as Shape[]).map((s, i) => [names[i], s])) };
}

/** Our layer config → Keras 3's full get_config() (defaults filled in, Keras's key order); inputShapes with the batch dimension. */
export function kerasLayerConfig(layer: Pick<GraphLayer, 'name' | 'class_name' | 'config'>, inputShapes?: Shape[]): Cfg {
  const cls = canonicalLayerClass(layer.class_name);
  const info = KERAS_LAYERS[cls];
  if (!info) throw new Error(`layer class ${layer.class_name} has no Keras 3 equivalent`);
  const out: Cfg = info.bare ? { name: layer.name, dtype: 'float32' } : { name: layer.name, trainable: layer.config.trainable !== false, dtype: DTYPE_POLICY };
  for (const [key, def] of Object.entries(info.config)) {
    // Keys we take that Keras 3 does not have (input_length, reset_after on LSTM, ...) are left out.
    const ours = Object.hasOwn(layer.config, key) ? layer.config[key] : undefined;
    if (cls === 'Bidirectional' && (key === 'layer' || key === 'backward_layer')) out[key] = wrappedLayer(layer.config, key, inputShapes?.[0]);
    else if (cls === 'TimeDistributed' && key === 'layer') out[key] = timeDistributedLayer(layer.config, inputShapes?.[0]);
    else out[key] = kerasValue(cls, key, ours === undefined ? def : ours);
  }
  // Keras writes the value_dim it uses, key_dim when none was given.
  if (cls === 'MultiHeadAttention' && (out.value_dim === null || out.value_dim === undefined)) out.value_dim = out.key_dim;
  if (cls.includes('Pooling') && !cls.startsWith('Global') && (layer.config.strides === undefined || layer.config.strides === null)) {
    out.strides = out.pool_size ?? tupleOf(2, cls.endsWith('1D') ? 1 : 2);
  }
  if ((cls === 'AveragePooling1D' || cls === 'AveragePooling2D') && out.pool_size === undefined) {
    out.pool_size = tupleOf(2, cls.endsWith('1D') ? 1 : 2); // our catalog's default; Keras 3 has none
    out.strides ??= out.pool_size;
  }
  return out;
}

// ----------------------------------------------------------------------------- compile

/** The options of a loss or metric class at Keras's defaults (what its get_config() writes), then ours. */
function withDefaults(family: Family, cls: string, ours: Cfg): Cfg {
  return { ...family.classes[cls].keras, ...ours };
}

const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();

function kerasLoss(id: Identifier | null): unknown {
  if (id === null) return null; // an output without a loss
  if (typeof id === 'string') return id; // Keras keeps strings as given in compile_config
  const r = resolve(LOSSES, id, 'loss');
  if ('error' in r) throw new Error(r.error);
  return { module: 'keras.losses', class_name: r.class_name, config: withDefaults(LOSSES, r.class_name, r.config), registered_name: null };
}

function kerasMetric(id: Identifier): unknown {
  if (typeof id === 'string') return id;
  const r = resolve(METRICS, id, 'metric');
  if ('error' in r) throw new Error(r.error);
  return { module: 'keras.metrics', class_name: r.class_name, config: withDefaults(METRICS, r.class_name, r.config), registered_name: null };
}

const mapStructure = (v: unknown, leaf: (id: Identifier) => unknown): unknown => {
  if (v === null) return null;
  if (Array.isArray(v)) return v.map((x) => mapStructure(x, leaf));
  if (typeof v === 'object' && v !== null && !('class_name' in v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStructure(x, leaf)]));
  return leaf(v as Identifier);
};

/** Our compile section → the compile_config Keras 3 writes into to_json and a .keras archive. */
export function kerasCompileConfig(compile: CompileSpec): Cfg {
  const opt = resolve(OPTIMIZERS, compile.optimizer ?? 'rmsprop', 'optimizer');
  if ('error' in opt) throw new Error(opt.error);
  const defaults = KERAS_OPTIMIZERS[opt.class_name];
  const config: Cfg = { ...defaults, ...opt.config, name: defaults.name };
  // Keras holds the learning rate in a float32 variable and writes back what it holds.
  if (typeof config.learning_rate === 'number') config.learning_rate = Math.fround(config.learning_rate);
  return {
    optimizer: { module: 'keras.optimizers', class_name: opt.class_name, config, registered_name: null },
    loss: mapStructure(compile.loss, kerasLoss),
    loss_weights: compile.loss_weights ?? null,
    metrics: compile.metrics === undefined ? null : mapStructure(compile.metrics, kerasMetric),
    weighted_metrics: null,
    run_eagerly: false,
    steps_per_execution: 1,
    jit_compile: false,
  };
}

// ----------------------------------------------------------------------------- model

const batched = (shape: Shape): Array<number | null> => [null, ...shape];

/** Layers that keep their input's dtype in Keras 3; the others compute in float32. */
const DTYPE_PRESERVING = new Set(['Flatten', 'Reshape']);

export interface ToKerasOptions {
  /** The model's name in Keras (config.name); Keras's default is "functional". */
  name?: string;
  /** Adds compile_config, as to_json writes it for a compiled model and a .keras archive holds it. */
  compile?: CompileSpec;
}

/**
 * Our model (the Sequential shorthand, a graph spec, or a normalized/checked graph) → Keras 3's
 * `model.to_json()` of the same functional model, parsed. Always class Functional: a Sequential
 * spec becomes the equivalent functional model (same layers, names and weights). Write it out with
 * pythonJson (keras-archive.ts), not JSON.stringify: Keras wants its float options as floats.
 */
export function toKerasJson(model: ModelSpec | Graph, options: ToKerasOptions = {}): Record<string, unknown> {
  const graph = checkGraph(normalizeModel(model as ModelSpec));
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: functionalConfig(graph, options.name ?? 'functional'),
    registered_name: 'Functional',
    build_config: { input_shape: null },
    compile_config: options.compile ? kerasCompileConfig(options.compile) : {},
  };
}

/** A checked graph as the config of a Keras Functional (the top-level model, or a nested one). */
function functionalConfig(graph: CheckedGraph, name: string): Record<string, unknown> {
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  const dtypes = new Map<string, string>(graph.inputs.map((i) => [tensorKey(firstOutput(i.name)), i.dtype ?? 'float32']));
  for (const { layer, node } of graph.nodes) {
    const from = dtypes.get(tensorKey(layer.calls[node].inbound[0])) ?? 'float32';
    dtypes.set(tensorKey({ layer: layer.name, node, index: 0 }), DTYPE_PRESERVING.has(layer.class_name) ? from : 'float32');
  }
  const tensor = (r: TensorRef) => ({
    class_name: '__keras_tensor__',
    config: { shape: batched(graph.tensors[tensorKey(r)]), dtype: dtypes.get(tensorKey(r)) ?? 'float32', keras_history: [r.layer, r.node, r.index] },
  });
  const layers = kerasLayerOrder(graph).map((layerName) => {
    const input = graph.inputs.find((i) => i.name === layerName);
    if (input) {
      return {
        module: 'keras.layers',
        class_name: 'InputLayer',
        config: { batch_shape: batched(input.shape), dtype: input.dtype ?? 'float32', sparse: false, ragged: false, name: layerName, optional: false },
        registered_name: null,
        name: layerName,
        inbound_nodes: [],
      };
    }
    const layer = byName.get(layerName)!;
    const shapesOf = (c: LayerCall) => c.inbound.map((r) => batched(graph.tensors[tensorKey(r)]));
    if (layer.model) {
      // A nested model, written as the equivalent Functional (same layers, names and weights).
      const nodes = layer.calls.map((c) => ({ args: [c.inbound.length === 1 ? tensor(c.inbound[0]) : c.inbound.map(tensor)], kwargs: {} }));
      const first = shapesOf(layer.calls[0]);
      return {
        module: 'keras.src.models.functional',
        class_name: 'Functional',
        config: functionalConfig(layer.model, layerName),
        registered_name: 'Functional',
        build_config: { input_shape: first.length === 1 ? first[0] : first },
        name: layerName,
        inbound_nodes: nodes,
      };
    }
    const many = LAYERS[layer.class_name].arity === 'many';
    const inShapes = shapesOf(layer.calls[0]);
    const nodes = layer.calls.map((c) => {
      const kwargs: Record<string, unknown> = { ...KERAS_LAYERS[layer.class_name].kwargs };
      for (const [key, refs] of Object.entries(c.kwargs)) kwargs[key] = refs.map(tensor);
      const positional = layerDef(layer.class_name)?.positionalInputs;
      return { args: positional ? c.inbound.map(tensor) : many ? [c.inbound.map(tensor)] : [tensor(c.inbound[0])], kwargs };
    });
    return {
      module: 'keras.layers',
      class_name: layer.class_name,
      config: kerasLayerConfig(layer, inShapes),
      registered_name: null,
      ...(KERAS_LAYERS[layer.class_name].build ? { build_config: buildConfig(layer.class_name, many ? inShapes : inShapes[0]) } : {}),
      name: layerName,
      inbound_nodes: nodes,
    };
  });
  // A model made from one tensor (not a list of one) writes the bare [name, 0, 0], as Keras does.
  const refs = (rs: TensorRef[]) => (rs.length === 1 ? [rs[0].layer, rs[0].node, rs[0].index] : rs.map((r) => [r.layer, r.node, r.index]));
  return { name, trainable: true, layers, input_layers: refs(graph.inputs.map((i) => firstOutput(i.name))), output_layers: refs(graph.outputRefs) };
}

// ----------------------------------------------------------------------------- text

/**
 * Options Keras holds as Python floats. JavaScript writes 0.0 as 0, which Python reads as an
 * int, and Keras 3 refuses an int learning_rate (every optimizer) and SGD momentum ("must be a
 * float"); the others are written as floats so the text reads as Keras's own (see pythonJson).
 */
export const KERAS_FLOAT_OPTIONS: ReadonlySet<string> = new Set([
  'learning_rate', 'momentum', 'rho', 'epsilon', 'beta_1', 'beta_2', 'weight_decay', 'clipnorm', 'clipvalue', 'global_clipnorm', 'ema_momentum',
  'initial_accumulator_value', 'loss_scale_factor', 'rate', 'dropout', 'recurrent_dropout', 'renorm_momentum', 'gain', 'mean', 'stddev', 'minval',
  'maxval', 'value', 'l1', 'l2', 'label_smoothing', 'delta', 'threshold',
]);
