/**
 * Turns a model spec (functional graph or Sequential shorthand) into one normalized graph and checks it:
 * unique names, known layers and config keys, inbound references, cycles, and shapes that connect.
 */
import { LAYERS, ShapeError, layerConfigProblem, layerDef, type LayerDef, type Shape } from './layers/index.ts';
import { SpecError, pointer, type SpecIssue } from './problem.ts';
import type { InputSpec, ModelSpec } from './schema.ts';

export interface GraphLayer {
  name: string;
  class_name: string;
  config: Record<string, any>;
  inbound: string[];
  /** JSON pointer of this layer in the submitted body, for error messages. */
  at: string;
}

export interface Graph {
  inputs: InputSpec[];
  /** Topologically ordered. */
  layers: GraphLayer[];
  outputs: string[];
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
  shapes: Record<string, Shape>;
  summary: { layers: SummaryRow[]; total_params: number; trainable_params: number; non_trainable_params: number };
}

function snake(className: string): string {
  return className.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

function inputShapeOf(config: Record<string, any> | undefined): Shape | undefined {
  if (!config) return undefined;
  if (Array.isArray(config.shape)) return config.shape;
  const batch = config.batch_shape ?? config.batch_input_shape;
  return Array.isArray(batch) ? batch.slice(1) : undefined;
}

/** Expands the Sequential shorthand into a graph, naming layers as Keras would (dense, dense_1, ...). */
export function normalizeModel(model: ModelSpec, at = '/model'): Graph {
  if (!('sequential' in model)) {
    return {
      inputs: model.inputs,
      layers: model.layers.map((l, i) => ({
        name: l.name,
        class_name: l.class_name,
        config: l.config ?? {},
        inbound: l.inbound ?? (i === 0 ? [model.inputs[0].name] : [model.layers[i - 1].name]),
        at: `${at}/layers/${i}`,
      })),
      outputs: model.outputs,
      weights: model.weights,
    };
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
  const layers = rest.map((l, i) => {
    const name = l.name ?? unique(snake(l.class_name));
    const layer = { name, class_name: l.class_name, config: l.config ?? {}, inbound: [previous], at: `${at}/sequential/${i + 1}` };
    previous = name;
    return layer;
  });
  return { inputs: [{ name: inputName, shape }], layers, outputs: [previous], weights: model.weights };
}

/** Orders layers so that every inbound comes first; reports missing references and cycles. */
function topoSort(graph: Graph, issues: SpecIssue[]): GraphLayer[] {
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  const inputNames = new Set(graph.inputs.map((i) => i.name));
  const order: GraphLayer[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (layer: GraphLayer, trail: string[]): void => {
    const s = state.get(layer.name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(layer.name)), layer.name];
      issues.push({ pointer: `${layer.at}/inbound`, message: `the graph has a cycle: ${cycle.join(' -> ')}` });
      return;
    }
    state.set(layer.name, 'visiting');
    layer.inbound.forEach((src, j) => {
      const dep = byName.get(src);
      if (dep) visit(dep, [...trail, layer.name]);
      else if (!inputNames.has(src)) issues.push({ pointer: `${layer.at}/inbound/${j}`, message: `no input or layer is named "${src}"` });
    });
    state.set(layer.name, 'done');
    order.push(layer);
  };
  for (const layer of graph.layers) visit(layer, []);
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

  const layers = topoSort(graph, issues);
  if (issues.length) throw new SpecError(issues);

  // No prototype: a layer named "constructor" or "toString" must not find Object.prototype's members.
  const shapes: Record<string, Shape> = Object.create(null);
  for (const input of graph.inputs) shapes[input.name] = input.shape;
  const rows: SummaryRow[] = [];
  let trainable = 0;
  let frozen = 0;
  for (const layer of layers) {
    const info = layerDef(layer.class_name);
    if (!info) {
      issues.push({ pointer: `${layer.at}/class_name`, message: `unknown layer "${layer.class_name}"; supported: ${Object.keys(LAYERS).join(', ')}` });
      continue;
    }
    const className = info.class_name;
    layer.class_name = className;
    const refused = layerConfigProblem(info, layer.config);
    if (refused) {
      issues.push({ pointer: `${layer.at}/config/${refused[0]}`, message: refused[1] });
      continue;
    }
    const missing = Object.keys(info.keras).find((k) => info.keras[k] === undefined && layer.config[k] === undefined && !Object.hasOwn(info.defaults ?? {}, k));
    if (missing) {
      issues.push({ pointer: `${layer.at}/config/${missing}`, message: `${className} requires "${missing}"` });
      continue;
    }
    const arityOk = info.arity === 'many' ? layer.inbound.length >= 2 : layer.inbound.length === 1;
    if (!arityOk) {
      issues.push({ pointer: `${layer.at}/inbound`, message: `${className} takes ${info.arity === 'many' ? 'two or more inputs' : 'exactly one input'}, got ${layer.inbound.length}` });
      continue;
    }
    const inShapes = layer.inbound.map((n) => shapes[n]);
    if (inShapes.some((s) => s === undefined)) continue; // an upstream layer already failed
    try {
      shapes[layer.name] = info.outputShape(layer.config, inShapes);
      const [t, n] = paramCounts(info, layer.config, inShapes);
      const layerTrainable = layer.config.trainable !== false;
      trainable += layerTrainable ? t : 0;
      frozen += n + (layerTrainable ? 0 : t);
      rows.push({ name: layer.name, class_name: className, output_shape: shapes[layer.name], params: t + n, trainable_params: layerTrainable ? t : 0, inbound: layer.inbound });
    } catch (err) {
      if (!(err instanceof ShapeError)) throw err;
      const where = err.key ? `${layer.at}/config/${err.key}` : `${layer.at}/inbound`;
      const from = layer.inbound.map((n) => `${n} (None, ${shapes[n].map((d) => (d === null ? 'None' : d)).join(', ')})`).join(', ');
      issues.push({ pointer: where, message: `${className} "${layer.name}" cannot take ${from}: ${err.message}` });
    }
  }
  graph.outputs.forEach((name, i) => {
    if (!graph.layers.some((l) => l.name === name) && !graph.inputs.some((inp) => inp.name === name)) {
      issues.push({ pointer: `${at}/outputs/${i}`, message: `no layer is named "${name}"` });
    }
  });
  if (graph.weights) {
    for (const name of Object.keys(graph.weights)) {
      if (!graph.layers.some((l) => l.name === name)) issues.push({ pointer: `${at}/weights${pointer(name)}`, message: `no layer is named "${name}"` });
    }
  }
  if (issues.length) throw new SpecError(issues);
  return {
    ...graph,
    layers,
    shapes,
    summary: { layers: rows, total_params: trainable + frozen, trainable_params: trainable, non_trainable_params: frozen },
  };
}
