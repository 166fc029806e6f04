/**
 * Runs one job — fit (with optional evaluate/predict after it), evaluate or predict — from spec to
 * engine to files and events. Knows the engine and the model store, not Redis or HTTP; the caller
 * decides where events go.
 */
import * as tf from '@tensorflow/tfjs';
import { datasetRefs } from '../src/spec/arrays.ts';
import type { DatasetStore } from '../src/datasets/dataset-store.ts';
import type { NpyRows } from '../src/datasets/npy-rows.ts';
import { NpyFileWriter } from '../src/datasets/npy-writer.ts';
import { checkpointNameOf } from '../src/spec/callback-checks.ts';
import { resolveCompile } from '../src/spec/compile.ts';
import { checkGraph, normalizeModel } from '../src/spec/graph.ts';
import type { ResumeFrom, RunnableFitJob, RunnableJob } from '../src/spec/check-job.ts';
import type { DatasetArray, EvaluateSpec, PredictSpec } from '../src/spec/schema.ts';
import { initBackend } from '../src/engine/backend.ts';
import type { Callback, Logs, TrainingContext } from '../src/engine/callbacks/callback.ts';
import { makeCallbacks, type CallbackHooks } from '../src/engine/callbacks/index.ts';
import { KerasModel } from '../src/engine/model.ts';
import { EarlyStopping } from '../src/engine/callbacks/early-stopping.ts';
import { modelFiles, optimizerFiles } from '../src/engine/serialize.ts';
import { DataBinder } from '../src/engine/data-binding.ts';
import { Trainer, type History } from '../src/engine/trainer.ts';
import type { Draft } from '../src/store/atomic.ts';
import { ModelStore, epochCheckpointName, isSafeCheckpointName, lengthsOf } from '../src/store/model-store.ts';
import { ModelCache, loadModel, loadOptimizerState } from './model-loader.ts';
import { runImport } from './run-import.ts';
import type { ImportJob } from '../src/jobs/queue.ts';

export interface JobInput {
  jobId: string;
  tenant: string;
  /** The id the trained (fit) or imported model gets. */
  modelId?: string;
  /** The job as checked by the API (a fit job's model and compile already filled in). */
  job: RunnableJob | ImportJob;
  resume?: ResumeFrom;
}

export type Emit = (type: string, data: Record<string, unknown>) => void;

export interface JobOutput {
  evaluate?: Logs;
  /** Predictions are in the job's result files (<output>.npy), by these names and shapes. */
  output_names?: string[];
  shapes?: number[][];
}

export interface JobResult {
  backend: string;
  /** fit: whether its steps ran as one TensorFlow graph each or kernel by kernel (Trainer.lastExecution). */
  execution?: 'graph' | 'eager';
  model_id?: string;
  history?: History;
  epochs_run?: number;
  result: JobOutput;
}


/** The job was cancelled (or timed out) while running; what it checkpointed stays. */
export class JobCancelled extends Error {}

export interface RunContext {
  store: ModelStore;
  cache: ModelCache;
  datasets: DatasetStore;
  /** Least time between two `progress` events of an epoch (default 1000 ms; each is a stored event). */
  progressIntervalMs?: number;
  /**
   * Removes the model's epoch checkpoints not in `keep`. Default: at once. Under a worker, the
   * worker does it, sparing the ones a queued job names (it knows them; this process does not).
   */
  pruneEpochCheckpoints?: (modelId: string, keep: ReadonlySet<string>) => Promise<unknown>;
}

/** Dataset arrays a job references, opened to be read batch by batch; the caller closes them. */
async function openDatasetArrays(job: RunnableJob, datasets: DatasetStore): Promise<Map<DatasetArray, NpyRows>> {
  const opened = new Map<DatasetArray, NpyRows>();
  try {
    for (const ref of datasetRefs(job)) opened.set(ref, await datasets.openRows(ref.dataset, ref.array, { rows: ref.rows, columns: ref.columns }));
  } catch (err) {
    await closeAll(opened);
    throw err;
  }
  return opened;
}

const closeAll = (opened: Map<DatasetArray, NpyRows>) => Promise.all([...opened.values()].map((rows) => rows.close().catch(() => {})));

/** Emits train_begin / epoch_begin / epoch_end, the events a live client follows. */
/**
 * EarlyStopping(restore_best_weights) held the weights of an epoch before the job was interrupted;
 * they are that epoch's checkpoint, loaded back so a resumed job restores what an uninterrupted
 * one would.
 */
async function restoreBestWeightSnapshots(store: ModelStore, modelId: string, callbacks: Callback[]): Promise<void> {
  for (const callback of callbacks) {
    if (!(callback instanceof EarlyStopping) || callback.snapshotEpochToRestore === undefined) continue;
    const { model, trainer } = await loadModel(store, modelId, epochCheckpointName(callback.snapshotEpochToRestore));
    try {
      callback.restoreSnapshot(model.symbolic.weights.map((w) => w.read().clone()));
    } finally {
      trainer.dispose();
      model.dispose();
    }
  }
}

class EventReporter implements Callback {
  private epoch = 0;
  private lastProgress = 0;
  private epochStart = 0;
  constructor(
    private readonly emit: Emit,
    private readonly backend: string,
    private readonly progressIntervalMs: number,
  ) {}
  onTrainBegin(ctx: TrainingContext) {
    this.emit('train_begin', { ...ctx.params, backend: this.backend });
  }
  onEpochBegin(epoch: number, ctx: TrainingContext) {
    this.epoch = epoch;
    this.lastProgress = Date.now();
    this.epochStart = performance.now();
    this.emit('epoch_begin', { epoch, epochs: ctx.params.epochs });
  }
  /** Within an epoch, `progress` {epoch, epochs, step, steps, loss}: enough for a progress bar. */
  onBatchEnd(batch: number, ctx: TrainingContext, batchLoss: () => number) {
    const now = Date.now();
    if (now - this.lastProgress < this.progressIntervalMs || batch + 1 >= ctx.params.steps) return;
    this.lastProgress = now;
    this.emit('progress', { epoch: this.epoch, epochs: ctx.params.epochs, step: batch + 1, steps: ctx.params.steps, loss: batchLoss() });
  }
  onEpochEnd(epoch: number, logs: Logs, ctx: TrainingContext) {
    const seconds = (performance.now() - this.epochStart) / 1000;
    this.emit('epoch_end', { epoch, epochs: ctx.params.epochs, logs: { ...logs }, duration_s: seconds, samples_per_s: seconds > 0 ? ctx.params.samples / seconds : null });
  }
}

/** Epoch checkpoints a fit job keeps besides the latest (and those its callbacks need), unless it says `keep_checkpoints`. */
export const DEFAULT_KEEP_CHECKPOINTS = 2;

/**
 * After every epoch, a full checkpoint (weights, optimizer slots, epoch, callback state), so a job
 * can resume from it, and the model's history.json. Written before the next epoch starts, so a
 * crash redoes at most the epoch it interrupts (writing during the next epoch saved ~2 ms an epoch
 * on the seed MLP, and made a crash redo up to two).
 *
 * Then retention: the latest checkpoint, the `keep` before it, and the one EarlyStopping's
 * restore_best_weights would load after a resume stay; older epoch checkpoints go. A checkpoint
 * records only how long each history key was, so disk use grows linearly in epochs, not
 * quadratically.
 */
class EpochCheckpointer implements Callback {
  private readonly history: History;
  constructor(
    previous: History,
    private readonly store: ModelStore,
    private readonly modelId: string,
    private readonly userCallbacks: Callback[],
    private readonly keep: number,
    private readonly emit: Emit,
    private readonly prune: NonNullable<RunContext['pruneEpochCheckpoints']>,
  ) {
    this.history = Object.fromEntries(Object.entries(previous).map(([k, v]) => [k, [...v]]));
  }
  async onEpochEnd(epoch: number, logs: Logs, ctx: TrainingContext) {
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
    const name = epochCheckpointName(epoch);
    const state = {
      epoch,
      epochs: ctx.params.epochs,
      history_lengths: lengthsOf(this.history),
      callbacks: this.userCallbacks.map((c) => c.getState?.() ?? null),
      saved_at: new Date().toISOString(),
    };
    // History first: a checkpoint never counts values history.json does not have yet.
    await this.store.writeHistory(this.modelId, this.history);
    await this.store.writeCheckpoint(this.modelId, name, {
      ...(await modelFiles(ctx.model)),
      ...(await optimizerFiles(ctx.optimizer)),
      'state.json': JSON.stringify(state),
    });
    this.emit('checkpoint', { name, epoch, kind: 'epoch' });
    const kept = new Set<string>();
    for (let e = epoch; e >= Math.max(0, epoch - this.keep); e--) kept.add(epochCheckpointName(e));
    for (const c of this.userCallbacks) {
      const snapshot = c instanceof EarlyStopping ? c.snapshotEpoch : undefined;
      if (snapshot !== undefined) kept.add(epochCheckpointName(snapshot));
    }
    await this.prune(this.modelId, kept);
  }
}

/** Saves what ModelCheckpoint and CSVLogger ask for inside this model's folder, and announces it. */
function callbackHooks(store: ModelStore, modelId: string, emit: Emit): CallbackHooks {
  return {
    emit,
    async saveCheckpoint(req, ctx) {
      const name = checkpointNameOf(req.name);
      if (!isSafeCheckpointName(name)) throw new Error(`ModelCheckpoint: "${req.name}" is not a plain file name`);
      await store.writeCheckpoint(modelId, name, {
        ...(await modelFiles(ctx.model)),
        ...(req.weightsOnly ? {} : await optimizerFiles(ctx.optimizer)),
        'state.json': JSON.stringify({ epoch: req.epoch, monitor: req.monitor, value: req.value, weights_only: req.weightsOnly, saved_at: new Date().toISOString() }),
      });
      emit('checkpoint', { name, epoch: req.epoch, kind: 'model_checkpoint', monitor: req.monitor, value: req.value });
    },
    writeArtifact: (filename, content) => store.writeArtifact(modelId, filename, content),
  };
}

async function evaluateWith(trainer: Trainer, data: DataBinder, spec: EvaluateSpec, emit: Emit): Promise<Logs> {
  const test = data.dataset(spec.x, spec.y, spec.sample_weight, '/evaluate');
  const logs = await trainer.evaluate(test, { batchSize: spec.batch_size ?? 32 });
  emit('evaluate', { logs });
  return logs;
}

/**
 * Every output is stored as .npy, and only there (the API reads small ones back into the job's
 * view, so no job record in Redis holds predictions for JOB_TTL_S). Written batch by batch under
 * temp names, renamed into place when the last batch is in: memory holds one batch of outputs.
 */
async function predictWith(jobId: string, store: ModelStore, trainer: Trainer, model: KerasModel, data: DataBinder, spec: PredictSpec, emit: Emit): Promise<JobOutput> {
  const x = data.inputs(spec.x, '/predict/x');
  const files: Array<{ draft: Draft; npy?: NpyFileWriter; rows: number; sample?: number[] }> = [];
  try {
    for (const [k, name] of model.outputNames.entries()) {
      const draft = await store.draftResult(jobId, `${name}.npy`);
      files.push({ draft, rows: 0 });
      files[k].npy = await NpyFileWriter.open(draft.file, 'float32', null, model.symbolic.outputs[k].shape.length);
    }
    await trainer.predictBatches(x, { batchSize: spec.batch_size ?? 32 }, async (outputs, shapes) => {
      for (const [k, values] of outputs.entries()) {
        files[k].rows += shapes[k][0];
        files[k].sample ??= shapes[k].slice(1);
        await files[k].npy!.write(values instanceof Float32Array ? values : Float32Array.from(values));
      }
    });
    const shapes = files.map((f, k) => [f.rows, ...(f.sample ?? (model.symbolic.outputs[k].shape.slice(1) as number[]))]);
    for (const [k, f] of files.entries()) {
      const npy = f.npy!;
      f.npy = undefined;
      await npy.close(shapes[k]);
      await f.draft.commit();
    }
    emit('predict', { output_names: model.outputNames, shapes });
    return { output_names: model.outputNames, shapes };
  } catch (err) {
    for (const f of files) {
      await f.npy?.abort();
      await f.draft.discard();
    }
    throw err;
  }
}

function concatHistory(previous: History, next: History): History {
  const out: History = {};
  for (const key of new Set([...Object.keys(previous), ...Object.keys(next)])) out[key] = [...(previous[key] ?? []), ...(next[key] ?? [])];
  return out;
}

async function runFit(input: JobInput, job: RunnableFitJob, { store, progressIntervalMs = 1000, pruneEpochCheckpoints = (id, keep) => store.pruneEpochCheckpoints(id, keep) }: RunContext, opened: Map<DatasetArray, NpyRows>, emit: Emit, signal?: AbortSignal): Promise<JobResult> {
  const backend = await initBackend();
  const modelId = input.modelId!;
  const graph = checkGraph(normalizeModel(job.model!));
  const compiled = resolveCompile(job.compile!, graph.outputs);
  const model = new KerasModel(graph);
  const trainer = new Trainer(model, compiled);
  const resume = input.resume;
  try {
    if (resume) {
      const base = await loadModel(store, resume.model_id, resume.checkpoint);
      try {
        model.setWeights(base.model.getWeights());
      } finally {
        base.trainer.dispose();
        base.model.dispose();
      }
      // An imported model without a compile_config has no optimizer state: fine-tuning starts one.
      const state = await loadOptimizerState(store, resume.model_id, resume.checkpoint).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      if (state) {
        trainer.optimizer.setState(state);
        tf.dispose(Object.values(state.slots));
      }
    } else if (graph.weights) {
      model.setWeights(graph.weights);
    }
    const fit = job.fit;
    const data = new DataBinder(model, opened);
    const train = data.dataset(fit.x, fit.y, fit.sample_weight, '/fit');
    const validation = fit.validation_data ? data.dataset(fit.validation_data.x, fit.validation_data.y, fit.validation_data.sample_weight, '/fit/validation_data') : undefined;
    const existing = await store.readInfo(modelId);
    await store.writeInfo(modelId, {
      id: modelId,
      tenant: input.tenant,
      job_id: input.jobId,
      created_at: existing?.created_at ?? new Date().toISOString(),
      status: 'training',
      backend,
      spec: { model: { ...job.model, weights: undefined }, compile: job.compile },
      summary: graph.summary,
      ...(existing?.parent ? { parent: existing.parent } : resume && resume.model_id !== modelId ? { parent: { model_id: resume.model_id, checkpoint: resume.checkpoint ?? null } } : {}),
    });
    const previous = resume?.history ?? {};
    const user = makeCallbacks(fit.callbacks ?? [], callbackHooks(store, modelId, emit));
    resume?.callbacks?.forEach((state, i) => state !== null && state !== undefined && user[i]?.setState?.(state));
    if (resume?.callbacks) await restoreBestWeightSnapshots(store, modelId, user);
    const callbacks = [...user, new EventReporter(emit, backend, progressIntervalMs), new EpochCheckpointer(previous, store, modelId, user, fit.keep_checkpoints ?? DEFAULT_KEEP_CHECKPOINTS, emit, pruneEpochCheckpoints)];
    const initialEpoch = fit.initial_epoch ?? resume?.initial_epoch ?? 0;
    const { history: fresh, epochsRun } = await trainer.fit(train, {
      batchSize: fit.batch_size ?? 32,
      epochs: fit.epochs ?? 1,
      initialEpoch,
      shuffle: fit.shuffle ?? true,
      validationData: validation,
      validationSplit: fit.validation_split,
      classWeight: fit.class_weight,
      callbacks,
      signal,
    });
    if (signal?.aborted) throw new JobCancelled(`cancelled after ${epochsRun} epoch(s) of this run`);
    const history = concatHistory(previous, fresh);
    const totalEpochs = initialEpoch + epochsRun;
    await store.writeFinal(modelId, { ...(await modelFiles(model)), ...(await optimizerFiles(trainer.optimizer)) });
    const finalLogs = Object.fromEntries(Object.entries(history).map(([k, v]) => [k, v[v.length - 1]]));
    // The epoch checkpoints wrote history.json; with no epoch run, the history is the one it started from.
    if (epochsRun === 0) await store.writeHistory(modelId, history);
    await store.writeInfo(modelId, {
      ...(await store.readInfo(modelId)),
      status: 'trained',
      trained_at: new Date().toISOString(),
      epochs_run: totalEpochs,
      final_metrics: finalLogs,
    });
    emit('train_end', { epochs_run: totalEpochs, logs: finalLogs, execution: trainer.lastExecution });
    const result: JobOutput = {};
    if (job.evaluate) result.evaluate = await evaluateWith(trainer, data, job.evaluate, emit);
    if (job.predict) Object.assign(result, await predictWith(input.jobId, store, trainer, model, data, job.predict, emit));
    return { history, epochs_run: totalEpochs, model_id: modelId, backend, execution: trainer.lastExecution, result };
  } finally {
    trainer.dispose();
    model.dispose();
  }
}

export async function runJob(input: JobInput, ctx: RunContext, emit: Emit, signal?: AbortSignal): Promise<JobResult> {
  const job = input.job;
  if (job.type === 'import') return runImport(input.modelId!, input, job, ctx.store, emit);
  const opened = await openDatasetArrays(job, ctx.datasets);
  try {
    if (job.type === 'fit') return await runFit(input, job, ctx, opened, emit, signal);
    const backend = await initBackend();
    const { model, trainer } = await ctx.cache.get(job.model_id, job.checkpoint);
    const data = new DataBinder(model, opened);
    if (job.type === 'evaluate') return { backend, model_id: job.model_id, result: { evaluate: await evaluateWith(trainer, data, job.evaluate, emit) } };
    return { backend, model_id: job.model_id, result: await predictWith(input.jobId, ctx.store, trainer, model, data, job.predict, emit) };
  } finally {
    await closeAll(opened);
  }
}
