/**
 * Runs one recorded Keras case through the engine — initial weights, fit with its callbacks,
 * evaluate, predict — and compares every number Keras produced.
 */
import * as tf from '@tensorflow/tfjs';
import type { Data } from '../spec/schema.ts';
import { DataBinder } from '../engine/data-binding.ts';
import { resolveCompile } from '../spec/compile.ts';
import { checkGraph, normalizeModel } from '../spec/graph.ts';
import { makeCallbacks } from '../engine/callbacks/index.ts';
import type { Callback, TrainingContext } from '../engine/callbacks/callback.ts';
import { EarlyStopping } from '../engine/callbacks/early-stopping.ts';
import { KerasModel } from '../engine/model.ts';
import { Trainer } from '../engine/trainer.ts';
import { RowRange } from '../engine/data-source.ts';
import { compareNumbers, newComparison } from './compare.ts';
import type { ParityCase } from './parity-case.ts';

export interface CaseResult {
  name: string;
  pass: boolean;
  worst_error: number;
  where: string;
  failures: string[];
  seconds: number;
  /** How fit ran its steps (see Trainer.lastExecution); undefined for cases without fit. */
  execution?: 'graph' | 'eager';
}

function predictionsOf(model: KerasModel, outputs: tf.Tensor[]): unknown {
  const arrays = outputs.map((t) => t.arraySync());
  return model.outputNames.length === 1 ? arrays[0] : Object.fromEntries(model.outputNames.map((n, i) => [n, arrays[i]]));
}

class LearningRateRecorder implements Callback {
  readonly rates: number[] = [];
  onEpochBegin(_epoch: number, ctx: TrainingContext) {
    this.rates.push(ctx.optimizer.learningRate);
  }
}

/** `graph: false` forces eager fit, evaluate and predict, so both execution paths can be held to Keras. */
export async function runCase(c: ParityCase, options: { graph?: boolean } = {}): Promise<CaseResult> {
  const started = Date.now();
  const cmp = newComparison();
  const tol = (section: 'history' | 'final_weights' | 'evaluate' | 'predict') => c.tolerance[section] ?? c.tolerance.default;
  // Built inside the try: a spec the service refuses or an engine error is this case's failure.
  let model: KerasModel | undefined;
  let trainer: Trainer | undefined;
  try {
    const graph = checkGraph(normalizeModel(c.spec.model));
    model = new KerasModel(graph);
    trainer = new Trainer(model, resolveCompile(c.spec.compile, graph.outputs));
    const binder = new DataBinder(model);
    const dataset = (d: { x: unknown; y: unknown; sample_weight?: unknown }) => binder.dataset(d.x as Data, d.y as Data, d.sample_weight as Data | undefined, '');
    model.setWeights(c.initial_weights);
    const fit = c.spec.fit;
    if (fit) {
      const callbacks = makeCallbacks(fit.callbacks ?? [], { emit: () => {}, saveCheckpoint: async () => {}, writeArtifact: async () => {} });
      const recorder = new LearningRateRecorder();
      const train = dataset({ x: c.data.x, y: c.data.y, sample_weight: c.data.sample_weight });
      const { history, epochsRun } = await trainer.fit(train, {
        batchSize: fit.batch_size,
        epochs: fit.epochs,
        initialEpoch: fit.initial_epoch,
        shuffle: fit.shuffle ?? false,
        validationData: fit.validation_data ? dataset(fit.validation_data) : undefined,
        validationSplit: fit.validation_split,
        classWeight: fit.class_weight,
        callbacks: [...callbacks, recorder],
        graph: options.graph,
      });
      const exp = c.expected;
      const nTrain = fit.validation_split ? Math.floor(train.x[0].shape[0]! * (1 - fit.validation_split)) : train.x[0].shape[0]!;
      const nVal = fit.validation_data ? (fit.validation_data.x.length ?? 0) : train.x[0].shape[0]! - nTrain;
      if (exp.history_keys && JSON.stringify(Object.keys(history)) !== JSON.stringify(exp.history_keys)) {
        cmp.failures.push(`history keys: got ${JSON.stringify(Object.keys(history))}, Keras ${JSON.stringify(exp.history_keys)}`);
      }
      for (const [key, values] of Object.entries(exp.history ?? {})) {
        compareNumbers(cmp, `history.${key}`, history[key], values, tol('history'), key.startsWith('val_') ? nVal : nTrain);
      }
      if (exp.epochs_run !== undefined && exp.epochs_run !== epochsRun) cmp.failures.push(`epochs_run: got ${epochsRun}, Keras ${exp.epochs_run}`);
      if (exp.optimizer_iterations !== undefined && exp.optimizer_iterations !== trainer.optimizer.updates) {
        cmp.failures.push(`optimizer_iterations: got ${trainer.optimizer.updates}, Keras ${exp.optimizer_iterations}`);
      }
      const exact = { rtol: 1e-6, atol: 1e-9 };
      if (exp.lr_per_epoch) compareNumbers(cmp, 'lr_per_epoch', recorder.rates, exp.lr_per_epoch, exact);
      if (exp.lr_after_fit !== undefined) compareNumbers(cmp, 'lr_after_fit', trainer.optimizer.learningRate, exp.lr_after_fit, exact);
      const stopper = callbacks.find((cb): cb is EarlyStopping => cb instanceof EarlyStopping);
      if (exp.stopped_epoch !== undefined && stopper && stopper.stoppedEpoch !== exp.stopped_epoch) {
        cmp.failures.push(`stopped_epoch: got ${stopper.stoppedEpoch}, Keras ${exp.stopped_epoch}`);
      }
    }
    if (c.expected.final_weights) {
      const weights = model.getWeights();
      for (const [layer, arrays] of Object.entries(c.expected.final_weights)) {
        compareNumbers(cmp, `final_weights.${layer}`, weights[layer]?.map((t) => t.arraySync()), arrays, tol('final_weights'));
      }
    }
    if (c.spec.evaluate && c.expected.evaluate) {
      const test = dataset(c.spec.evaluate.data);
      const logs = await trainer.evaluate(test, { batchSize: c.spec.evaluate.batch_size, graph: options.graph });
      if (c.expected.evaluate_keys && JSON.stringify(Object.keys(logs)) !== JSON.stringify(c.expected.evaluate_keys)) {
        cmp.failures.push(`evaluate keys: got ${JSON.stringify(Object.keys(logs))}, Keras ${JSON.stringify(c.expected.evaluate_keys)}`);
      }
      for (const [key, value] of Object.entries(c.expected.evaluate)) compareNumbers(cmp, `evaluate.${key}`, logs[key], value, tol('evaluate'), test.x[0].shape[0]!);
    }
    if (c.spec.predict && c.expected.predict !== undefined) {
      const x = binder.inputs(c.spec.predict.data.x as Data, '');
      const n = c.spec.predict.num_samples ?? x[0].shape[0]!;
      const outputs = await trainer.predict(x.map((a) => new RowRange(a, 0, n)), { batchSize: c.spec.predict.batch_size, graph: options.graph });
      compareNumbers(cmp, 'predict', predictionsOf(model, outputs), c.expected.predict, tol('predict'));
      tf.dispose(outputs);
    }
  } catch (err) {
    if (process.env.KJ_PARITY_DEBUG) console.error(err);
    cmp.failures.push(`error: ${(err as Error).message ?? String(err)}`);
    cmp.worst = Infinity;
    cmp.where = 'error';
  } finally {
    trainer?.dispose();
    model?.dispose();
  }
  return {
    name: c.name,
    pass: cmp.failures.length === 0,
    worst_error: cmp.worst,
    where: cmp.where,
    failures: cmp.failures,
    seconds: (Date.now() - started) / 1000,
    execution: trainer?.lastExecution,
  };
}
