/**
 * Runs one fit job: spec → engine → files and events. Knows the engine and the model store, not
 * Redis or HTTP; the caller decides where events go.
 */
import * as tf from '@tensorflow/tfjs';
import { bindData, materialize } from '../src/spec/arrays.ts';
import { checkpointNameOf } from '../src/spec/callback-checks.ts';
import { resolveCompile } from '../src/spec/compile.ts';
import { checkGraph, normalizeModel } from '../src/spec/graph.ts';
import type { Data, FitJobCreate } from '../src/spec/schema.ts';
import { initBackend } from '../src/engine/backend.ts';
import type { Callback, Logs, TrainingContext } from '../src/engine/callbacks/callback.ts';
import { makeCallbacks, type CallbackHooks } from '../src/engine/callbacks/index.ts';
import { KerasModel } from '../src/engine/model.ts';
import { modelFiles, optimizerFiles } from '../src/engine/serialize.ts';
import { toTensor } from '../src/engine/tensors.ts';
import { Trainer, type Dataset, type History } from '../src/engine/trainer.ts';
import { ModelStore, isSafeCheckpointName } from '../src/store/model-store.ts';

export interface FitJobInput {
  jobId: string;
  modelId: string;
  spec: FitJobCreate;
}

export type Emit = (type: string, data: Record<string, unknown>) => void;

export interface FitResult {
  history: History;
  epochs_run: number;
  model_id: string;
  backend: string;
}

function tensors(data: Data, names: string[], at: string, dtypes?: Array<'float32' | 'int32'>): tf.Tensor[] {
  return bindData(data, names, at, (a, p, name) => toTensor(materialize(a, p), dtypes?.[names.indexOf(name)]));
}

function dataset(model: KerasModel, spec: FitJobCreate['model'], x: Data, y: Data, w: Data | undefined, at: string): Dataset {
  const inputDtypes = 'inputs' in spec ? spec.inputs.map((i) => i.dtype ?? 'float32') : ['float32' as const];
  return {
    x: tensors(x, model.inputNames, `${at}/x`, inputDtypes),
    y: tensors(y, model.outputNames, `${at}/y`),
    sampleWeight: w ? tensors(w, model.outputNames, `${at}/sample_weight`, model.outputNames.map(() => 'float32')) : undefined,
  };
}

/** Emits train_begin / epoch_begin / epoch_end, the events a live client follows. */
class EventReporter implements Callback {
  constructor(private readonly emit: Emit, private readonly backend: string) {}
  onTrainBegin(ctx: TrainingContext) {
    this.emit('train_begin', { ...ctx.params, backend: this.backend });
  }
  onEpochBegin(epoch: number, ctx: TrainingContext) {
    this.emit('epoch_begin', { epoch, epochs: ctx.params.epochs });
  }
  onEpochEnd(epoch: number, logs: Logs, ctx: TrainingContext) {
    this.emit('epoch_end', { epoch, epochs: ctx.params.epochs, logs: { ...logs } });
  }
}

/**
 * After every epoch, a full checkpoint (weights, optimizer slots, epoch, history, callback state),
 * so a job can resume from it.
 */
class EpochCheckpointer implements Callback {
  private readonly history: History = {};
  constructor(
    private readonly store: ModelStore,
    private readonly modelId: string,
    private readonly userCallbacks: Callback[],
    private readonly emit: Emit,
  ) {}
  async onEpochEnd(epoch: number, logs: Logs, ctx: TrainingContext) {
    for (const [k, v] of Object.entries(logs)) (this.history[k] ??= []).push(v);
    const name = `epoch-${String(epoch + 1).padStart(4, '0')}`;
    const state = {
      epoch,
      epochs: ctx.params.epochs,
      history: this.history,
      callbacks: this.userCallbacks.map((c) => c.getState?.() ?? null),
      saved_at: new Date().toISOString(),
    };
    await this.store.writeCheckpoint(this.modelId, name, {
      ...(await modelFiles(ctx.model)),
      ...(await optimizerFiles(ctx.optimizer)),
      'state.json': JSON.stringify(state),
    });
    this.emit('checkpoint', { name, epoch, kind: 'epoch' });
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

export async function runFit(input: FitJobInput, store: ModelStore, emit: Emit, signal?: AbortSignal): Promise<FitResult> {
  const backend = await initBackend();
  const { spec, modelId } = input;
  const graph = checkGraph(normalizeModel(spec.model));
  const compiled = resolveCompile(spec.compile, graph.outputs);
  const model = new KerasModel(graph);
  const trainer = new Trainer(model, compiled);
  const owned: tf.Tensor[] = [];
  try {
    if (graph.weights) model.setWeights(graph.weights);
    const fit = spec.fit;
    const train = dataset(model, spec.model, fit.x, fit.y, fit.sample_weight, '/fit');
    const validation = fit.validation_data ? dataset(model, spec.model, fit.validation_data.x, fit.validation_data.y, fit.validation_data.sample_weight, '/fit/validation_data') : undefined;
    owned.push(...train.x, ...train.y, ...(train.sampleWeight ?? []), ...(validation ? [...validation.x, ...validation.y, ...(validation.sampleWeight ?? [])] : []));
    await store.writeInfo(modelId, {
      id: modelId,
      job_id: input.jobId,
      created_at: new Date().toISOString(),
      status: 'training',
      backend,
      spec: { model: { ...spec.model, weights: undefined }, compile: spec.compile },
      summary: graph.summary,
    });
    const user = makeCallbacks(spec.fit.callbacks ?? [], callbackHooks(store, modelId, emit));
    const callbacks = [...user, new EventReporter(emit, backend), new EpochCheckpointer(store, modelId, user, emit)];
    const { history, epochsRun } = await trainer.fit(train, {
      batchSize: fit.batch_size ?? 32,
      epochs: fit.epochs ?? 1,
      initialEpoch: fit.initial_epoch ?? 0,
      shuffle: fit.shuffle ?? true,
      validationData: validation,
      validationSplit: fit.validation_split,
      classWeight: fit.class_weight,
      callbacks,
      signal,
    });
    await store.writeFinal(modelId, { ...(await modelFiles(model)), ...(await optimizerFiles(trainer.optimizer)) });
    const finalLogs = Object.fromEntries(Object.entries(history).map(([k, v]) => [k, v[v.length - 1]]));
    await store.writeInfo(modelId, {
      ...(await store.readInfo(modelId)),
      status: 'trained',
      trained_at: new Date().toISOString(),
      epochs_run: epochsRun,
      final_metrics: finalLogs,
    });
    emit('train_end', { epochs_run: epochsRun, logs: finalLogs });
    return { history, epochs_run: epochsRun, model_id: modelId, backend };
  } finally {
    tf.dispose(owned);
    trainer.dispose();
    model.dispose();
  }
}
