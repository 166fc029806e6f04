/**
 * Turns a model spec (functional graph or Sequential shorthand) into one normalized graph and checks it:
 * unique names, known layers and config keys, tensor references, cycles, and shapes that connect.
 *
 * The graph is Keras's: a layer may be called several times (shared weights; each call is a node),
 * a call may return several tensors (an RNN's return_state) and take tensors as keyword arguments
 * (initial_state), and a layer may itself be a model (Sequential or Functional).
 */
import { Value } from 'typebox/value';
import { LAYERS, ShapeError, layerConfigProblem, layerDef, type LayerDef, type Shape } from './layers/index.ts';
import { SpecError, pointer, type SpecIssue } from './problem.ts';
import { ModelSpec as ModelSpecSchema, type InputSpec, type ModelSpec, type TensorRef as TensorRefSpec } from './schema.ts';

/** Output `index` of call `node` of `layer` (a model input: node 0, index 0). */
export interface TensorRef {
  layer: string;
  node: number;
  index: number;
}

export interface LayerCall {
  inbound: TensorRef[];
  /** Keyword arguments that take tensors (initial_state), by name. */
  kwargs: Record<string, TensorRef[]>;
  /** JSON pointer of this call in the submitted body. */
  at: string;
}

export interface GraphLayer {
  name: string;
  class_name: string;
  config: Record<string, any>;
  /** The layers (or inputs) the first call reads, by name: what summaries show. */
  inbound: string[];
  /** Every call of the layer, in node order. */
  calls: LayerCall[];
  /** JSON pointer of this layer in the submitted body, for error messages. */
  at: string;
  /** A nested model (class Sequential or Functional): its checked graph, set by checkGraph. */
  model?: CheckedGraph;
}

/** One call of one layer, as the graph runs them. */
export interface GraphNode {
  layer: GraphLayer;
  node: number;
}

export interface Graph {
  inputs: InputSpec[];
  /** Ordered by first call, topologically. */
  layers: GraphLayer[];
  /** The model's output names (the layers that produce them), as Keras's output_names. */
  outputs: string[];
  outputRefs: TensorRef[];
  weights?: Record<string, unknown[]>;
}

export interface SummaryRow {
  name: string;
  class_name: string;
  output_shape: Shape;
  params: number;
  trainable_params: number;
  inbound: string[];
}

export interface CheckedGraph extends Graph {
  /** Every call in an order where each reads only tensors made before it. */
  nodes: GraphNode[];
  /** Output 0 of each layer's first call, and each input, by name. */
  shapes: Record<string, Shape>;
  /** Every tensor's shape by tensorKey. */
  tensors: Record<string, Shape>;
  summary: { layers: SummaryRow[]; total_params: number; trainable_params: number; non_trainable_params: number };
}

/** Classes of a layer that is a model. */
export const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

export const tensorKey = (r: TensorRef): string => `${r.layer}:${r.node}:${r.index}`;
export const firstOutput = (layer: string): TensorRef => ({ layer, node: 0, index: 0 });
const showRef = (r: TensorRef) => (r.node === 0 && r.index === 0 ? r.layer : `["${r.layer}", ${r.node}, ${r.index}]`);

function snake(className: string): string {
  return className.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

function inputShapeOf(config: Record<string, any> | undefined): Shape | undefined {
  if (!config) return undefined;
  if (Array.isArray(config.shape)) return config.shape;
  const batch = config.batch_shape ?? config.batch_input_shape;
  return Array.isArray(batch) ? batch.slice(1) : undefined;
}

/** A reference as written (a name, or Keras's [name, node_index, tensor_index]). */
function parseRef(ref: TensorRefSpec | unknown, at: string, issues: SpecIssue[]): TensorRef | undefined {
  if (typeof ref === 'string') return firstOutput(ref);
  if (Array.isArray(ref) && ref.length === 3 && typeof ref[0] === 'string' && Number.isInteger(ref[1]) && Number.isInteger(ref[2]) && ref[1] >= 0 && ref[2] >= 0) {
    return { layer: ref[0], node: ref[1] as number, index: ref[2] as number };
  }
  issues.push({ pointer: at, message: `a tensor is a name or ["layer", node_index, tensor_index], got ${JSON.stringify(ref)}` });
  return undefined;
}

function parseRefs(refs: unknown[], at: string, issues: SpecIssue[]): TensorRef[] {
  return refs.map((r, i) => parseRef(r, `${at}/${i}`, issues)).filter((r): r is TensorRef => r !== undefined);
}

/** Call kwargs: each a tensor reference or a list of them. */
function parseKwargs(kwargs: Record<string, unknown> | undefined, at: string, issues: SpecIssue[]): Record<string, TensorRef[]> {
  const out: Record<string, TensorRef[]> = {};
  for (const [key, value] of Object.entries(kwargs ?? {})) {
    const ptr = `${at}/kwargs${pointer(key)}`;
    const list = Array.isArray(value) && !(value.length === 3 && typeof value[0] === 'string' && typeof value[1] === 'number') ? value : [value];
    out[key] = parseRefs(list, ptr, issues);
  }
  return out;
}

/** Expands the Sequential shorthand into a graph, naming layers as Keras would (dense, dense_1, ...). */
export function normalizeModel(model: ModelSpec | Graph, at = '/model'): Graph {
  if ('outputRefs' in model) return model; // already normalized
  const issues: SpecIssue[] = [];
  if (!('sequential' in model)) {
    const layers = model.layers.map((l, i): GraphLayer => {
      const layerAt = `${at}/layers/${i}`;
      const previous = i === 0 ? model.inputs[0].name : model.layers[i - 1].name;
      if (l.calls && (l.inbound || l.kwargs)) issues.push({ pointer: `${layerAt}/calls`, message: 'give calls, or inbound and kwargs, not both' });
      const calls = l.calls
        ? l.calls.map((c, k) => ({ inbound: parseRefs(c.inbound, `${layerAt}/calls/${k}/inbound`, issues), kwargs: parseKwargs(c.kwargs, `${layerAt}/calls/${k}`, issues), at: `${layerAt}/calls/${k}` }))
        : [{ inbound: l.inbound ? parseRefs(l.inbound, `${layerAt}/inbound`, issues) : [firstOutput(previous)], kwargs: parseKwargs(l.kwargs, layerAt, issues), at: layerAt }];
      return { name: l.name, class_name: l.class_name, config: l.config ?? {}, inbound: calls[0].inbound.map((r) => r.layer), calls, at: layerAt };
    });
    const outputRefs = parseRefs(model.outputs, `${at}/outputs`, issues);
    if (issues.length) throw new SpecError(issues);
    return { inputs: model.inputs, layers, outputs: outputRefs.map((r) => r.layer), outputRefs, weights: model.weights };
  }
  const [first, ...rest] = model.sequential;
  const shape = first.class_name === 'InputLayer' || first.class_name === 'Input' ? inputShapeOf(first.config) : undefined;
  if (!shape) {
    throw new SpecError({ pointer: `${at}/sequential/0`, message: 'the first item must be {"class_name": "InputLayer", "config": {"shape": [...]}}' });
  }
  const used = new Map<string, number>();
  const unique = (base: string) => {
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  };
  const inputName = first.name ?? unique('input_layer');
  for (const l of rest) if (l.name) used.set(l.name, 1);
  let previous = inputName;
  const layers = rest.map((l, i): GraphLayer => {
    const name = l.name ?? unique(snake(l.class_name));
    const layerAt = `${at}/sequential/${i + 1}`;
    const layer = { name, class_name: l.class_name, config: l.config ?? {}, inbound: [previous], calls: [{ inbound: [firstOutput(previous)], kwargs: {}, at: layerAt }], at: layerAt };
    previous = name;
    return layer;
  });
  return { inputs: [{ name: inputName, shape }], layers, outputs: [previous], outputRefs: [firstOutput(previous)], weights: model.weights };
}

/** Orders every call so that the tensors it reads come first; reports missing references and cycles. */
function topoSort(graph: Graph, issues: SpecIssue[]): GraphNode[] {
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  const inputNames = new Set(graph.inputs.map((i) => i.name));
  const order: GraphNode[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (layer: GraphLayer, node: number, trail: string[]): void => {
    const key = `${layer.name}:${node}`;
    const s = state.get(key);
    if (s === 'done') return;
    const call = layer.calls[node];
    if (s === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(layer.name)), layer.name];
      issues.push({ pointer: `${call.at}/inbound`, message: `the graph has a cycle: ${cycle.join(' -> ')}` });
      return;
    }
    state.set(key, 'visiting');
    const refs: Array<[TensorRef, string]> = [
      ...call.inbound.map((r, j): [TensorRef, string] => [r, `${call.at}/inbound/${j}`]),
      ...Object.entries(call.kwargs).flatMap(([k, rs]) => rs.map((r, j): [TensorRef, string] => [r, `${call.at}/kwargs${pointer(k)}/${j}`])),
    ];
    for (const [ref, at] of refs) {
      const dep = byName.get(ref.layer);
      if (dep) {
        if (ref.node >= dep.calls.length) issues.push({ pointer: at, message: `layer "${ref.layer}" is called ${dep.calls.length} time${dep.calls.length > 1 ? 's' : ''}; there is no call ${ref.node}` });
        else visit(dep, ref.node, [...trail, layer.name]);
      } else if (!inputNames.has(ref.layer)) issues.push({ pointer: at, message: `no input or layer is named "${ref.layer}"` });
      else if (ref.node !== 0 || ref.index !== 0) issues.push({ pointer: at, message: `input "${ref.layer}" is one tensor: ["${ref.layer}", 0, 0]` });
    }
    state.set(key, 'done');
    order.push({ layer, node });
  };
  for (const layer of graph.layers) layer.calls.forEach((_, k) => visit(layer, k, []));
  return order;
}

/** [trainable, non-trainable] parameter counts: the sizes of the layer's weights. */
export function paramCounts(info: LayerDef, cfg: Record<string, any>, inputs: Shape[]): [number, number] {
  let trainable = 0;
  let frozen = 0;
  for (const w of info.weights?.(cfg, inputs) ?? []) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (w.trainable) trainable += size;
    else frozen += size;
  }
  return [trainable, frozen];
}

const shown = (s: Shape) => `(None, ${s.map((d) => (d === null ? 'None' : d)).join(', ')})`;

/** Whether a tensor of shape `got` fits an input declared as `want` (None matches any size). */
const fits = (got: Shape, want: Shape) => got.length === want.length && want.every((d, i) => d === null || d === got[i]);

/** A nested model's spec, checked against the model schema first (the outer schema cannot reach it). */
function nestedModel(layer: GraphLayer, issues: SpecIssue[]): CheckedGraph | undefined {
  const at = `${layer.at}/config`;
  const config = layer.config;
  if (!Value.Check(ModelSpecSchema, config)) {
    const errors = [...Value.Errors(ModelSpecSchema, config)];
    const first = errors.find((e) => e.instancePath) ?? errors[0];
    issues.push({ pointer: `${at}${first?.instancePath ?? ''}`, message: `a nested ${layer.class_name} model's config is a model spec ({"inputs", "layers", "outputs"} or {"sequential"}): ${first?.message ?? 'invalid'}` });
    return undefined;
  }
  if ((config as { weights?: unknown }).weights) {
    issues.push({ pointer: `${at}/weights`, message: `give a nested model's weights in the outer model's weights, under "${layer.name}"` });
    return undefined;
  }
  try {
    return checkGraph(normalizeModel(config as ModelSpec, at), at);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    issues.push(...err.issues);
    return undefined;
  }
}

/** Every layer's name, nested models' layers included (the TensorFlow.js format names weights by them). */
export function layerNamesDeep(graph: CheckedGraph): string[] {
  return graph.layers.flatMap((l) => [l.name, ...(l.model ? layerNamesDeep(l.model) : [])]);
}

interface CallResult {
  outputs: Shape[];
  params: [number, number];
  /** The weights' shapes, which every call of a shared layer must agree on. */
  weightShapes: string;
}

/** Checks one call of a registered layer: arity, keyword arguments, shapes. */
function checkCall(info: LayerDef, layer: GraphLayer, call: LayerCall, inShapes: Shape[], tensorShapes: (r: TensorRef) => Shape | undefined, issues: SpecIssue[]): CallResult | undefined {
  const className = info.class_name;
  const arityOk = info.arity === 'many' ? inShapes.length >= 2 : inShapes.length === 1;
  if (!arityOk) {
    issues.push({ pointer: `${call.at}/inbound`, message: `${className} takes ${info.arity === 'many' ? 'two or more inputs' : 'exactly one input'}, got ${inShapes.length}` });
    return undefined;
  }
  for (const [key, refs] of Object.entries(call.kwargs)) {
    const check = info.callArgs && Object.hasOwn(info.callArgs, key) ? info.callArgs[key] : undefined;
    if (!check) {
      const takes = Object.keys(info.callArgs ?? {});
      issues.push({ pointer: `${call.at}/kwargs${pointer(key)}`, message: `${className} has no call argument "${key}" the service takes; ${takes.length ? `it takes ${takes.join(', ')}` : 'it takes none'}` });
      return undefined;
    }
    const shapes = refs.map(tensorShapes);
    if (shapes.some((s) => s === undefined)) return undefined;
    const problem = check(layer.config, inShapes, shapes as Shape[]);
    if (problem) {
      issues.push({ pointer: `${call.at}/kwargs${pointer(key)}`, message: `${className} "${layer.name}": ${problem}` });
      return undefined;
    }
  }
  try {
    const outputs = info.outputs?.(layer.config, inShapes) ?? [info.outputShape(layer.config, inShapes)];
    const params = paramCounts(info, layer.config, inShapes);
    return { outputs, params, weightShapes: JSON.stringify((info.weights?.(layer.config, inShapes) ?? []).map((w) => w.shape)) };
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err;
    const where = err.key ? `${layer.at}/config/${err.key}` : `${call.at}/inbound`;
    const from = call.inbound.map((r, i) => `${showRef(r)} ${shown(inShapes[i])}`).join(', ');
    issues.push({ pointer: where, message: `${className} "${layer.name}" cannot take ${from}: ${err.message}` });
    return undefined;
  }
}

/** Checks one call of a nested model: its inputs' shapes. */
function checkModelCall(layer: GraphLayer, call: LayerCall, inShapes: Shape[], issues: SpecIssue[]): CallResult | undefined {
  const model = layer.model!;
  if (Object.keys(call.kwargs).length) {
    issues.push({ pointer: `${call.at}/kwargs`, message: `a nested model takes no call arguments the service supports` });
    return undefined;
  }
  if (inShapes.length !== model.inputs.length) {
    issues.push({ pointer: `${call.at}/inbound`, message: `${layer.class_name} "${layer.name}" has ${model.inputs.length} input${model.inputs.length > 1 ? 's' : ''}, got ${inShapes.length}` });
    return undefined;
  }
  const bad = model.inputs.findIndex((input, i) => !fits(inShapes[i], input.shape));
  if (bad >= 0) {
    issues.push({ pointer: `${call.at}/inbound/${bad}`, message: `${layer.class_name} "${layer.name}": input "${model.inputs[bad].name}" expects ${shown(model.inputs[bad].shape)}, got ${shown(inShapes[bad])}` });
    return undefined;
  }
  return {
    outputs: model.outputRefs.map((r) => model.tensors[tensorKey(r)]),
    params: [model.summary.trainable_params, model.summary.non_trainable_params],
    weightShapes: JSON.stringify(model.inputs.map((i) => i.shape)),
  };
}

/** Layers a mask reaches unchanged, and those that take one: what the refusal names. */
const MASK_TAKERS = () =>
  Object.values(LAYERS)
    .filter((d) => d.takesMask || d.mask?.({}) === 'passes')
    .map((d) => d.class_name);

/**
 * Keras masks through this call: an Embedding with mask_zero makes one, some layers pass it on or
 * consume it; a masked tensor reaching any other layer (or a keyword argument) is refused, since the
 * layer would compute as if every step were real. Records which of the call's outputs are masked.
 */
function checkMask(info: LayerDef | undefined, layer: GraphLayer, node: number, masked: Set<string>): SpecIssue | undefined {
  const call = layer.calls[node];
  const out0 = tensorKey({ layer: layer.name, node, index: 0 });
  const mode = info?.mask?.(layer.config);
  if (mode === 'makes') masked.add(out0);
  const kw = Object.entries(call.kwargs).find(([, refs]) => refs.some((r) => masked.has(tensorKey(r))));
  if (kw) return { pointer: `${call.at}/kwargs${pointer(kw[0])}`, message: `${kw[0]} of "${layer.name}" carries the mask of an Embedding with mask_zero, which the service does not carry into call arguments` };
  if (!call.inbound.some((r) => masked.has(tensorKey(r)))) return undefined;
  if (mode === 'passes' && call.inbound.length === 1) masked.add(out0);
  else if (mode !== 'consumes' || call.inbound.length !== 1) {
    return { pointer: `${call.at}/inbound`, message: `${layer.class_name} "${layer.name}" gets the mask of an Embedding with mask_zero but does not take masks here; the service carries masks through ${MASK_TAKERS().join(', ')}` };
  }
  return undefined;
}

export function checkGraph(graph: Graph, at = '/model'): CheckedGraph {
  const issues: SpecIssue[] = [];
  const seen = new Map<string, string>();
  for (const [i, input] of graph.inputs.entries()) {
    if (seen.has(input.name)) issues.push({ pointer: `${at}/inputs/${i}/name`, message: `duplicate name "${input.name}"` });
    seen.set(input.name, `${at}/inputs/${i}`);
  }
  for (const layer of graph.layers) {
    if (seen.has(layer.name)) issues.push({ pointer: `${layer.at}/name`, message: `duplicate name "${layer.name}" (also at ${seen.get(layer.name)})` });
    seen.set(layer.name, layer.at);
  }
  if (issues.length) throw new SpecError(issues);

  const nodes = topoSort(graph, issues);
  if (issues.length) throw new SpecError(issues);

  // No prototype: a layer named "constructor" or "toString" must not find Object.prototype's members.
  const tensors: Record<string, Shape> = Object.create(null);
  const shapes: Record<string, Shape> = Object.create(null);
  for (const input of graph.inputs) {
    tensors[tensorKey(firstOutput(input.name))] = input.shape;
    shapes[input.name] = input.shape;
  }
  const failed = new Set<string>();
  /** Tensors that carry a Keras mask (from an Embedding with mask_zero). */
  const masked = new Set<string>();
  const rows: SummaryRow[] = [];
  const firstCall = new Map<string, CallResult>();
  let trainable = 0;
  let frozen = 0;
  const shapeOf = (r: TensorRef, at: string): Shape | undefined => {
    if (failed.has(r.layer)) return undefined;
    const s = tensors[tensorKey(r)];
    if (s === undefined) {
      const count = firstCall.get(r.layer)?.outputs.length ?? 1;
      issues.push({ pointer: at, message: `"${r.layer}" has ${count} output${count > 1 ? 's' : ''}; there is no output ${r.index}` });
      failed.add(`${r.layer}`);
    }
    return s;
  };
  for (const { layer, node } of nodes) {
    if (failed.has(layer.name)) continue;
    const fail = (issue: SpecIssue) => {
      issues.push(issue);
      failed.add(layer.name);
    };
    let info: LayerDef | undefined;
    if (node === 0) {
      if (MODEL_CLASSES.has(layer.class_name)) {
        const before = issues.length;
        layer.model = nestedModel(layer, issues);
        const clash = layer.model && layerNamesDeep(layer.model).find((n) => seen.has(n));
        if (clash) issues.push({ pointer: `${layer.at}/config`, message: `nested model "${layer.name}" has a layer named "${clash}", as the outer model does; layer names must be unique across nested models (weights are addressed by layer name)` });
        if (!layer.model || issues.length > before) {
          failed.add(layer.name);
          continue;
        }
      } else {
        info = layerDef(layer.class_name);
        if (!info) {
          fail({ pointer: `${layer.at}/class_name`, message: `unknown layer "${layer.class_name}"; supported: ${Object.keys(LAYERS).join(', ')}, and Sequential / Functional for a nested model` });
          continue;
        }
        layer.class_name = info.class_name;
        const refused = layerConfigProblem(info, layer.config);
        if (refused) {
          fail({ pointer: `${layer.at}/config/${refused[0]}`, message: refused[1] });
          continue;
        }
        const missing = Object.keys(info.keras).find((k) => info!.keras[k] === undefined && layer.config[k] === undefined && !Object.hasOwn(info!.defaults ?? {}, k));
        if (missing) {
          fail({ pointer: `${layer.at}/config/${missing}`, message: `${info.class_name} requires "${missing}"` });
          continue;
        }
      }
    } else if (!layer.model) info = layerDef(layer.class_name);
    const call = layer.calls[node];
    const inShapes = call.inbound.map((r, j) => shapeOf(r, `${call.at}/inbound/${j}`));
    if (inShapes.some((s) => s === undefined)) {
      failed.add(layer.name);
      continue;
    }
    const refShape = (r: TensorRef) => shapeOf(r, `${call.at}/kwargs`);
    const before = issues.length;
    const result = layer.model ? checkModelCall(layer, call, inShapes as Shape[], issues) : checkCall(info!, layer, call, inShapes as Shape[], refShape, issues);
    if (!result) {
      if (issues.length === before) issues.push({ pointer: call.at, message: `"${layer.name}" cannot be called here` });
      failed.add(layer.name);
      continue;
    }
    const first = firstCall.get(layer.name);
    if (first && first.weightShapes !== result.weightShapes) {
      fail({ pointer: `${call.at}/inbound`, message: `"${layer.name}" is shared: call ${node} needs other weights than call 0 (input ${call.inbound.map((r, i) => `${showRef(r)} ${shown(inShapes[i]!)}`).join(', ')})` });
      continue;
    }
    const maskProblem = checkMask(info, layer, node, masked);
    if (maskProblem) {
      fail(maskProblem);
      continue;
    }
    result.outputs.forEach((s, i) => (tensors[tensorKey({ layer: layer.name, node, index: i })] = s));
    if (first) continue;
    firstCall.set(layer.name, result);
    shapes[layer.name] = result.outputs[0];
    const [t, n] = result.params;
    const layerTrainable = layer.config.trainable !== false || layer.model !== undefined;
    trainable += layerTrainable ? t : 0;
    frozen += n + (layerTrainable ? 0 : t);
    rows.push({ name: layer.name, class_name: layer.class_name, output_shape: result.outputs[0], params: t + n, trainable_params: layerTrainable ? t : 0, inbound: layer.inbound });
  }
  if (issues.length) throw new SpecError(issues);
  const outputNames = new Map<string, number>();
  graph.outputRefs.forEach((ref, i) => {
    const known = graph.layers.some((l) => l.name === ref.layer) || graph.inputs.some((inp) => inp.name === ref.layer);
    if (!known) issues.push({ pointer: `${at}/outputs/${i}`, message: `no layer is named "${ref.layer}"` });
    else if (tensors[tensorKey(ref)] === undefined) issues.push({ pointer: `${at}/outputs/${i}`, message: `"${ref.layer}" has no tensor ${showRef(ref)}` });
    if (masked.has(tensorKey(ref))) issues.push({ pointer: `${at}/outputs/${i}`, message: `output "${ref.layer}" carries the mask of an Embedding with mask_zero; masked losses and metrics are not supported: end the masked part with an RNN (return_sequences false) or GlobalAveragePooling1D` });
    if (outputNames.has(ref.layer)) issues.push({ pointer: `${at}/outputs/${i}`, message: `two outputs come from "${ref.layer}"; outputs are named by their layer, so each must come from another layer` });
    outputNames.set(ref.layer, i);
  });
  if (graph.weights) {
    for (const name of Object.keys(graph.weights)) {
      if (!graph.layers.some((l) => l.name === name)) issues.push({ pointer: `${at}/weights${pointer(name)}`, message: `no layer is named "${name}"` });
    }
  }
  if (issues.length) throw new SpecError(issues);
  // Layers in the order of their first call.
  const layers = [...new Set(nodes.map((n) => n.layer))];
  return {
    ...graph,
    layers,
    nodes,
    shapes,
    tensors,
    summary: { layers: rows, total_params: trainable + frozen, trainable_params: trainable, non_trainable_params: frozen },
  };
}
