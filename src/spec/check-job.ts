/**
 * Everything checked at submit time beyond the JSON schema: the graph, the compile section, the data
 * (shapes, sample counts) and the callbacks. Run once in the API so errors come back before enqueueing.
 */
import { bindData, bindSampleWeight, datasetRefs, describeArray, isDatasetArray, type ArrayInfo, type DatasetShapes } from './arrays.ts';
import { checkCallbackConfig } from './callback-checks.ts';
import { CALLBACKS, resolve } from './catalog.ts';
import { resolveCompile } from './compile.ts';
import { checkGraph, normalizeModel, type CheckedGraph } from './graph.ts';
import { DEFAULT_LIMITS, checkNesting, type Limits } from './limits.ts';
import { SpecError, fail, type SpecIssue } from './problem.ts';
import type { CompileSpec, Data, EvaluateJobCreate, EvaluateSpec, FitJobCreate, FitSpec, JobCreate, KerasJsonModel, ModelSpec, PredictJobCreate } from './schema.ts';
import { fromKerasJson } from '../keras/from-keras-json.ts';
import { KerasImportError } from '../keras/types.ts';

/** What the synchronous checks need besides the job: uploaded arrays' shapes and the caps. */
interface CheckContext {
  shapes: DatasetShapes;
  limits: Limits;
}

function describeData(ctx: CheckContext, data: Data, names: string[], at: string, bind = bindData): ArrayInfo[] {
  const { limits } = ctx;
  return bind(data, names, at, (a, p) => {
    const info = describeArray(a, p, ctx.shapes);
    const elements = info.shape.reduce((x, y) => x * y, 1);
    // Uploaded datasets are read batch by batch: their bound is the disk quota, not memory.
    if (!isDatasetArray(a) && elements > limits.maxArrayElements) fail(p, `has ${elements} numbers; the limit is ${limits.maxArrayElements} (MAX_ARRAY_ELEMENTS)`);
    return info;
  });
}

const elementsOf = (shape: ReadonlyArray<number | null>) => shape.reduce<number>((n, d) => n * (d ?? 1), 1);

/**
 * What one sample costs in memory beyond the weights: every tensor the graph makes (inputs and
 * each call's outputs), which training keeps for the backward pass. A nested model counts as the
 * tensors it outputs.
 */
export function sampleActivations(graph: CheckedGraph): number {
  return Object.values(graph.tensors).reduce((n, shape) => n + elementsOf(shape), 0);
}

function largestTensor(graph: CheckedGraph): string {
  const [key, shape] = Object.entries(graph.tensors).reduce((a, b) => (elementsOf(b[1]) > elementsOf(a[1]) ? b : a));
  return `${key.split(':')[0]} (${shape.map((d) => d ?? 'None').join(', ')})`;
}

/** Size caps that need the checked graph and the data. */
function checkSize({ limits }: CheckContext, graph: CheckedGraph, fit: FitSpec | undefined, samples: number | undefined): void {
  if (graph.layers.length > limits.maxLayers) fail('/model', `has ${graph.layers.length} layers; the limit is ${limits.maxLayers} (MAX_LAYERS)`);
  if (graph.summary.total_params > limits.maxParams) fail('/model', `has ${graph.summary.total_params} parameters; the limit is ${limits.maxParams} (MAX_PARAMS)`);
  const activations = sampleActivations(graph);
  if (activations > limits.maxSampleActivations) {
    fail('/model', `makes ${activations} numbers of activations per sample (largest: ${largestTensor(graph)}); the limit is ${limits.maxSampleActivations} (MAX_SAMPLE_ACTIVATIONS)`);
  }
  if (!fit) return;
  if ((fit.batch_size ?? 32) > limits.maxBatchSize) fail('/fit/batch_size', `is ${fit.batch_size}; the limit is ${limits.maxBatchSize} (MAX_BATCH_SIZE)`);
  const budget = (fit.epochs ?? 1) * (samples ?? 0);
  if (budget > limits.maxEpochSamples) fail('/fit/epochs', `epochs × samples = ${budget}; the limit is ${limits.maxEpochSamples} (MAX_EPOCH_SAMPLES)`);
}

function checkInputs(infos: ArrayInfo[], graph: CheckedGraph, at: string): void {
  graph.inputs.forEach((input, i) => {
    const got = infos[i].shape.slice(1);
    const want = input.shape;
    const ok = got.length === want.length && want.every((d, j) => d === null || d === got[j]);
    if (!ok) {
      const ptr = graph.inputs.length > 1 ? `${at}/${i}` : at;
      fail(ptr, `input "${input.name}" expects samples of shape (${want.map((d) => d ?? 'None').join(', ')}), got (${got.join(', ')})`);
    }
  });
}

function sampleCount(groups: Array<[string, ArrayInfo[]]>): number {
  const counts = groups.flatMap(([at, infos]) => infos.map((inf) => [at, inf.shape[0] ?? 0] as const));
  const [firstAt, n] = counts[0];
  const odd = counts.find(([, c]) => c !== n);
  if (odd) fail(odd[0], `has ${odd[1]} samples but ${firstAt} has ${n}; x, y and sample_weight must have the same number of samples`);
  return n;
}

function checkFit(ctx: CheckContext, fit: FitSpec, graph: CheckedGraph): number {
  const inputs = graph.inputs.map((i) => i.name);
  const x = describeData(ctx, fit.x, inputs, '/fit/x');
  checkInputs(x, graph, '/fit/x');
  const y = describeData(ctx, fit.y, graph.outputs, '/fit/y');
  const groups: Array<[string, ArrayInfo[]]> = [['/fit/x', x], ['/fit/y', y]];
  if (fit.sample_weight) groups.push(['/fit/sample_weight', describeData(ctx, fit.sample_weight, graph.outputs, '/fit/sample_weight', bindSampleWeight)]);
  const n = sampleCount(groups);
  if (n === 0) fail('/fit/x', 'has no samples');
  if (fit.validation_data) {
    const vx = describeData(ctx, fit.validation_data.x, inputs, '/fit/validation_data/x');
    checkInputs(vx, graph, '/fit/validation_data/x');
    const vy = describeData(ctx, fit.validation_data.y, graph.outputs, '/fit/validation_data/y');
    sampleCount([['/fit/validation_data/x', vx], ['/fit/validation_data/y', vy]]);
  }
  if (fit.validation_split !== undefined) {
    if (fit.validation_data) fail('/fit/validation_split', 'give validation_data or validation_split, not both');
    const train = Math.floor(n * (1 - fit.validation_split));
    if (train < 1 || train === n) fail('/fit/validation_split', `leaves ${train} training and ${n - train} validation samples out of ${n}`);
  }
  if (fit.class_weight && graph.outputs.length > 1) fail('/fit/class_weight', 'class_weight is only supported for models with a single output (as in Keras)');
  if (fit.class_weight && fit.sample_weight) fail('/fit/class_weight', 'class_weight and sample_weight cannot be given together (Keras 3 refuses them: "You cannot `class_weight` and `sample_weight` at the same time.")');
  const issues: SpecIssue[] = [];
  (fit.callbacks ?? []).forEach((cb, i) => {
    const r = resolve(CALLBACKS, cb, 'callback');
    if ('error' in r) {
      issues.push({ pointer: r.key ? `/fit/callbacks/${i}/config/${r.key}` : `/fit/callbacks/${i}/class_name`, message: r.error });
      return;
    }
    const problem = checkCallbackConfig(r);
    if (problem) issues.push({ pointer: `/fit/callbacks/${i}/config/${problem[0]}`, message: `${r.class_name}: ${problem[1]}` });
  });
  if (issues.length) throw new SpecError(issues);
  return n;
}

/** What the API knows of a stored model, enough to check jobs against it. */
export interface StoredModel {
  id: string;
  spec: { model: ModelSpec; compile: CompileSpec | null };
  epochs_run?: number;
  history?: Record<string, number[]>;
  /** Checkpoint name → the epoch (0-based) after which it was saved. */
  checkpoints: Record<string, { epoch: number; history?: Record<string, number[]>; weights_only?: boolean }>;
}

export type ModelLookup = (modelId: string) => Promise<StoredModel | undefined>;
export type DatasetLookup = (datasetId: string) => Promise<{ arrays: Record<string, { shape: number[]; dtype: 'float32' | 'int32'; columns?: string[] }> } | null | undefined>;

/** Where a fit continues from: the stored model's weights, optimizer state, epoch count and history. */
export interface ResumeFrom {
  model_id: string;
  checkpoint?: string;
  initial_epoch: number;
  history: Record<string, number[]>;
  /** State of the job's own callbacks, when the same job resumes after a crash or a shutdown. */
  callbacks?: unknown[];
}

/** A fit job as workers run it: its model in this service's own form (Keras JSON translated). */
export type RunnableFitJob = Omit<FitJobCreate, 'model'> & { model?: ModelSpec };
/** What workers receive for the job types users submit. */
export type RunnableJob = RunnableFitJob | EvaluateJobCreate | PredictJobCreate;

export interface CheckedJob {
  /** The job as the worker runs it: a fit job's model translated, and model and compile filled in from initial_model. */
  job: RunnableJob;
  graph: CheckedGraph;
  epochs: number;
  samples?: number;
  resume?: ResumeFrom;
}

function checkX(ctx: CheckContext, x: Data, graph: CheckedGraph, at: string): number {
  const infos = describeData(ctx, x, graph.inputs.map((i) => i.name), at);
  checkInputs(infos, graph, at);
  return sampleCount([[at, infos]]);
}

function checkEvaluate(ctx: CheckContext, spec: EvaluateSpec, graph: CheckedGraph, at: string): void {
  const x = describeData(ctx, spec.x, graph.inputs.map((i) => i.name), `${at}/x`);
  checkInputs(x, graph, `${at}/x`);
  const groups: Array<[string, ArrayInfo[]]> = [[`${at}/x`, x], [`${at}/y`, describeData(ctx, spec.y, graph.outputs, `${at}/y`)]];
  if (spec.sample_weight) groups.push([`${at}/sample_weight`, describeData(ctx, spec.sample_weight, graph.outputs, `${at}/sample_weight`, bindSampleWeight)]);
  if (sampleCount(groups) === 0) fail(`${at}/x`, 'has no samples');
}

async function storedModel(lookup: ModelLookup, modelId: string, checkpoint: string | undefined, at: string): Promise<StoredModel> {
  const stored = await lookup(modelId);
  if (!stored) fail(`${at}/model_id`, `no trained model "${modelId}"`);
  if (checkpoint !== undefined && !Object.hasOwn(stored.checkpoints, checkpoint)) {
    fail(`${at}/checkpoint`, `model "${modelId}" has no checkpoint "${checkpoint}"; it has ${Object.keys(stored.checkpoints).join(', ') || 'none'}`);
  }
  if (checkpoint === undefined && stored.epochs_run === undefined) fail(`${at}/model_id`, `model "${modelId}" has not finished training; name one of its checkpoints`);
  return stored;
}

/** Every check that needs no worker: run once in the API, so errors come back before anything is queued. */
export interface CheckOptions {
  models: ModelLookup;
  datasets: DatasetLookup;
  limits?: Limits;
}

export async function checkJob(job: JobCreate, { models: lookup, datasets, limits: caps }: CheckOptions): Promise<CheckedJob> {
  checkNesting(job);
  const shapes: DatasetShapes = new Map();
  for (const ref of datasetRefs(job)) {
    if (shapes.has(ref.dataset)) continue;
    const info = await datasets(ref.dataset);
    if (info) shapes.set(ref.dataset, info);
  }
  const stored = job.type === 'fit' ? undefined : await storedModel(lookup, job.model_id, job.checkpoint, '');
  const resumeFrom = job.type === 'fit' && job.initial_model ? await storedModel(lookup, job.initial_model.model_id, job.initial_model.checkpoint, '/initial_model') : undefined;
  return checkLoaded({ shapes, limits: caps ?? DEFAULT_LIMITS }, job, stored, resumeFrom);
}

/** Keras JSON → this service's model form; what cannot be translated is a 422 naming it. */
function fromKerasModel(spec: KerasJsonModel): { model: ModelSpec; compile?: CompileSpec } {
  try {
    const { model, compile } = fromKerasJson(spec.keras_json);
    return { model: spec.weights ? { ...model, weights: spec.weights } : model, compile };
  } catch (err) {
    if (err instanceof KerasImportError) throw new SpecError(err.issues.map((i) => ({ pointer: `/model/keras_json${i.pointer}`, message: i.message })));
    throw err;
  }
}

function checkLoaded(ctx: CheckContext, job: JobCreate, stored: StoredModel | undefined, base: StoredModel | undefined): CheckedJob {
  if (job.type === 'fit') {
    let resolved = job;
    let resume: ResumeFrom | undefined;
    if (job.initial_model && base) {
      const { model_id, checkpoint } = job.initial_model;
      const stored = base;
      const point = checkpoint === undefined || !Object.hasOwn(stored.checkpoints, checkpoint) ? undefined : stored.checkpoints[checkpoint];
      if (point?.weights_only) fail('/initial_model/checkpoint', `checkpoint "${checkpoint}" holds weights only (save_weights_only); training cannot resume its optimizer state`);
      resolved = { ...job, model: job.model ?? stored.spec.model, compile: job.compile ?? stored.spec.compile ?? undefined };
      resume = {
        model_id,
        checkpoint,
        initial_epoch: point ? point.epoch + 1 : stored.epochs_run!,
        history: (point ? point.history : stored.history) ?? {},
      };
    }
    if (!resolved.model) fail('/model', 'is required (or give initial_model to continue a trained model)');
    const { model, compile: kerasCompile } = 'keras_json' in resolved.model ? fromKerasModel(resolved.model) : { model: resolved.model, compile: undefined };
    const runnable: RunnableFitJob = { ...resolved, model, compile: resolved.compile ?? kerasCompile };
    if (!runnable.compile) fail('/compile', 'is required (or give initial_model to continue a trained model, or send Keras JSON with a compile_config)');
    const graph = checkGraph(normalizeModel(model));
    resolveCompile(runnable.compile, graph.outputs);
    const samples = checkFit(ctx, job.fit, graph);
    checkSize(ctx, graph, job.fit, samples);
    const epochs = job.fit.epochs ?? 1;
    const initialEpoch = job.fit.initial_epoch ?? resume?.initial_epoch ?? 0;
    if (initialEpoch >= epochs) {
      fail(job.fit.initial_epoch !== undefined ? '/fit/initial_epoch' : '/fit/epochs', `epochs (${epochs}) must be greater than the initial epoch (${initialEpoch}${resume ? ', the epochs already trained' : ''}); as in Keras, epochs is the index of the last epoch, not a count to add`);
    }
    if (resume) resume.initial_epoch = initialEpoch;
    if (job.evaluate) checkEvaluate(ctx, job.evaluate, graph, '/evaluate');
    if (job.predict) checkX(ctx, job.predict.x, graph, '/predict/x');
    return { job: runnable, graph, epochs, samples, resume };
  }
  const graph = checkGraph(normalizeModel(stored!.spec.model));
  checkSize(ctx, graph, undefined, undefined);
  if (job.type === 'evaluate') {
    if (!stored!.spec.compile) fail('/model_id', `model "${job.model_id}" was imported without a compile_config, so it has no loss to evaluate: fine-tune it with a fit job that gives compile (initial_model), or import a compiled model`);
    checkEvaluate(ctx, job.evaluate, graph, '/evaluate');
    return { job, graph, epochs: 0 };
  }
  const samples = checkX(ctx, job.predict.x, graph, '/predict/x');
  return { job, graph, epochs: 0, samples };
}
