/**
 * Builds the Keras callbacks a job asks for. Where they save and what they announce is the
 * caller's (the hooks), so the engine stays free of storage and transport.
 */
import { CALLBACKS, resolve, type Resolved } from '../../spec/catalog.ts';
import type { Serialized } from '../../spec/schema.ts';
import type { Callback, TrainingContext } from './callback.ts';
import { CSVLogger } from './csv-logger.ts';
import { EarlyStopping } from './early-stopping.ts';
import { LearningRateScheduler } from './learning-rate-scheduler.ts';
import { ModelCheckpoint, type CheckpointRequest } from './model-checkpoint.ts';
import { ReduceLROnPlateau } from './reduce-lr-on-plateau.ts';
import { TerminateOnNaN } from './terminate-on-nan.ts';

export interface CallbackHooks {
  emit(type: string, data: Record<string, unknown>): void;
  saveCheckpoint(req: CheckpointRequest, ctx: TrainingContext): Promise<void>;
  writeArtifact(filename: string, content: string): Promise<void>;
}

type Factory = (r: Resolved, hooks: CallbackHooks) => Callback;

const FACTORIES: Record<string, Factory> = {
  EarlyStopping: (r, hooks) => {
    const monitor = r.config.monitor ?? 'val_loss';
    return new EarlyStopping(r.config, (epoch, state) =>
      hooks.emit('early_stopping', { epoch, monitor, best: state.best, best_epoch: state.best_epoch, wait: state.wait, patience: r.config.patience ?? 0, restore_best_weights: !!r.config.restore_best_weights }),
    );
  },
  ReduceLROnPlateau: (r, hooks) => {
    const monitor = r.config.monitor ?? 'val_loss';
    return new ReduceLROnPlateau(r.config, (epoch, oldLr, newLr, value) => hooks.emit('lr_reduced', { epoch, monitor, value, old_learning_rate: oldLr, learning_rate: newLr }));
  },
  ModelCheckpoint: (r, hooks) => new ModelCheckpoint(r.config as any, (req, ctx) => hooks.saveCheckpoint(req, ctx)),
  TerminateOnNaN: (_r, hooks) => new TerminateOnNaN((epoch, batch, loss) => hooks.emit('terminated_nan', { epoch, batch, loss: String(loss) })),
  CSVLogger: (r, hooks) => new CSVLogger(r.config as any, hooks.writeArtifact),
  LearningRateScheduler: (r) => new LearningRateScheduler(r.config.schedule),
};

export function makeCallbacks(specs: Serialized[], hooks: CallbackHooks): Callback[] {
  return specs.map((spec, i) => {
    const r = resolve(CALLBACKS, spec, 'callback');
    if ('error' in r) throw new Error(`/fit/callbacks/${i}: ${r.error}`);
    const factory = FACTORIES[r.class_name];
    if (!factory) throw new Error(`/fit/callbacks/${i}: callback ${r.class_name} is not available`);
    return factory(r, hooks);
  });
}

export type { CheckpointRequest };
