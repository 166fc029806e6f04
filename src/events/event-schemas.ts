/**
 * The events of GET /v1/jobs/{id}/events, one schema per event type: what the `data:` line of an
 * SSE frame holds. Documentation and the typed client's event union; workers write the data.
 */
import { Type, type TSchema } from 'typebox';

const Logs = Type.Record(Type.String(), Type.Number(), { description: 'Keras logs: loss, metrics, val_*, learning_rate.' });
const Epoch = Type.Integer({ description: '0-based, as Keras callbacks see it.' });
const JobStateName = Type.Union(['queued', 'running', 'completed', 'failed', 'cancelled'].map((s) => Type.Literal(s)));

const DATA: Record<string, [TSchema, string]> = {
  state: [Type.Object({ state: JobStateName, worker: Type.Optional(Type.String()), backend: Type.Optional(Type.String()), reason: Type.Optional(Type.String()) }), 'The job changed state (queued, running; a worker shutting down hands it back as queued).'],
  resumed: [
    Type.Object({ epoch: Type.Integer(), checkpoint: Type.Union([Type.String(), Type.Null()]), attempt: Type.Optional(Type.Integer()), reason: Type.Optional(Type.String()) }),
    'After a crash or shutdown the job goes on from this epoch and checkpoint (null: from the start).',
  ],
  train_begin: [Type.Object({ epochs: Type.Integer(), steps: Type.Integer(), samples: Type.Integer(), batch_size: Type.Integer(), backend: Type.String() }, { additionalProperties: true }), 'keras Callback.on_train_begin, with the fit parameters.'],
  epoch_begin: [Type.Object({ epoch: Epoch, epochs: Type.Integer() }), 'keras Callback.on_epoch_begin.'],
  progress: [Type.Object({ epoch: Epoch, epochs: Type.Integer(), step: Type.Integer(), steps: Type.Integer(), loss: Type.Number() }), 'Within a long epoch, at most once a second.'],
  epoch_end: [
    Type.Object({
      epoch: Epoch,
      epochs: Type.Integer(),
      logs: Logs,
      duration_s: Type.Optional(Type.Number()),
      samples_per_s: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
      recovered: Type.Optional(Type.Boolean({ description: 'Re-sent from a checkpoint after a worker died before announcing it.' })),
    }),
    'keras Callback.on_epoch_end: the epoch\'s logs, as in History.history.',
  ],
  checkpoint: [
    Type.Object({ name: Type.String(), epoch: Epoch, kind: Type.Union([Type.Literal('epoch'), Type.Literal('model_checkpoint')]), monitor: Type.Optional(Type.String()), value: Type.Optional(Type.Number()) }),
    'A checkpoint was written: the resumable one of each epoch, or a ModelCheckpoint save.',
  ],
  early_stopping: [
    Type.Object({ epoch: Epoch, monitor: Type.String(), best: Type.Number(), best_epoch: Type.Integer(), wait: Type.Integer(), patience: Type.Integer(), restore_best_weights: Type.Boolean() }),
    'EarlyStopping stopped training.',
  ],
  lr_reduced: [Type.Object({ epoch: Epoch, monitor: Type.String(), value: Type.Number(), old_learning_rate: Type.Number(), learning_rate: Type.Number() }), 'ReduceLROnPlateau lowered the learning rate.'],
  terminated_nan: [Type.Object({ epoch: Epoch, batch: Type.Integer(), loss: Type.String() }), 'TerminateOnNaN stopped training.'],
  train_end: [Type.Object({ epochs_run: Type.Integer(), logs: Logs, execution: Type.Optional(Type.String()) }), 'keras Callback.on_train_end.'],
  evaluate: [Type.Object({ logs: Logs }), 'evaluate(return_dict=True).'],
  predict: [Type.Object({ output_names: Type.Array(Type.String()), shapes: Type.Array(Type.Array(Type.Integer())) }), 'Predictions are ready (in the job and as .npy files).'],
  imported: [Type.Object({ model_id: Type.String(), format: Type.String(), layers: Type.Integer(), params: Type.Integer() }), 'An imported Keras file became a stored model.'],
  completed: [Type.Object({ state: Type.Literal('completed') }, { additionalProperties: true }), 'Terminal: the job finished; with the model id, history and result. The stream closes.'],
  failed: [Type.Object({ state: Type.Literal('failed'), error: Type.Object({ message: Type.String() }) }, { additionalProperties: true }), 'Terminal: the job failed. The stream closes.'],
  cancelled: [Type.Object({ state: Type.Literal('cancelled'), reason: Type.Optional(Type.String()) }, { additionalProperties: true }), 'Terminal: the job was cancelled. The stream closes.'],
  reconnect: [Type.Object({ reason: Type.String() }), 'The server is shutting down: reconnect with Last-Event-ID (this frame has no id).'],
};

export const EVENT_TYPES = Object.keys(DATA);

/** One SSE frame: `id:` (a Redis Stream id, for Last-Event-ID), `event:` and the JSON `data:`. */
export const JobEvent = Type.Union(
  Object.entries(DATA).map(([type, [data, description]]) =>
    Type.Object({ id: Type.String({ description: 'Send back as Last-Event-ID to resume after it.' }), event: Type.Literal(type), data }, { description, title: `JobEvent_${type}` }),
  ),
  { title: 'JobEvent', description: 'A frame of the job\'s event stream (text/event-stream), shown as {id, event, data}: the `id:`, `event:` and JSON `data:` lines.' },
);
