/**
 * A training step compiled to one TensorFlow graph. The engine's own step (forward pass, losses,
 * tfjs gradients through TensorFlow's kernels, optimizer update, metric sums) is traced once per
 * batch size; every batch after that is one TF_SessionRun instead of ~150 eager kernel calls.
 *
 * The graph owns copies of the variables it updates (weights, optimizer slots, the learning
 * rate). `push` loads them from the tfjs variables and `pull` writes them back: the trainer does
 * both at epoch boundaries, so callbacks, validation, checkpoints and predict see the model as
 * the eager path would leave it.
 */
import * as tf from '@tensorflow/tfjs';
import { graphBinding } from './binding.ts';
import { TracedGraph, tfDtype } from './tracer.ts';

/** The step to trace: batch tensors and the step number t (a float32 scalar) in, scalars out. */
export type StepFunction = (x: tf.Tensor[], y: tf.Tensor[], w: tf.Tensor[] | undefined, t: tf.Tensor) => tf.Tensor[];

/** The dtype and per-sample shape of each input, target and sample-weight array. */
export interface BatchLayout {
  x: Array<{ dtype: tf.DataType; row: number[] }>;
  y: Array<{ dtype: tf.DataType; row: number[] }>;
  w?: Array<{ dtype: tf.DataType; row: number[] }>;
}

export interface HostBatch {
  x: ArrayBufferView[];
  y: ArrayBufferView[];
  w?: ArrayBufferView[];
}

interface GraphVariable {
  v: tf.Variable;
  dtype: number;
  read: number;
  handle: number;
  load: { placeholder: number; op: number };
}

interface CompiledTrace {
  x: number[];
  y: number[];
  w: number[];
  t: number;
  fetches: number[];
  targets: number[];
}

export class GraphTrainStep {
  private readonly graph: TracedGraph;
  private readonly vars: GraphVariable[];
  private readonly traces = new Map<number, CompiledTrace>();

  /** Undefined where graph execution is unavailable (no addon, not tfjs-node). */
  static create(variables: tf.Variable[], layout: BatchLayout, step: StepFunction): GraphTrainStep | undefined {
    const binding = graphBinding();
    if (!binding || tf.getBackend() !== 'tensorflow') return undefined;
    return new GraphTrainStep(new TracedGraph(binding), variables, layout, step);
  }

  private constructor(graph: TracedGraph, variables: tf.Variable[], private readonly layout: BatchLayout, private readonly step: StepFunction) {
    this.graph = graph;
    this.vars = variables.map((v, i) => {
      const dtype = tfDtype(v.dtype);
      return { v, dtype, ...graph.variable(dtype, v.shape, `v${i}`) };
    });
  }

  /** Traces the step for a batch size now (a trace error surfaces here, before any batch runs). */
  prepare(size: number): void {
    this.compiled(size);
  }

  /**
   * Graph variables ← tfjs variables, those changed since the last sync only: every tfjs write
   * (assign, setWeights, a new learning rate) gives a variable new data, so its data id tells.
   */
  push(): void {
    const changed = this.vars.filter(({ v }) => this.synced.get(v) !== v.dataId);
    if (!changed.length) return;
    const feeds = changed.map(({ v, dtype, load }) => ({ id: load.placeholder, dtype, shape: v.shape, values: v.dataSync() as ArrayBufferView }));
    this.graph.run(feeds, [], changed.map((g) => g.load.op));
    for (const { v } of changed) this.synced.set(v, v.dataId);
  }

  /** tfjs variables ← graph variables. */
  pull(): void {
    const values = this.graph.run([], this.vars.map((g) => g.read), []);
    tf.tidy(() => this.vars.forEach(({ v }, i) => v.assign(tf.tensor(values[i] as Float32Array | Int32Array, v.shape, v.dtype))));
    for (const { v } of this.vars) this.synced.set(v, v.dataId);
  }

  /** The data each variable had when graph and tfjs last agreed. */
  private readonly synced = new Map<tf.Variable, object>();

  /** One step on a batch of `size` samples; returns the step function's scalars. */
  run(size: number, batch: HostBatch, t: number): number[] {
    const c = this.compiled(size);
    const feeds = [
      ...c.x.map((id, k) => this.feed(id, this.layout.x[k], size, batch.x[k])),
      ...c.y.map((id, k) => this.feed(id, this.layout.y[k], size, batch.y[k])),
      ...c.w.map((id, k) => this.feed(id, this.layout.w![k], size, batch.w![k])),
      { id: c.t, dtype: tfDtype('float32'), shape: [], values: new Float32Array([t]) },
    ];
    return this.graph.run(feeds, c.fetches, c.targets).map((a) => a[0]);
  }

  private feed(id: number, layout: { dtype: tf.DataType; row: number[] }, size: number, values: ArrayBufferView) {
    return { id, dtype: tfDtype(layout.dtype), shape: [size, ...layout.row], values };
  }

  private compiled(size: number): CompiledTrace {
    const known = this.traces.get(size);
    if (known) return known;
    const g = this.graph;
    const placeholders = (list: BatchLayout['x'] | undefined) => (list ?? []).map((l) => ({ id: g.placeholder(tfDtype(l.dtype), [size, ...l.row]), shape: [size, ...l.row], dtype: tfDtype(l.dtype) }));
    const x = placeholders(this.layout.x);
    const y = placeholders(this.layout.y);
    const w = placeholders(this.layout.w);
    const t = { id: g.placeholder(tfDtype('float32'), []), shape: [] as number[], dtype: tfDtype('float32') };
    const bound = new Map(this.vars.map((gv) => [gv.v, gv.read] as const));
    const { outputs, assigned } = g.trace(bound, (symbolic) =>
      this.step(
        x.map(symbolic),
        y.map(symbolic),
        this.layout.w ? w.map(symbolic) : undefined,
        symbolic(t),
      ),
    );
    const byVariable = new Map(this.vars.map((gv) => [gv.v, gv] as const));
    const targets = [...assigned].map(([v, value]) => {
      const gv = byVariable.get(v)!;
      return g.assign(gv.handle, value, gv.dtype);
    });
    const trace: CompiledTrace = { x: x.map((p) => p.id), y: y.map((p) => p.id), w: w.map((p) => p.id), t: t.id, fetches: outputs, targets };
    this.traces.set(size, trace);
    return trace;
  }
}
