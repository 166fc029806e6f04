/**
 * Records tfjs-node's kernel calls into a TensorFlow graph instead of running them: the engine's
 * own step code (layers, losses, gradients, optimizer) runs once with symbolic tensors, and every
 * kernel it dispatches becomes a graph node with the same op, attributes and inputs. The graph
 * then computes what the eager step computes, in one TF_SessionRun per batch.
 *
 * tfjs-node hands each kernel to `binding.executeOp(op, attrs, inputIds)`; while tracing, that
 * call adds a node, and the ids it returns are negative (graph tensors), so tfjs-node never tries
 * to free them. Real tensors met as inputs become graph constants, or the reads of graph variables
 * they are bound to; a variable assigned during the trace becomes an AssignVariableOp.
 */
import * as tf from '@tensorflow/tfjs';
import type { AddedOp, GraphBinding, GraphHandle, GraphOutput, OpAttr } from './binding.ts';

/** The step did something a graph cannot capture (a host read, an unknown shape); run eagerly. */
export class NotTraceable extends Error {}

type DataId = object;

interface TensorEntry {
  shape: number[];
  dtype: number;
  values: ArrayBufferView | null;
  id: number;
}

interface NodeBinding {
  executeOp(op: string, attrs: OpAttr[], inputIds: number[], outputs: number): Array<{ id: number; shape: number[]; dtype: number }>;
  tensorDataSync(id: number): ArrayBufferView;
  TF_ATTR_TYPE: number;
  TF_ATTR_SHAPE: number;
  TF_ATTR_STRING: number;
  TF_FLOAT: number;
  TF_INT32: number;
  TF_BOOL: number;
}

interface NodeBackendInternals {
  binding: NodeBinding;
  tensorMap: { get(dataId: DataId): TensorEntry };
  getInputTensorIds(tensors: tf.Tensor[]): number[];
  createOutputTensor(metadata: { id: number; shape: number[]; dtype: number }): tf.Tensor;
  incRef(dataId: DataId): void;
}

const toTfe = (graphId: number) => -(graphId + 1);
const fromTfe = (tfeId: number) => -tfeId - 1;

export function tfDtype(dtype: tf.DataType): number {
  const codes: Partial<Record<tf.DataType, number>> = { float32: 1, int32: 3, bool: 10 };
  const code = codes[dtype];
  if (code === undefined) throw new NotTraceable(`dtype ${dtype} cannot be fed to a graph`);
  return code;
}

export interface TraceResult {
  /** Graph tensors of what the traced function returned, in order. */
  outputs: number[];
  /** Bound variables the function assigned, with the graph tensor of their new value. */
  assigned: Map<tf.Variable, number>;
}

/** A graph under construction, and the session that runs it once it is built. */
export class TracedGraph {
  readonly handle: GraphHandle;
  private sessionStarted = false;

  constructor(readonly binding: GraphBinding) {
    this.handle = binding.newGraph();
  }

  op(type: string, attrs: OpAttr[], inputs: number[], controlOps: number[] = []): AddedOp {
    return this.binding.addOp(this.handle, type, attrs, inputs, controlOps);
  }

  constant(dtype: number, shape: number[], values: ArrayBufferView): number {
    return this.binding.addConst(this.handle, dtype, shape, values).outputs[0].id;
  }

  placeholder(dtype: number, shape: number[]): number {
    return this.op('Placeholder', [this.typeAttr('dtype', dtype), { name: 'shape', type: SHAPE, value: shape }], []).outputs[0].id;
  }

  /** A resource variable: its handle, one read of it, and an assign fed by a placeholder (for loading values). */
  variable(dtype: number, shape: number[], name: string): { handle: number; read: number; load: { placeholder: number; op: number } } {
    const handle = this.op('VarHandleOp', [this.typeAttr('dtype', dtype), { name: 'shape', type: SHAPE, value: shape }, { name: 'shared_name', type: STRING, value: name }], []).outputs[0].id;
    const read = this.op('ReadVariableOp', [this.typeAttr('dtype', dtype)], [handle]).outputs[0].id;
    const placeholder = this.placeholder(dtype, shape);
    return { handle, read, load: { placeholder, op: this.assign(handle, placeholder, dtype) } };
  }

  assign(handle: number, value: number, dtype: number): number {
    return this.op('AssignVariableOp', [this.typeAttr('dtype', dtype)], [handle, value]).op;
  }

  run(feeds: Parameters<GraphBinding['run']>[1], fetches: number[], targets: number[]): ReturnType<GraphBinding['run']> {
    if (!this.sessionStarted) {
      this.binding.startSession(this.handle, 0, 0);
      this.sessionStarted = true;
    }
    return this.binding.run(this.handle, feeds, fetches, targets);
  }

  private typeAttr(name: string, dtype: number): OpAttr {
    return { name, type: TYPE, value: dtype };
  }

  /**
   * Runs `fn` with tfjs-node's kernels recorded into this graph. `bound` maps real variables to
   * graph tensors (their reads); `symbolic` turns a graph tensor into a tfjs tensor fn can use.
   * Every bound variable is left exactly as it was.
   */
  trace(bound: Map<tf.Variable, number>, fn: (symbolic: (out: GraphOutput) => tf.Tensor) => tf.Tensor[]): TraceResult {
    if (tf.getBackend() !== 'tensorflow') throw new NotTraceable('graph execution needs the tfjs-node backend');
    const backend = tf.backend() as unknown as NodeBackendInternals;
    const real = backend.binding;
    const byDataId = new Map<DataId, number>();
    for (const [v, id] of bound) byDataId.set(v.dataId, id);
    // Every variable is watched: bound ones get symbolic values when assigned, and are restored
    // after; an unbound one assigned (or a variable created) during the trace cannot live in the
    // graph, so the trace is refused. These references keep the real data alive meanwhile.
    const registered = tf.engine().registeredVariables;
    const before = new Set(Object.keys(registered));
    const originals = Object.values(registered).map((v) => {
      const hold = tf.engine().makeTensorFromDataId(v.dataId, v.shape, v.dtype);
      backend.incRef(v.dataId); // makeTensorFromDataId counts the tensor, not a reference to its data
      return { v, dataId: v.dataId, hold };
    });
    const graphId = (t: tf.Tensor): number => {
      const known = byDataId.get(t.dataId);
      if (known !== undefined) return known;
      const entry = backend.tensorMap.get(t.dataId);
      if (entry.values == null && entry.id < 0) return fromTfe(entry.id);
      const id = this.constant(entry.dtype, t.shape, entry.values ?? real.tensorDataSync(entry.id));
      byDataId.set(t.dataId, id);
      return id;
    };
    // The binding's methods are read-only properties; the recording binding shadows two of them.
    const recording: NodeBinding = Object.create(real, {
      executeOp: {
        value: (op: string, attrs: OpAttr[], inputIds: number[], count: number) => {
          const added = this.op(op, attrs, inputIds.map(fromTfe));
          return added.outputs.slice(0, count).map((o) => {
            if (o.shape === -1 || o.shape.some((d) => d < 0)) throw new NotTraceable(`${op} has an output of unknown shape`);
            return { id: toTfe(o.id), shape: o.shape, dtype: o.dtype };
          });
        },
      },
      tensorDataSync: {
        value: (id: number) => {
          if (id < 0) throw new NotTraceable('the step reads a value on the host');
          return real.tensorDataSync(id);
        },
      },
    });
    backend.binding = recording;
    backend.getInputTensorIds = (tensors) => tensors.map((t) => toTfe(graphId(t)));
    let results: tf.Tensor[] = [];
    try {
      const symbolic = (out: GraphOutput) => {
        if (out.shape === -1) throw new NotTraceable('a graph input has an unknown shape');
        return backend.createOutputTensor({ id: toTfe(out.id), shape: out.shape, dtype: out.dtype });
      };
      results = tf.tidy(() => fn(symbolic));
      const created = Object.keys(registered).filter((name) => !before.has(name));
      if (created.length) {
        for (const name of created) registered[name].dispose();
        throw new NotTraceable(`the step created variables (${created.join(', ')})`);
      }
      const outputs = results.map(graphId);
      const assigned = new Map<tf.Variable, number>();
      for (const { v, dataId } of originals) {
        if (v.dataId === dataId) continue;
        if (!bound.has(v)) throw new NotTraceable(`the step assigns ${v.name}, which the graph does not hold`);
        assigned.set(v, graphId(v));
      }
      return { outputs, assigned };
    } finally {
      backend.binding = real;
      delete (backend as Partial<NodeBackendInternals>).getInputTensorIds;
      for (const { v, dataId, hold } of originals) {
        if (v.dataId !== dataId) v.assign(hold);
        hold.dispose();
      }
      tf.dispose(results);
    }
  }
}

// TF_AttrType codes (tensorflow/c/tf_attrtype.h), as tfjs-node's binding exposes them.
const STRING = 0;
const TYPE = 4;
const SHAPE = 5;
