/**
 * The order Keras lists a functional model's layers in (model.layers, to_json, get_weights of a
 * nested model).
 */
import type { Graph } from './graph.ts';

/**
 * The order Keras 3 lists a functional model's operations in (keras/src/ops/function.py map_graph):
 * by depth from the outputs, deepest first, ties broken by first visit in a depth-first walk from
 * the outputs. to_json lists layers in this order, so matching it keeps exports diffable with Keras.
 * Layers no output depends on are not part of a Keras model and are left out.
 */
export function kerasLayerOrder(graph: Pick<Graph, 'inputs' | 'layers' | 'outputs'>): string[] {
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  // Every layer a layer's calls read (inputs and keyword arguments), in call order.
  const sources = (name: string): string[] => (byName.get(name)?.calls ?? []).flatMap((c) => [...c.inbound, ...Object.values(c.kwargs).flat()].map((r) => r.layer));
  const inputs = new Set(graph.inputs.map((i) => i.name));
  const index = new Map<string, number>();
  const finished = new Set<string>();
  const postOrder: string[] = [];
  const visit = (name: string): void => {
    if (finished.has(name)) return;
    if (!index.has(name)) index.set(name, index.size);
    if (!inputs.has(name)) for (const src of sources(name)) visit(src);
    finished.add(name);
    postOrder.push(name);
  };
  for (const out of graph.outputs) visit(out);

  const nodeDepth = new Map<string, number>();
  const depth = new Map<string, number>();
  for (const name of [...postOrder].reverse()) {
    const d = Math.max(nodeDepth.get(name) ?? 0, depth.get(name) ?? 0);
    depth.set(name, d);
    nodeDepth.set(name, d);
    if (inputs.has(name)) continue;
    for (const parent of sources(name)) nodeDepth.set(parent, Math.max(d + 1, nodeDepth.get(parent) ?? 0));
  }
  for (const input of graph.inputs) {
    if (!depth.has(input.name)) {
      depth.set(input.name, 0);
      index.set(input.name, -1);
    }
  }
  return [...depth.keys()].sort((a, b) => depth.get(b)! - depth.get(a)! || index.get(a)! - index.get(b)!);
}

