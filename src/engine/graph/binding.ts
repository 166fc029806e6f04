/**
 * The graph-execution addon (native/tf-graph), built at install time against tfjs-node's
 * libtensorflow. Absent (no tfjs-node, a failed build), the engine runs op by op as before.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface GraphOutput {
  id: number;
  /** -1 when the rank is unknown; -1 entries are unknown dimensions. */
  shape: number[] | -1;
  dtype: number;
}

export interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

export interface AddedOp {
  op: number;
  outputs: GraphOutput[];
}

export interface Feed {
  id: number;
  dtype: number;
  shape: number[];
  values: ArrayBufferView;
}

export type GraphHandle = { readonly __graph: unique symbol };

export interface GraphBinding {
  newGraph(): GraphHandle;
  addOp(graph: GraphHandle, type: string, attrs: OpAttr[], inputs: number[], controlOps: number[]): AddedOp;
  addConst(graph: GraphHandle, dtype: number, shape: number[], values: ArrayBufferView): AddedOp;
  startSession(graph: GraphHandle, intraOpThreads: number, interOpThreads: number): void;
  run(graph: GraphHandle, feeds: Feed[], fetches: number[], targets: number[]): Array<Float32Array | Int32Array | Uint8Array>;
}

const ADDON_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../native/tf-graph/build/Release/tf_graph.node');

let cached: GraphBinding | null | undefined;

/** The addon, or undefined where it was not built. */
export function graphBinding(): GraphBinding | undefined {
  if (cached === undefined) {
    try {
      cached = createRequire(import.meta.url)(ADDON_PATH) as GraphBinding;
    } catch {
      cached = null;
    }
  }
  return cached ?? undefined;
}
