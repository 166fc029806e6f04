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

const Epochs = (description: string) => Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description }));
export const EarlyStoppingPolicy = Type.Union(
  [
    Type.Object(
      {
        class_name: Type.Literal('MedianStoppingRule'),
        config: Type.Optional(
          Type.Object(
            {
              grace_period: Epochs('Epochs a trial runs before it can be stopped; the running means start here (default 1).'),
              min_samples_required: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Other trials that must have reached the epoch before the median counts (default 3).' })),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false, description: "Ray Tune's MedianStoppingRule (Vizier's median stopping), with epochs as time: a trial is stopped at epoch t when its best objective so far is worse than the median, over the other trials that reached epoch t, of their mean objective over epochs grace_period..t." },
    ),
    Type.Object(
      {
        class_name: Type.Literal('ASHA'),
        config: Type.Optional(
          Type.Object(
            {
              grace_period: Epochs('The first rung, in epochs (default 1).'),
              reduction_factor: Type.Optional(Type.Number({ minimum: 2, maximum: 100, description: 'Rungs at grace_period × reduction_factor^k epochs; a trial continues past a rung only in the top 1/reduction_factor (default 4).' })),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false, description: "Asynchronous successive halving, as Ray Tune's ASHAScheduler (one bracket, max_t = base.fit.epochs): at each rung a trial is stopped when its objective there is below the (1 − 1/reduction_factor) quantile of the trials that reached the rung before it." },
    ),
  ],
  { title: 'EarlyStoppingPolicy', description: 'Stops trials whose objective lags, while they run: the trial\'s job is cancelled with the reason, which is in its cancelled event and the sweep\'s trial_stopped event.' },
);

export const SweepCreate = Type.Object(
  {
    base: Type.Object({ type: Type.Literal('fit') }, { additionalProperties: true, description: 'A fit job body (POST /v1/jobs) in which any value may be {"$hp": "<name>"}.' }),
    search_space: Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_./-]{0,99}$' }), HyperparameterSpec, { description: 'Hyperparameters by name, parents declared before their children.' }),
    algorithm: SweepAlgorithm,
    objective: SweepObjective,
    max_trials: Type.Integer({ minimum: 1, maximum: 1000 }),
    max_parallel_trials: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'Trials queued or running at once (default 1).' })),
    early_stopping: Type.Optional(EarlyStoppingPolicy),
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
    curve: Type.Optional(Type.Array(Type.Union([Type.Number(), Type.Null()]), { description: 'With early_stopping: the objective at each of the trial\'s own epochs, in order (null: not a finite number, which the policies count as the worst value).' })),
    stopped_reason: Type.Optional(Type.String({ description: 'Why early_stopping stopped the trial (its state is then stopped, once its job has ended).' })),
    stopped_at_epoch: Type.Optional(Type.Integer({ description: 'The epoch (of its own, from 1) early_stopping stopped it at. Its job trains on until the cancel reaches it, within a batch; the policy judges other trials by its curve up to here, as Ray sees a stopped trial.' })),
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
export type EarlyStoppingPolicy = Static<typeof EarlyStoppingPolicy>;
