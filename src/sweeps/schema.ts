/** The sweep API's shapes (POST /v1/sweeps and the views), defined once for validation, types and OpenAPI. */
import { Type, type Static } from 'typebox';

const Parent = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100 }), values: Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false, description: "KerasTuner's conditional_scope: active only while the parent takes one of these values." },
);
const Sampling = Type.Union([Type.Literal('linear'), Type.Literal('log')], { description: "KerasTuner's sampling (default linear)." });

export const HyperparameterSpec = Type.Union(
  [
    Type.Object({ type: Type.Literal('choice'), values: Type.Array(Type.Union([Type.String(), Type.Number(), Type.Boolean()]), { minItems: 1, maxItems: 1000 }), parent: Type.Optional(Parent) }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('int'), min: Type.Integer(), max: Type.Integer(), step: Type.Optional(Type.Integer({ minimum: 1 })), sampling: Type.Optional(Sampling), parent: Type.Optional(Parent) }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('float'), min: Type.Number(), max: Type.Number(), step: Type.Optional(Type.Number({ exclusiveMinimum: 0 })), sampling: Type.Optional(Sampling), parent: Type.Optional(Parent) }, { additionalProperties: false }),
    Type.Object({ type: Type.Literal('boolean'), parent: Type.Optional(Parent) }, { additionalProperties: false }),
  ],
  { title: 'Hyperparameter', description: 'keras_tuner.HyperParameters: Choice, Int, Float, Boolean.' },
);

const Seed = Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 });
export const SweepAlgorithm = Type.Union(
  [
    Type.Object({ class_name: Type.Literal('GridSearch'), config: Type.Optional(Type.Object({}, { additionalProperties: false })) }, { additionalProperties: false }),
    Type.Object({ class_name: Type.Literal('RandomSearch'), config: Type.Optional(Type.Object({ seed: Type.Optional(Seed) }, { additionalProperties: false })) }, { additionalProperties: false }),
    Type.Object(
      {
        class_name: Type.Literal('Hyperband'),
        config: Type.Object(
          { max_epochs: Type.Integer({ minimum: 1, maximum: 10_000 }), factor: Type.Optional(Type.Integer({ minimum: 2, maximum: 100 })), hyperband_iterations: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })), seed: Type.Optional(Seed) },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        class_name: Type.Literal('BayesianOptimization'),
        config: Type.Optional(
          Type.Object(
            { num_initial_points: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })), alpha: Type.Optional(Type.Number({ exclusiveMinimum: 0 })), beta: Type.Optional(Type.Number({ minimum: 0 })), seed: Type.Optional(Seed) },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
  ],
  { title: 'SweepAlgorithm', description: "A KerasTuner tuner's search: GridSearch, RandomSearch, Hyperband or BayesianOptimization, with that tuner's options." },
);

export const SweepObjective = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: 'A key of the trials\' history (loss, val_loss, val_accuracy, ...).' }),
    direction: Type.Union([Type.Literal('min'), Type.Literal('max')], { description: 'Required: the service never guesses it from the name.' }),
  },
  { title: 'SweepObjective', additionalProperties: false, description: "keras_tuner.Objective(name, direction): a trial's objective is its best epoch's value." },
);

export const SweepCreate = Type.Object(
  {
    base: Type.Object({ type: Type.Literal('fit') }, { additionalProperties: true, description: 'A fit job body (POST /v1/jobs) in which any value may be {"$hp": "<name>"}.' }),
    search_space: Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_./-]{0,99}$' }), HyperparameterSpec, { description: 'Hyperparameters by name, parents declared before their children.' }),
    algorithm: SweepAlgorithm,
    objective: SweepObjective,
    max_trials: Type.Integer({ minimum: 1, maximum: 1000 }),
    max_parallel_trials: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'Trials queued or running at once (default 1).' })),
  },
  { title: 'SweepCreate', additionalProperties: false },
);

const HpValues = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]));
export const SweepTrial = Type.Object(
  {
    id: Type.String(),
    job_id: Type.Union([Type.String(), Type.Null()], { description: 'The fit job this trial ran as (null when its spec was refused).' }),
    hyperparameters: HpValues,
    state: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed'), Type.Literal('cancelled'), Type.Literal('stopped')]),
    objective: Type.Union([Type.Number(), Type.Null()]),
    epochs_run: Type.Union([Type.Integer(), Type.Null()]),
    error: Type.Optional(Type.String()),
    epochs: Type.Optional(Type.Integer({ description: 'Hyperband: the epochs this trial trains to.' })),
    initial_epoch: Type.Optional(Type.Integer({ description: "Hyperband: where it continues its parent's training." })),
    parent: Type.Optional(Type.String({ description: 'Hyperband: the trial it continues.' })),
    bracket: Type.Optional(Type.Integer()),
    round: Type.Optional(Type.Integer()),
  },
  { title: 'SweepTrial' },
);

export const SweepState = Type.Union([Type.Literal('running'), Type.Literal('completed'), Type.Literal('cancelled'), Type.Literal('failed')]);

export const SweepView = Type.Object(
  {
    id: Type.String(),
    state: SweepState,
    created_at: Type.String(),
    ended_at: Type.Optional(Type.String()),
    error: Type.Optional(Type.String()),
    spec: SweepCreate,
    trials: Type.Array(SweepTrial),
    best: Type.Union([Type.Object({ trial_id: Type.String(), job_id: Type.String(), hyperparameters: HpValues, objective: Type.Number(), model_id: Type.Union([Type.String(), Type.Null()]) }), Type.Null()]),
    links: Type.Object({ self: Type.String(), events: Type.String() }),
  },
  { title: 'Sweep' },
);

export type SweepCreate = Static<typeof SweepCreate>;
export type SweepTrial = Static<typeof SweepTrial>;
export type SweepView = Static<typeof SweepView>;
export type SweepAlgorithm = Static<typeof SweepAlgorithm>;
