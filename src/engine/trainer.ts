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
import { GraphProgram, type InputSpec } from './graph/program.ts';
import { batchesOf, epochWindows, inOrder, windowRowsFor } from './batch-reader.ts';
import { ClassWeightRows, HostRows, RowRange, arraysOfRows, rowCount, rowWidth, rowsOfTensors, type ArrayRows, type DataRows, type HostValues } from './data-source.ts';

export interface Dataset {
  x: tf.Tensor[];
  y: tf.Tensor[];
  /** One weight per sample, or per output. */
  sampleWeight?: tf.Tensor[];
}

/** Tensors (copied to the host once) or rows read as batches need them. */
export type TrainingData = Dataset | DataRows;

/** How much of the data one read brings in (see batch-reader.ts). */
export interface ReadOptions {
  /** Bytes of all arrays' rows in one window (default 16 MiB). */
  windowBytes?: number;
  /** Windows read while the current one trains (default 2). */
  readAhead?: number;
}

export interface FitOptions extends ReadOptions {
  batchSize?: number;
  epochs?: number;
  initialEpoch?: number;
  shuffle?: boolean;
  validationData?: TrainingData;
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

const isRows = (d: TrainingData): d is DataRows => 'read' in d.x[0];
const asRows = (d: TrainingData): DataRows => (isRows(d) ? d : rowsOfTensors(d));
/** A compiled function's inputs for batches of `size` rows of these arrays. */
const batchSpecs = (arrays: readonly ArrayRows[], size: number): InputSpec[] => arrays.map((a) => ({ dtype: a.dtype, shape: [size, ...a.shape.slice(1)] }));
/** The batch sizes n samples in batches of batchSize take: the full one, and a last partial one. */
const batchSizesOf = (n: number, batchSize: number) => [...new Set([Math.min(batchSize, n), n % batchSize].filter((s) => s > 0))];
/** Splits a compiled function's inputs back into x, y and sample-weight batches. */
function splitBatch<T>(inputs: T[], d: DataRows): { xb: T[]; yb: T[]; wb?: T[] } {
  const [nx, ny] = [d.x.length, d.y.length];
  return { xb: inputs.slice(0, nx), yb: inputs.slice(nx, nx + ny), wb: d.sampleWeight ? inputs.slice(nx + ny) : undefined };
}
/** One batch of an array as a tensor. */
const batchTensor = (values: HostValues, a: ArrayRows, size: number) => tf.tensor(values, [size, ...a.shape.slice(1)], a.dtype);
const mapRows = (d: DataRows, fn: (a: ArrayRows) => ArrayRows): DataRows => ({ x: d.x.map(fn), y: d.y.map(fn), sampleWeight: d.sampleWeight?.map(fn) });

export type History = Record<string, number[]>;

function metricDirection(name: string): 'min' | 'max' {
  return /acc|auc|precision|recall/i.test(name) && !/error|loss|crossentropy/i.test(name) ? 'max' : 'min';
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
  private ensureMetrics(y: readonly ArrayRows[]): Metric[][] {
    if (this.metrics) return this.metrics;
    const outputShapes = this.model.symbolic.outputs.map((o) => o.shape.map((d) => d ?? 1));
    const used = new Map<string, number>();
    this.metrics = this.compiled.metrics.map((list, k) =>
      list.map((resolved) => {
        const metric = makeMetric(resolved, [...y[k].shape], outputShapes[k]);
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
  private async checkLabels(y: readonly ArrayRows[], at: string, read: ReadOptions): Promise<void> {
    for (const [k, loss] of this.compiled.losses.entries()) {
      if (loss?.class_name !== 'SparseCategoricalCrossentropy') continue;
      const classes = this.model.symbolic.outputs[k].shape.at(-1) as number;
      // Labels of the ignored class may lie outside [0, classes): they count for nothing.
      const ignored = typeof loss.config.ignore_class === 'number' ? loss.config.ignore_class : undefined;
      let [lo, hi, integral] = [Infinity, -Infinity, true];
      // One pass over the labels, a window at a time, before any step trains on them.
      for await (const [labels] of batchesOf([y[k]], inOrder([y[k]], read.windowBytes), windowRowsFor([y[k]], read.windowBytes), read.readAhead)) {
        for (let i = 0; i < labels.length; i++) {
          const v = labels[i] === ignored ? 0 : labels[i];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
          if (integral && !Number.isInteger(v)) integral = false;
        }
      }
      const where = this.model.outputNames.length > 1 ? `${at}/${this.model.outputNames[k]}` : at;
      if (lo < 0 || hi >= classes || !integral) {
        throw new Error(`${where}: SparseCategoricalCrossentropy needs integer class indices in [0, ${classes}); the labels range over [${lo}, ${hi}]${integral ? '' : ' and are not all integers'}`);
      }
    }
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
  private compileTrainStep(train: DataRows, metrics: Metric[][], variables: tf.Variable[], sizes: number[]): Map<number, string> | undefined {
    if (!metrics.flat().every((m) => m.partial && m.addPartial) || !this.layersTraceable('training')) return undefined;
    const program = this.graphProgram();
    if (!program) return undefined;
    const keys = new Map<number, string>();
    try {
      program.bind(this.optimizer.stateVariables());
      for (const size of sizes) {
        // The last input is the optimizer's per-step scalars (t, flags, ...), computed on the host each step.
        const key = program.compile('train', [...batchSpecs(arraysOfRows(train), size), { dtype: 'float32', shape: [this.optimizer.stepValueCount] }], (inputs) => {
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

  async fit(input: TrainingData, options: FitOptions = {}): Promise<{ history: History; epochsRun: number }> {
    const batchSize = options.batchSize ?? 32;
    const data = asRows(input);
    let validation = options.validationData && asRows(options.validationData);
    await this.checkLabels(data.y, '/fit/y', options);
    if (validation) await this.checkLabels(validation.y, '/fit/validation_data/y', options);
    // A validation split is part of data.y, checked above.
    const epochs = options.epochs ?? 1;
    let train = data;
    if (options.validationSplit) {
      // Keras's split: the last rows, before any shuffling.
      const n = rowCount(data.x[0]);
      const cut = Math.floor(n * (1 - options.validationSplit));
      train = mapRows(data, (a) => new RowRange(a, 0, cut));
      validation = mapRows(data, (a) => new RowRange(a, cut, n - cut));
    }
    // Keras refuses class_weight with sample_weight (so does the API, at submit).
    if (options.classWeight) train = { ...train, sampleWeight: [new ClassWeightRows(train.y[0], options.classWeight)] };
    const metrics = this.ensureMetrics(train.y);
    const arrays = arraysOfRows(train);
    const n = rowCount(train.x[0]);
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
    const plan = { shuffle: options.shuffle !== false, windowRows: windowRowsFor(arrays, options.windowBytes), inMemory: arrays.every((a) => a.inMemory) };
    const firstWidth = rowWidth(arrays[0]);
    this.lastExecution = 'eager';

    await callbacks.trainBegin(ctx);
    for (let epoch = options.initialEpoch ?? 0; epoch < epochs && !ctx.stopTraining; epoch++) {
      await callbacks.epochBegin(epoch, ctx);
      // Callbacks may have changed weights or the learning rate since the graph last ran.
      if (graphSteps) program().push();
      for (const list of metrics) for (const m of list) m.reset();
      const windows = epochWindows(n, { ...plan, seed: (options.seed ?? 0) * 100_003 + epoch });
      let lossSum: tf.Tensor = tf.scalar(0);
      const outLossSums: tf.Tensor[] = this.losses.map(() => tf.scalar(0));
      // Sums of graph steps, accumulated in float32 as Keras's loss tracker is.
      let hostLossSum = 0;
      const hostOutLossSums = this.losses.map(() => 0);
      let step = 0;
      let carried = false;
      for await (const batch of batchesOf(arrays, windows, batchSize, options.readAhead)) {
        if (options.signal?.aborted) break;
        const size = batch[0].length / firstWidth;
        if (graphSteps) {
          if (!carried) {
            // Carry on the sums of this epoch's eager steps on the host, adding in the same order.
            carried = true;
            hostLossSum = lossSum.dataSync()[0];
            outLossSums.forEach((t, k) => (hostOutLossSums[k] = t.dataSync()[0]));
            tf.dispose([lossSum, ...outLossSums]);
            lossSum = tf.scalar(0);
            outLossSums.forEach((_, k) => (outLossSums[k] = tf.scalar(0)));
          }
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
          const tensors = batch.map((values, i) => batchTensor(values, arrays[i], size));
          const { xb, yb, wb } = splitBatch(tensors, train);
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
          tf.dispose([value, ...grads, ...outputs, ...perOutput, ...tensors]);
          if (graphSteps === undefined) {
            graphSteps = this.compileTrainStep(train, metrics, variables, batchSizes) ?? null;
            if (graphSteps) this.lastExecution = 'graph';
          }
        }
        step += 1;
        // As in Keras, a callback that stops training ends the epoch after this batch.
        if (ctx.stopTraining) break;
        // Let the process's event loop breathe (cancel messages, heartbeats, read-ahead) without a per-batch await.
        if (Date.now() - lastYield > 100) {
          await new Promise((r) => setImmediate(r));
          lastYield = Date.now();
        }
      }
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
        const val = await this.evaluate(validation, { batchSize, labelsChecked: true, graph: options.graph, windowBytes: options.windowBytes, readAhead: options.readAhead });
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
    return { history, epochsRun };
  }

  /**
   * keras Model.evaluate(return_dict=True): same averaging as fit, inference mode. As one graph
   * per batch where the model allows it (graph: false forces the eager path).
   */
  async evaluate(input: TrainingData, options: { batchSize?: number; labelsChecked?: boolean; graph?: boolean } & ReadOptions = {}): Promise<Logs> {
    const batchSize = options.batchSize ?? 32;
    const data = asRows(input);
    if (!options.labelsChecked) await this.checkLabels(data.y, 'y', options);
    const metrics = this.ensureMetrics(data.y);
    for (const m of metrics.flat()) m.reset();
    const arrays = arraysOfRows(data);
    const n = rowCount(data.x[0]);
    const steps = Math.ceil(n / batchSize);
    let lossSum = 0;
    const outLossSums = this.losses.map(() => 0);
    const inGraph = options.graph === false ? undefined : this.compileEvaluate(data, metrics, batchSize);
    this.lastInference = inGraph ? 'graph' : 'eager';
    if (inGraph) this.program!.push();
    const firstWidth = rowWidth(arrays[0]);
    for await (const batch of batchesOf(arrays, inOrder(arrays, options.windowBytes), batchSize, options.readAhead)) {
      const size = batch[0].length / firstWidth;
      if (inGraph) {
        const [[total], ...rest] = this.program!.run(inGraph.get(size)!, batch);
        lossSum += total * size;
        this.losses.forEach((_, k) => (outLossSums[k] += rest[k][0]));
        metrics.flat().forEach((m, i) => m.addPartial!(rest[this.losses.length + i], size));
        continue;
      }
      tf.tidy(() => {
        const { xb, yb, wb } = splitBatch(
          batch.map((values, i) => batchTensor(values, arrays[i], size)),
          data,
        );
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
  private compileEvaluate(data: DataRows, metrics: Metric[][], batchSize: number): Map<number, string> | undefined {
    if (!metrics.flat().every((m) => m.partial && m.addPartial) || !this.layersTraceable('inference')) return undefined;
    const program = this.graphProgram();
    if (!program) return undefined;
    const keys = new Map<number, string>();
    try {
      for (const size of batchSizesOf(rowCount(data.x[0]), batchSize)) {
        const key = program.compile('evaluate', batchSpecs(arraysOfRows(data), size), (inputs) => {
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
   * The forward pass as one graph for batches of batchSize, when the model allows it. A last,
   * smaller batch is padded to that size (every graph-safe layer treats rows independently in
   * inference), so one trace serves any number of samples.
   */
  private compilePredict(x: readonly ArrayRows[], batchSize: number): string | undefined {
    const outputShapes = this.model.symbolic.outputs.map((o) => o.shape.slice(1));
    if (!this.layersTraceable('inference') || outputShapes.some((shape) => shape.some((d) => d === null))) return undefined;
    const program = this.graphProgram();
    if (!program) return undefined;
    try {
      return program.compile('predict', batchSpecs(x, batchSize), (inputs) => this.model.forward(inputs, false));
    } catch (err) {
      if (process.env.KJ_GRAPH_DEBUG) console.error('graph predict unavailable:', err);
      return undefined;
    }
  }

  /**
   * keras Model.predict, batch by batch: `sink` gets each batch's outputs (one array and shape per
   * output, valid until it returns or its promise settles), in row order.
   */
  async predictBatches(x: readonly ArrayRows[], options: { batchSize?: number; graph?: boolean } & ReadOptions, sink: (outputs: HostValues[], shapes: number[][]) => void | Promise<void>): Promise<void> {
    const batchSize = options.batchSize ?? 32;
    const key = options.graph !== false && rowCount(x[0]) > 0 ? this.compilePredict(x, batchSize) : undefined;
    this.lastInference = key ? 'graph' : 'eager';
    if (key) this.program!.push();
    const firstWidth = rowWidth(x[0]);
    for await (const batch of batchesOf(x, inOrder(x, options.windowBytes), batchSize, options.readAhead)) {
      const size = batch[0].length / firstWidth;
      if (key) {
        const feeds = batch.map((values) => {
          if (size === batchSize) return values;
          const padded = new (values.constructor as Float32ArrayConstructor)((values.length / size) * batchSize);
          padded.set(values);
          return padded;
        });
        const results = this.program!.run(key, feeds);
        const shapes = this.model.symbolic.outputs.map((o) => [size, ...(o.shape.slice(1) as number[])]);
        const outputs = results.map((r, k) => {
          const values = r.subarray(0, shapes[k].reduce((a, b) => a * b, 1));
          return values instanceof Float32Array || values instanceof Int32Array ? values : Float32Array.from(values);
        });
        await sink(outputs, shapes);
        continue;
      }
      const outs = tf.tidy(() => this.model.forward(batch.map((values, i) => batchTensor(values, x[i], size)), false));
      try {
        await sink(
          outs.map((o) => (o.dtype === 'int32' ? (o.dataSync() as Int32Array) : Float32Array.from(o.dataSync()))),
          outs.map((o) => o.shape),
        );
      } finally {
        tf.dispose(outs);
      }
    }
  }

  /** keras Model.predict: one tensor per output, batches in inference mode. */
  async predict(x: tf.Tensor[] | ArrayRows[], options: { batchSize?: number; graph?: boolean } & ReadOptions = {}): Promise<tf.Tensor[]> {
    const rows = x.map((a) => (a instanceof tf.Tensor ? HostRows.fromTensor(a) : a));
    const n = rowCount(rows[0]);
    const parts: Array<{ values?: HostValues; shape?: number[]; at: number }> = this.model.outputNames.map(() => ({ at: 0 }));
    await this.predictBatches(rows, options, (outputs, shapes) => {
      outputs.forEach((values, k) => {
        const part = parts[k];
        part.shape ??= [n, ...shapes[k].slice(1)];
        part.values ??= new (values.constructor as Float32ArrayConstructor)((values.length / shapes[k][0]) * n);
        part.values.set(values, part.at);
        part.at += values.length;
      });
    });
    return parts.map(({ values, shape }, k) =>
      values ? tf.tensor(values, shape, values instanceof Int32Array ? 'int32' : 'float32') : tf.zeros([0, ...(this.model.symbolic.outputs[k].shape.slice(1) as number[])]),
    );
  }

  dispose(): void {
    for (const m of this.metrics?.flat() ?? []) m.dispose();
    this.optimizer.dispose();
  }
}
