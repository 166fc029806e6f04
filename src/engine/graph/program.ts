/**
 * Engine functions compiled to one TensorFlow graph: a training step, an evaluation step, a
 * forward pass. Each is the engine's own code traced once per input shape (tracer.ts); every call
 * after that is one TF_SessionRun instead of one eager kernel call per op.
 *
 * The graph keeps its own copies of the variables the functions read or update (weights,
 * optimizer slots, the learning rate). `push` loads the ones tfjs changed since the last sync,
 * `pull` writes all of them back: the trainer pulls at epoch ends, so callbacks, checkpoints and
 * anything reading the tfjs model see what the eager path would leave.
 */
import * as tf from '@tensorflow/tfjs';
import { graphBinding } from './binding.ts';
import { NotTraceable, TracedGraph, tfDtype } from './tracer.ts';

/** The dtype and shape of one input of a compiled function. */
export interface InputSpec {
  dtype: tf.DataType;
  shape: number[];
}

interface GraphVariable {
  dtype: number;
  read: number;
  handle: number;
  load: { placeholder: number; op: number };
}

interface Compiled {
  inputs: Array<{ id: number; dtype: number; shape: number[] }>;
  fetches: number[];
  targets: number[];
}

/**
 * More traces than this (an evaluate per distinct sample count, say) and further shapes run
 * eagerly: every trace stays in the graph.
 */
export const MAX_TRACES = 16;

export class GraphProgram {
  private readonly vars = new Map<tf.Variable, GraphVariable>();
  /** The data each variable had when graph and tfjs last agreed (every tfjs write makes new data). */
  private readonly synced = new Map<tf.Variable, object>();
  private readonly functions = new Map<string, Compiled>();

  /** Undefined where graph execution is unavailable (no binding, not tfjs-node). */
  static create(): GraphProgram | undefined {
    const binding = graphBinding();
    if (!binding || tf.getBackend() !== 'tensorflow') return undefined;
    return new GraphProgram(new TracedGraph(binding));
  }

  private constructor(private readonly graph: TracedGraph) {}

  /** Makes graph variables for those not bound yet; they are loaded at the next push. */
  bind(variables: tf.Variable[]): void {
    for (const v of variables) {
      if (this.vars.has(v)) continue;
      const dtype = tfDtype(v.dtype);
      this.vars.set(v, { dtype, ...this.graph.variable(dtype, v.shape, `v${this.vars.size}`) });
    }
  }

  /** Whether another function can be traced (see MAX_TRACES). */
  get full(): boolean {
    return this.functions.size >= MAX_TRACES;
  }

  /**
   * Traces `fn` for inputs of these dtypes and shapes, once: returns the key to run it by (the
   * name and the input signature). Every variable fn touches must be bound. NotTraceable (or a
   * TensorFlow error) means fn must run eagerly; it leaves nothing a later compile trips over.
   */
  compile(name: string, inputs: InputSpec[], fn: (inputs: tf.Tensor[]) => tf.Tensor[]): string {
    const key = `${name}(${inputs.map((i) => `${i.dtype}[${i.shape}]`).join(', ')})`;
    if (this.functions.has(key)) return key;
    if (this.full) throw new NotTraceable(`more than ${MAX_TRACES} traced functions`);
    const g = this.graph;
    const placeholders = inputs.map(({ dtype, shape }) => ({ id: g.placeholder(tfDtype(dtype), shape), dtype: tfDtype(dtype), shape }));
    const bound = new Map([...this.vars].map(([v, gv]) => [v, gv.read] as const));
    const { outputs, assigned } = g.trace(bound, (symbolic) => fn(placeholders.map(symbolic)));
    const targets = [...assigned].map(([v, value]) => {
      const gv = this.vars.get(v)!;
      return g.assign(gv.handle, value, gv.dtype);
    });
    this.functions.set(key, { inputs: placeholders, fetches: outputs, targets });
    return key;
  }

  /** Runs a compiled function: input values in order (row-major), outputs as typed arrays. */
  run(key: string, values: ArrayBufferView[]): Array<Float32Array | Int32Array | Uint8Array> {
    const f = this.functions.get(key);
    if (!f) throw new Error(`graph function ${key} was not compiled`);
    const feeds = f.inputs.map((p, i) => ({ id: p.id, dtype: p.dtype, shape: p.shape, values: values[i] }));
    return this.graph.run(feeds, f.fetches, f.targets);
  }

  /** Graph variables ← tfjs variables changed since the last sync. */
  push(): void {
    const changed = [...this.vars].filter(([v]) => this.synced.get(v) !== v.dataId);
    if (!changed.length) return;
    const feeds = changed.map(([v, gv]) => ({ id: gv.load.placeholder, dtype: gv.dtype, shape: v.shape, values: v.dataSync() as ArrayBufferView }));
    this.graph.run(feeds, [], changed.map(([, gv]) => gv.load.op));
    for (const [v] of changed) this.synced.set(v, v.dataId);
  }

  /** tfjs variables ← graph variables. */
  pull(): void {
    const entries = [...this.vars];
    const values = this.graph.run([], entries.map(([, gv]) => gv.read), []);
    tf.tidy(() => entries.forEach(([v], i) => v.assign(tf.tensor(values[i] as Float32Array | Int32Array, v.shape, v.dtype))));
    for (const [v] of entries) this.synced.set(v, v.dataId);
  }
}

/** Rows [begin, begin + size) of a row-major array whose rows have `width` values. */
export function rows(values: ArrayBufferView, width: number, begin: number, size: number): ArrayBufferView {
  return (values as Float32Array).subarray(begin * width, (begin + size) * width);
}
