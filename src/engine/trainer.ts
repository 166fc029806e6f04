/**
 * compile / fit / evaluate / predict with Keras 3 semantics (see FINDINGS in the parity fixtures):
 * epoch loss is the batch-size-weighted mean of batch losses, per-output losses are a plain batch
 * mean, training metrics come from each batch's forward pass before its update, validation runs
 * after the epoch's last update in inference mode, history keys are sorted.
 */
import * as tf from '@tensorflow/tfjs';
import type { ResolvedCompile } from '../spec/compile.ts';
import { CallbackList, type Callback, type Logs, type TrainingContext } from './callbacks/callback.ts';
import { makeLoss, reduceLoss, type Loss } from './losses.ts';
import { makeMetric, type Metric } from './metrics.ts';
import type { ForwardResult, KerasModel } from './model.ts';
import { makeOptimizer, type Optimizer } from './optimizers.ts';
import { GraphProgram, rows, type InputSpec } from './graph/program.ts';

export interface Dataset {
  x: tf.Tensor[];
  y: tf.Tensor[];
  /** One weight per sample, or per output. */
  sampleWeight?: tf.Tensor[];
}

export interface FitOptions {
  batchSize?: number;
  epochs?: number;
  initialEpoch?: number;
  shuffle?: boolean;
  validationData?: Dataset;
  validationSplit?: number;
  classWeight?: Record<string, number>;
  callbacks?: Callback[];
  /** Seed of the per-epoch shuffle, for reproducible runs. */
  seed?: number;
  /** Checked between batches: a cancelled job stops within one batch. */
  signal?: AbortSignal;
  /**
   * Run training steps as one TensorFlow graph each where the model allows (default true); the
   * numbers are the eager path's. False forces op-by-op execution.
   */
  graph?: boolean;
}

/** A dataset's arrays in the order a compiled function takes them: inputs, targets, sample weights. */
const arraysOf = (d: Dataset) => [...d.x, ...d.y, ...(d.sampleWeight ?? [])];
/** A compiled function's inputs for batches of `size` rows of these arrays. */
const batchSpecs = (arrays: tf.Tensor[], size: number): InputSpec[] => arrays.map((t) => ({ dtype: t.dtype, shape: [size, ...t.shape.slice(1)] }));
/** Arrays copied to the host once, with their values per row, so graph batches are subarrays. */
const onHost = (arrays: tf.Tensor[]) => arrays.map((t) => ({ values: t.dataSync(), width: t.size / t.shape[0]! }));
/** The batch sizes n samples in batches of batchSize take: the full one, and a last partial one. */
const batchSizesOf = (n: number, batchSize: number) => [...new Set([Math.min(batchSize, n), n % batchSize].filter((s) => s > 0))];
/** Splits a compiled function's inputs back into x, y and sample-weight batches. */
function splitBatch(inputs: tf.Tensor[], d: Dataset): { xb: tf.Tensor[]; yb: tf.Tensor[]; wb?: tf.Tensor[] } {
  const [nx, ny] = [d.x.length, d.y.length];
  return { xb: inputs.slice(0, nx), yb: inputs.slice(nx, nx + ny), wb: d.sampleWeight ? inputs.slice(nx + ny) : undefined };
}

export type History = Record<string, number[]>;

function metricDirection(name: string): 'min' | 'max' {
  return /acc|auc|precision|recall/i.test(name) && !/error|loss|crossentropy/i.test(name) ? 'max' : 'min';
}

/** Seeded Fisher-Yates (mulberry32) so a job's shuffle order is reproducible from its seed. */
function permutation(n: number, seed: number): Int32Array {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

function sliceRows(t: tf.Tensor, begin: number, size: number): tf.Tensor {
  return tf.slice(t, [begin], [size]);
}

/** Keras's class_weight: per-sample weight cw[class of y_i] (argmax for one-hot, round for (n,1)). */
function classWeightsToSampleWeight(y: tf.Tensor, classWeight: Record<string, number>): tf.Tensor {
  return tf.tidy(() => {
    let cls: tf.Tensor;
    if (y.rank === 2 && y.shape[1]! > 1) cls = tf.argMax(y, -1);
    else cls = tf.round(tf.cast(y.rank === 2 ? tf.squeeze(y, [1]) : y, 'float32'));
    const labels = cls.dataSync();
    const w = new Float32Array(labels.length);
    labels.forEach((c, i) => (w[i] = classWeight[String(c)] ?? 1));
    return tf.tensor1d(w);
  });
}

export class Trainer {
  readonly optimizer: Optimizer;
  /** Per output; undefined where the output has no loss. */
  private readonly losses: Array<Loss | undefined>;
  /** Outputs with a loss: Keras reports `<output>_loss` for each when there are several. */
  private readonly lossOutputs: number[];
  private readonly lossWeights: number[];
  private metrics?: Metric[][];
  private readonly multiOutput: boolean;
  /** How the last fit ran its steps: 'graph' once a step was compiled, else 'eager'. */
  lastExecution?: 'graph' | 'eager';

  constructor(readonly model: KerasModel, readonly compiled: ResolvedCompile) {
    this.optimizer = makeOptimizer(compiled.optimizer);
    this.losses = compiled.losses.map((l) => (l ? makeLoss(l) : undefined));
    this.lossOutputs = this.losses.flatMap((l, k) => (l ? [k] : []));
    this.lossWeights = compiled.lossWeights;
    this.multiOutput = model.outputNames.length > 1;
  }

  /** Metrics are built at the first data, like Keras, because 'accuracy' depends on y's shape. */
  private ensureMetrics(y: tf.Tensor[]): Metric[][] {
    if (this.metrics) return this.metrics;
    const outputShapes = this.model.symbolic.outputs.map((o) => o.shape.map((d) => d ?? 1));
    const used = new Map<string, number>();
    this.metrics = this.compiled.metrics.map((list, k) =>
      list.map((resolved) => {
        const metric = makeMetric(resolved, y[k].shape, outputShapes[k]);
        let name = this.multiOutput ? `${this.model.outputNames[k]}_${metric.name}` : metric.name;
        const seen = used.get(name) ?? 0;
        used.set(name, seen + 1);
        if (seen) name = `${name}_${seen}`;
        metric.name = name;
        return metric;
      }),
    );
    return this.metrics;
  }

  private metricDirections(): Record<string, 'min' | 'max'> {
    const out: Record<string, 'min' | 'max'> = {};
    if (this.multiOutput) return out; // Keras cannot resolve 'auto' for multi-output names either.
    for (const m of this.metrics?.flat() ?? []) out[m.name] = metricDirection(m.name);
    return out;
  }

  /** Per-output batch losses (each loss's reduction, with sample weights) and their weighted total. */
  private batchLosses({ outputs, logits, penalties }: ForwardResult, y: tf.Tensor[], sw: tf.Tensor[] | undefined): { perOutput: tf.Tensor[]; total: tf.Scalar } {
    const perOutput = outputs.map((out, k) => {
      const loss = this.losses[k];
      if (!loss) return tf.scalar(0);
      const values = loss.onLogits && logits[k] ? loss.onLogits(y[k], logits[k]!) : loss.perSample(y[k], out);
      return reduceLoss(loss, values, y[k], sw?.[sw.length === 1 ? 0 : k]);
    });
    let total = perOutput.reduce<tf.Tensor>((acc, l, k) => (!this.losses[k] ? acc : tf.add(acc, this.lossWeights[k] === 1 ? l : tf.mul(l, this.lossWeights[k]))), tf.scalar(0));
    // Activity penalties, then weight regularizers (kernel_regularizer, ...) add to the total, as in Keras's model.losses.
    for (const p of penalties) total = tf.add(total, p);
    for (const reg of this.model.regularizationLosses()) total = tf.add(total, reg);
    return { perOutput, total: total as tf.Scalar };
  }

  /**
   * Sparse crossentropy needs integer class indices below the number of classes; anything else
   * would train on garbage (tfjs's oneHot silently zeroes it), so it is refused with the numbers.
   */
  private checkLabels(y: tf.Tensor[], at: string): void {
    this.compiled.losses.forEach((loss, k) => {
      if (loss?.class_name !== 'SparseCategoricalCrossentropy') return;
      const classes = this.model.symbolic.outputs[k].shape.at(-1) as number;
      // Labels of the ignored class may lie outside [0, classes): they count for nothing.
      const ignored = loss.config.ignore_class;
      const [lo, hi, integral] = tf.tidy(() => {
        const labels = typeof ignored === 'number' ? tf.where(tf.equal(y[k], ignored), tf.zerosLike(y[k]), y[k]) : y[k];
        return [tf.min(labels).dataSync()[0], tf.max(labels).dataSync()[0], tf.all(tf.equal(labels, tf.round(tf.cast(labels, 'float32')))).dataSync()[0]];
      });
      const where = this.model.outputNames.length > 1 ? `${at}/${this.model.outputNames[k]}` : at;
      if (lo < 0 || hi >= classes || !integral) {
        throw new Error(`${where}: SparseCategoricalCrossentropy needs integer class indices in [0, ${classes}); the labels range over [${lo}, ${hi}]${integral ? '' : ' and are not all integers'}`);
      }
    });
  }

  /** The forward pass, losses and gradients of one batch: the part the eager and graph steps share. */
  private lossAndGrads(xb: tf.Tensor[], yb: tf.Tensor[], wb: tf.Tensor[] | undefined, variables: tf.Variable[]) {
    let outputs: tf.Tensor[] = [];
    let perOutput: tf.Tensor[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const forward = this.model.forwardWithLogits(xb, true);
      outputs = forward.outputs;
      const losses = this.batchLosses(forward, yb, wb);
      perOutput = losses.perOutput;
      for (const t of [...outputs, ...perOutput]) tf.keep(t);
      return losses.total;
    }, variables);
    return { value, grads: variables.map((v) => grads[v.name]), outputs, perOutput };
  }

  /** The graph the trainer's compiled functions share, bound to the model's weights; made on first use. */
  private program?: GraphProgram | null;
  private graphProgram(): GraphProgram | undefined {
    if (this.program === undefined) {
      this.program = GraphProgram.create() ?? null;
      this.program?.bind(this.model.symbolic.weights.map((w) => w.read() as tf.Variable));
    }
    return this.program ?? undefined;
  }

  /** Whether every layer can be traced, for a training step or for inference. */
  private layersTraceable(mode: 'training' | 'inference'): boolean {
    return this.model.traceable(mode);
  }

  /**
   * Compiles the training step for these batch sizes (their keys by size), when the model and
   * optimizer allow it (see layersTraceable); undefined keeps the eager step.
   * Called after a first eager step, so the optimizer's slots exist and are bound like the weights.
   */
  private compileTrainStep(train: Dataset, metrics: Metric[][], variables: tf.Variable[], sizes: number[]): Map<number, string> | undefined {
    if (!metrics.flat().every((m) => m.partial && m.addPartial) || !this.layersTraceable('training')) return undefined;
    const program = this.graphProgram();
    if (!program) return undefined;
    const keys = new Map<number, string>();
    try {
      program.bind(this.optimizer.stateVariables());
      for (const size of sizes) {
        // The last input is the optimizer's per-step scalars (t, flags, ...), computed on the host each step.
        const key = program.compile('train', [...batchSpecs(arraysOf(train), size), { dtype: 'float32', shape: [this.optimizer.stepValueCount] }], (inputs) => {
          const { xb, yb, wb } = splitBatch(inputs.slice(0, -1), train);
          const { value, grads, outputs, perOutput } = this.lossAndGrads(xb, yb, wb, variables);
          this.optimizer.apply(variables, grads, tf.unstack(inputs.at(-1)!));
          this.optimizer.iterations -= 1; // tracing is not a step; the graph's runs are counted
          const partials = metrics.flatMap((list, k) => list.map((m) => m.partial!(yb[k], outputs[k])));
          tf.dispose(outputs); // kept by lossAndGrads, past the tracer's tidy
          return [value, ...perOutput, ...partials];
        });
        keys.set(size, key);
      }
      program.push();
      return keys;
    } catch (err) {
      if (process.env.KJ_GRAPH_DEBUG) console.error('graph training step unavailable:', err);
      // Whatever the trace could not capture, the eager step computes: same numbers, slower.
      return undefined;
    }
  }

  async fit(data: Dataset, options: FitOptions = {}): Promise<{ history: History; epochsRun: number }> {
    const batchSize = options.batchSize ?? 32;
    this.checkLabels(data.y, '/fit/y');
    if (options.validationData) this.checkLabels(options.validationData.y, '/fit/validation_data/y');
    // A validation split is part of data.y, checked above.
    const epochs = options.epochs ?? 1;
    let train = data;
    let validation = options.validationData;
    const owned: tf.Tensor[] = [];
    if (options.validationSplit) {
      const n = data.x[0].shape[0]!;
      const cut = Math.floor(n * (1 - options.validationSplit));
      const split = (ts?: tf.Tensor[]) => ts?.map((t) => [sliceRows(t, 0, cut), sliceRows(t, cut, n - cut)] as const);
      const [xs, ys, ws] = [split(data.x)!, split(data.y)!, split(data.sampleWeight)];
      train = { x: xs.map((p) => p[0]), y: ys.map((p) => p[0]), sampleWeight: ws?.map((p) => p[0]) };
      validation = { x: xs.map((p) => p[1]), y: ys.map((p) => p[1]), sampleWeight: ws?.map((p) => p[1]) };
      owned.push(...[xs, ys, ws ?? []].flat(2));
    }
    if (options.classWeight) {
      const w = classWeightsToSampleWeight(train.y[0], options.classWeight);
      owned.push(w);
      train = { ...train, sampleWeight: [train.sampleWeight ? tf.mul(train.sampleWeight[0], w) : w] };
      if (train.sampleWeight![0] !== w) owned.push(train.sampleWeight![0]);
    }
    const metrics = this.ensureMetrics(train.y);
    const n = train.x[0].shape[0]!;
    const steps = Math.ceil(n / batchSize);
    const ctx: TrainingContext = {
      model: this.model,
      optimizer: this.optimizer,
      stopTraining: false,
      params: { epochs, steps, samples: n },
      metricDirections: this.metricDirections(),
    };
    const callbacks = new CallbackList(options.callbacks ?? []);
    const history: History = {};
    const variables = this.model.trainableVariables();
    let epochsRun = 0;
    let lastYield = Date.now();
    let lastLogs: Logs = {};
    // The compiled step's key per batch size. undefined: not tried yet (a first eager step makes
    // the optimizer's slots); null: this fit runs eagerly.
    let graphSteps: Map<number, string> | null | undefined = options.graph === false ? null : undefined;
    const program = () => this.program!;
    const batchSizes = batchSizesOf(n, batchSize);
    const flatMetrics = metrics.flat();
    this.lastExecution = 'eager';

    await callbacks.trainBegin(ctx);
    try {
      for (let epoch = options.initialEpoch ?? 0; epoch < epochs && !ctx.stopTraining; epoch++) {
        await callbacks.epochBegin(epoch, ctx);
        // Callbacks may have changed weights or the learning rate since the graph last ran.
        if (graphSteps) program().push();
        for (const list of metrics) for (const m of list) m.reset();
        // Sliced once per epoch: one gather of the permutation, then contiguous batch slices.
        const order = options.shuffle === false ? undefined : tf.tensor1d(permutation(n, (options.seed ?? 0) * 100_003 + epoch), 'int32');
        const shuffled = (ts: tf.Tensor[] | undefined) => ts?.map((t) => (order ? tf.gather(t, order) : t));
        const ex = shuffled(train.x)!;
        const ey = shuffled(train.y)!;
        const ew = shuffled(train.sampleWeight);
        let lossSum: tf.Tensor = tf.scalar(0);
        const outLossSums: tf.Tensor[] = this.losses.map(() => tf.scalar(0));
        // Sums of graph steps, accumulated in float32 as Keras's loss tracker is.
        let hostLossSum = 0;
        const hostOutLossSums = this.losses.map(() => 0);
        // The epoch's shuffled inputs, targets and weights on the host, for the graph step's feeds.
        let host: Array<{ values: ArrayBufferView; width: number }> | undefined;
        for (let step = 0; step < steps; step++) {
          if (options.signal?.aborted) break;
          const begin = step * batchSize;
          const size = Math.min(batchSize, n - begin);
          if (graphSteps) {
            if (!host) {
              host = onHost([...ex, ...ey, ...(ew ?? [])]);
              // Carry on the sums of this epoch's eager steps on the host, adding in the same order.
              hostLossSum = lossSum.dataSync()[0];
              outLossSums.forEach((t, k) => (hostOutLossSums[k] = t.dataSync()[0]));
              tf.dispose([lossSum, ...outLossSums]);
              lossSum = tf.scalar(0);
              outLossSums.forEach((_, k) => (outLossSums[k] = tf.scalar(0)));
            }
            const batch = host.map(({ values, width }) => rows(values, width, begin, size));
            const stepValues = new Float32Array(this.optimizer.nextStepValues());
            const [[loss], ...rest] = program().run(graphSteps.get(size)!, [...batch, stepValues]);
            this.optimizer.iterations += 1;
            hostLossSum = Math.fround(hostLossSum + Math.fround(loss * size));
            this.losses.forEach((_, k) => (hostOutLossSums[k] = Math.fround(hostOutLossSums[k] + rest[k][0])));
            flatMetrics.forEach((m, i) => m.addPartial!(rest[this.losses.length + i], size));
            if (callbacks.hasBatchEnd()) {
              const pending = callbacks.batchEnd(step, ctx, () => loss);
              if (pending) await pending;
            }
          } else {
            const xb = ex.map((t) => sliceRows(t, begin, size));
            const yb = ey.map((t) => sliceRows(t, begin, size));
            const wb = ew?.map((t) => sliceRows(t, begin, size));
            const { value, grads, outputs, perOutput } = this.lossAndGrads(xb, yb, wb, variables);
            this.optimizer.apply(variables, grads);
            tf.tidy(() => {
              metrics.forEach((list, k) => list.forEach((m) => m.update(yb[k], outputs[k])));
            });
            const nextLoss = tf.tidy(() => tf.add(lossSum, tf.mul(value, size)));
            lossSum.dispose();
            lossSum = nextLoss;
            perOutput.forEach((l, k) => {
              const next = tf.add(outLossSums[k], l);
              outLossSums[k].dispose();
              outLossSums[k] = next;
            });
            if (callbacks.hasBatchEnd()) {
              const pending = callbacks.batchEnd(step, ctx, () => value.dataSync()[0]);
              if (pending) await pending;
            }
            tf.dispose([value, ...grads, ...outputs, ...perOutput, ...xb, ...yb, ...(wb ?? [])]);
            if (graphSteps === undefined) {
              graphSteps = this.compileTrainStep(train, metrics, variables, batchSizes) ?? null;
              if (graphSteps) this.lastExecution = 'graph';
            }
          }
          // As in Keras, a callback that stops training ends the epoch after this batch.
          if (ctx.stopTraining) break;
          // Let the process's event loop breathe (cancel messages, heartbeats) without a per-batch await.
          if (Date.now() - lastYield > 100) {
            await new Promise((r) => setImmediate(r));
            lastYield = Date.now();
          }
        }
        if (order) tf.dispose([order, ...ex, ...ey, ...(ew ?? [])]);
        // Validation, callbacks and checkpoints read the tfjs variables.
        if (graphSteps) program().pull();
        if (options.signal?.aborted) {
          tf.dispose([lossSum, ...outLossSums]);
          break;
        }
        const raw: Logs = { loss: Math.fround(lossSum.dataSync()[0] + hostLossSum) / n };
        if (this.lossOutputs.length > 1) for (const k of this.lossOutputs) raw[`${this.model.outputNames[k]}_loss`] = Math.fround(outLossSums[k].dataSync()[0] + hostOutLossSums[k]) / steps;
        tf.dispose([lossSum, ...outLossSums]);
        for (const m of metrics.flat()) raw[m.name] = m.result();
        if (validation) {
          // Validation labels were checked once, before the first epoch.
          const val = this.evaluate(validation, { batchSize, labelsChecked: true, graph: options.graph });
          for (const [k, v] of Object.entries(val)) raw[`val_${k}`] = v;
        }
        // Keras sorts the keys of train and validation logs together.
        const logs: Logs = {};
        for (const key of Object.keys(raw).sort()) logs[key] = Math.fround(raw[key]);
        await callbacks.epochEnd(epoch, logs, ctx);
        for (const [key, value] of Object.entries(logs)) (history[key] ??= []).push(value);
        lastLogs = logs;
        epochsRun += 1;
      }
      // Keras's finalize_variable_values, before on_train_end (so restore_best_weights wins).
      if (epochs > 0) this.optimizer.finalize(variables);
      await callbacks.trainEnd(lastLogs, ctx);
    } finally {
      tf.dispose(owned);
    }
    return { history, epochsRun };
  }

  /**
   * keras Model.evaluate(return_dict=True): same averaging as fit, inference mode. As one graph
   * per batch where the model allows it (graph: false forces the eager path).
   */
  evaluate(data: Dataset, options: { batchSize?: number; labelsChecked?: boolean; graph?: boolean } = {}): Logs {
    const batchSize = options.batchSize ?? 32;
    if (!options.labelsChecked) this.checkLabels(data.y, 'y');
    const metrics = this.ensureMetrics(data.y);
    for (const m of metrics.flat()) m.reset();
    const n = data.x[0].shape[0]!;
    const steps = Math.ceil(n / batchSize);
    let lossSum = 0;
    const outLossSums = this.losses.map(() => 0);
    const inGraph = options.graph === false ? undefined : this.compileEvaluate(data, metrics, batchSize);
    this.lastInference = inGraph ? 'graph' : 'eager';
    const host = inGraph ? onHost(arraysOf(data)) : [];
    if (inGraph) this.program!.push();
    for (let step = 0; inGraph && step < steps; step++) {
      const begin = step * batchSize;
      const size = Math.min(batchSize, n - begin);
      const [[total], ...rest] = this.program!.run(inGraph.get(size)!, host.map(({ values, width }) => rows(values, width, begin, size)));
      lossSum += total * size;
      this.losses.forEach((_, k) => (outLossSums[k] += rest[k][0]));
      metrics.flat().forEach((m, i) => m.addPartial!(rest[this.losses.length + i], size));
    }
    for (let step = 0; !inGraph && step < steps; step++) {
      const begin = step * batchSize;
      const size = Math.min(batchSize, n - begin);
      tf.tidy(() => {
        const xb = data.x.map((t) => sliceRows(t, begin, size));
        const yb = data.y.map((t) => sliceRows(t, begin, size));
        const wb = data.sampleWeight?.map((t) => sliceRows(t, begin, size));
        const forward = this.model.forwardWithLogits(xb, false);
        const outputs = forward.outputs;
        const { perOutput, total } = this.batchLosses(forward, yb, wb);
        lossSum += total.dataSync()[0] * size;
        perOutput.forEach((l, k) => (outLossSums[k] += l.dataSync()[0]));
        metrics.forEach((list, k) => list.forEach((m) => m.update(yb[k], outputs[k])));
      });
    }
    const raw: Logs = { loss: lossSum / n };
    if (this.lossOutputs.length > 1) for (const k of this.lossOutputs) raw[`${this.model.outputNames[k]}_loss`] = outLossSums[k] / steps;
    for (const m of metrics.flat()) raw[m.name] = m.result();
    const logs: Logs = {};
    for (const key of Object.keys(raw).sort()) logs[key] = Math.fround(raw[key]);
    return logs;
  }

  /** Traces the evaluation step for the batch sizes `data` needs (keys by size); undefined keeps the eager path. */
  private compileEvaluate(data: Dataset, metrics: Metric[][], batchSize: number): Map<number, string> | undefined {
    if (!metrics.flat().every((m) => m.partial && m.addPartial) || !this.layersTraceable('inference')) return undefined;
    const program = this.graphProgram();
    if (!program) return undefined;
    const keys = new Map<number, string>();
    try {
      for (const size of batchSizesOf(data.x[0].shape[0]!, batchSize)) {
        const key = program.compile('evaluate', batchSpecs(arraysOf(data), size), (inputs) => {
          const { xb, yb, wb } = splitBatch(inputs, data);
          const forward = this.model.forwardWithLogits(xb, false);
          const { perOutput, total } = this.batchLosses(forward, yb, wb);
          const partials = metrics.flatMap((list, k) => list.map((m) => m.partial!(yb[k], forward.outputs[k])));
          return [total, ...perOutput, ...partials];
        });
        keys.set(size, key);
      }
      return keys;
    } catch (err) {
      if (process.env.KJ_GRAPH_DEBUG) console.error('graph evaluation unavailable:', err);
      return undefined;
    }
  }

  /** How the last evaluate or predict ran: 'graph' (compiled forward pass) or 'eager'. */
  lastInference?: 'graph' | 'eager';

  /**
   * The forward pass as one graph for batches of batchSize. A last, smaller batch is padded to
   * that size (every graph-safe layer treats rows independently in inference), so one trace
   * serves any number of samples.
   */
  private predictInGraph(x: tf.Tensor[], batchSize: number): tf.Tensor[] | undefined {
    const outputShapes = this.model.symbolic.outputs.map((o) => o.shape.slice(1));
    if (!this.layersTraceable('inference') || outputShapes.some((shape) => shape.some((d) => d === null))) return undefined;
    const program = this.graphProgram();
    if (!program) return undefined;
    let key: string;
    try {
      key = program.compile('predict', batchSpecs(x, batchSize), (inputs) => this.model.forward(inputs, false));
    } catch (err) {
      if (process.env.KJ_GRAPH_DEBUG) console.error('graph predict unavailable:', err);
      return undefined;
    }
    program.push();
    const n = x[0].shape[0]!;
    const host = onHost(x);
    const widths = outputShapes.map((shape) => (shape as number[]).reduce((a, b) => a * b, 1));
    let outputs: Array<Float32Array | Int32Array | Uint8Array> | undefined;
    for (let begin = 0; begin < n; begin += batchSize) {
      const size = Math.min(batchSize, n - begin);
      const feeds = host.map(({ values, width }) => {
        const batch = rows(values, width, begin, size) as Float32Array;
        if (size === batchSize) return batch;
        const padded = new (batch.constructor as Float32ArrayConstructor)(batchSize * width);
        padded.set(batch);
        return padded;
      });
      const results = program.run(key, feeds);
      outputs ??= results.map((r, k) => new (r.constructor as Float32ArrayConstructor)(n * widths[k]));
      results.forEach((r, k) => outputs![k].set(r.subarray(0, size * widths[k]), begin * widths[k]));
    }
    return outputs!.map((values, k) => tf.tensor(values, [n, ...(outputShapes[k] as number[])], values instanceof Int32Array ? 'int32' : 'float32'));
  }

  /** keras Model.predict: one tensor per output, batches in inference mode. */
  predict(x: tf.Tensor[], options: { batchSize?: number; graph?: boolean } = {}): tf.Tensor[] {
    const batchSize = options.batchSize ?? 32;
    const n = x[0].shape[0]!;
    const inGraph = options.graph !== false && n > 0 ? this.predictInGraph(x, batchSize) : undefined;
    this.lastInference = inGraph ? 'graph' : 'eager';
    if (inGraph) return inGraph;
    const parts: tf.Tensor[][] = this.model.outputNames.map(() => []);
    for (let begin = 0; begin < n; begin += batchSize) {
      const size = Math.min(batchSize, n - begin);
      const outs = tf.tidy(() => this.model.forward(x.map((t) => sliceRows(t, begin, size)), false));
      outs.forEach((o, k) => parts[k].push(o));
    }
    return parts.map((p) => {
      const joined = p.length === 1 ? p[0] : tf.concat(p, 0);
      if (p.length > 1) tf.dispose(p);
      return joined;
    });
  }

  dispose(): void {
    for (const m of this.metrics?.flat() ?? []) m.dispose();
    this.optimizer.dispose();
  }
}
