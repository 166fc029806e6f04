/** The job record: the single truth that polling, SSE and listings read. Schema shared with OpenAPI. */
import { Type, type Static } from 'typebox';

export const JobState = Type.Union(
  [Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed'), Type.Literal('cancelled')],
  { description: 'queued → running → completed | failed | cancelled' },
);

export const JobView = Type.Object({
  id: Type.String(),
  type: Type.String(),
  state: JobState,
  created_at: Type.String({ format: 'date-time' }),
  started_at: Type.Optional(Type.String({ format: 'date-time' })),
  finished_at: Type.Optional(Type.String({ format: 'date-time' })),
  progress: Type.Object({
    epoch: Type.Integer({ description: 'Epochs completed.' }),
    epochs: Type.Integer(),
    samples_per_s: Type.Optional(Type.Number({ description: 'Training samples per second in the last epoch.' })),
  }),
  history: Type.Record(Type.String(), Type.Array(Type.Number()), { description: 'Keras History.history: key → one value per epoch.' }),
  error: Type.Optional(Type.Object({ message: Type.String() })),
  model_id: Type.Optional(Type.String({ description: 'fit: the model it trains (GET /v1/models/{id} answers once training starts, and lists checkpoints as epochs end); evaluate/predict: the model used.' })),
  result: Type.Optional(
    Type.Object({
      evaluate: Type.Optional(Type.Record(Type.String(), Type.Number(), { description: 'keras Model.evaluate(return_dict=True)' })),
      predictions: Type.Optional(
        Type.Array(Type.Unknown(), { description: 'One nested array per model output, in output order (keras Model.predict); left out above PREDICTIONS_INLINE_MAX numbers (then read the .npy files).' }),
      ),
      output_names: Type.Optional(Type.Array(Type.String())),
      shapes: Type.Optional(Type.Array(Type.Array(Type.Integer()), { description: 'Shape of each prediction array; each is also at /v1/jobs/{id}/result/{output}.npy.' })),
    }),
  ),
  cancel_requested: Type.Optional(Type.Boolean()),
  cancel_reason: Type.Optional(Type.String({ description: 'Why it was cancelled, when a sweep did it (early stopping, the sweep cancelled); also in its cancelled event.' })),
  backend: Type.Optional(Type.String({ description: 'TensorFlow.js backend that ran the job: tensorflow (libtensorflow) or cpu (pure JS).' })),
  execution: Type.Optional(
    Type.Union([Type.Literal('graph'), Type.Literal('eager')], {
      description: 'fit, once completed: graph when its training steps ran as one TensorFlow graph each (the fast path), eager when kernel by kernel (a Dropout with a noise_shape, or no graph binding). The numbers are the same either way.',
    }),
  ),
  attempts: Type.Integer(),
  tenant: Type.String({ description: 'The API key tenant that owns the job ("public" when the service runs without keys).' }),
  links: Type.Object({ self: Type.String(), events: Type.String(), model: Type.Optional(Type.String()) }),
}, { title: 'Job' });

/**
 * A job id in a URL. Ids are UUIDs; letters, digits, - and _ are accepted (an unknown one is a
 * 404), anything else is a 400 before it can reach a Redis key (an id like "x:spec" would name
 * another key of the job).
 */
export const JobId = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' });

export type JobState = Static<typeof JobState>;
export type JobView = Static<typeof JobView>;
export type JobRecord = Omit<JobView, 'links'>;

export const TERMINAL_STATES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

export function jobLinks(id: string, modelId?: string): JobView['links'] {
  return { self: `/v1/jobs/${id}`, events: `/v1/jobs/${id}/events`, ...(modelId ? { model: `/v1/models/${modelId}` } : {}) };
}
