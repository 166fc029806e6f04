/**
 * The losses, metrics, optimizers and callbacks the service takes, each declared once with its
 * Keras 3 config keys and defaults and the options the engine carries out (honour or refuse:
 * every other key is accepted only at Keras's default). Keras's string aliases resolve to them.
 * Pure data, so the API rejects what it cannot run at submit time without loading TensorFlow.
 */
import { declaredOptionProblem, dtypeProblem, oneOf, type DeclaredOptions, type OptionRule } from './layers/index.ts';
import type { Identifier } from './schema.ts';

type Cfg = Record<string, unknown>;

/** Keras 3 get_config() at defaults in Keras's key order (undefined: no default), and what the engine carries out. */
export type ObjectDef = DeclaredOptions;

export interface Family {
  classes: Record<string, ObjectDef>;
  /** Keras string identifiers → [class name, config]. */
  aliases: Record<string, [string, Record<string, unknown>?]>;
}

const FLOAT32: OptionRule = (v) => dtypeProblem(v);
const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();

// ----------------------------------------------------------------------------- losses

/**
 * Keras 3's reductions of per-sample losses. "none" would make the loss a vector, which fit
 * cannot minimize as Keras does (it sums it), so it is refused.
 */
export const LOSS_REDUCTIONS = ['sum_over_batch_size', 'mean', 'sum', 'mean_with_sample_weight'];
const REDUCTION: OptionRule = (v) => (LOSS_REDUCTIONS.includes(v) ? undefined : `supported reductions: ${LOSS_REDUCTIONS.join(', ')} ("none" and null are not, as fit needs one number per batch)`);

function loss(cls: string, own: Cfg = {}, honours: Record<string, OptionRule> = {}, name = snake(cls)): [string, ObjectDef] {
  return [cls, { keras: { name, reduction: 'sum_over_batch_size', dtype: null, ...own }, honours: { name: true, reduction: REDUCTION, dtype: FLOAT32, ...honours } }];
}

const CROSSENTROPY: Record<string, OptionRule> = { from_logits: true, label_smoothing: true };

export const LOSSES: Family = {
  classes: Object.fromEntries([
    loss('MeanSquaredError'),
    loss('MeanAbsoluteError'),
    loss('MeanAbsolutePercentageError'),
    loss('MeanSquaredLogarithmicError'),
    loss('BinaryCrossentropy', { from_logits: false, label_smoothing: 0.0, axis: -1 }, CROSSENTROPY),
    loss('CategoricalCrossentropy', { from_logits: false, label_smoothing: 0.0, axis: -1 }, CROSSENTROPY),
    loss('SparseCategoricalCrossentropy', { from_logits: false, ignore_class: null }, {
      from_logits: true,
      ignore_class: (v) => (Number.isInteger(v) ? undefined : 'must be an integer class index (or null)'),
    }),
    loss('Huber', { delta: 1.0 }, { delta: true }, 'huber_loss'),
    loss('LogCosh', {}, {}, 'log_cosh'),
    loss('Hinge'),
    loss('SquaredHinge'),
    loss('CategoricalHinge'),
    loss('KLDivergence', {}, {}, 'kl_divergence'),
    loss('Poisson'),
    // axis is default-only until a Keras case shows another axis.
    loss('CosineSimilarity', { axis: -1 }),
  ]),
  aliases: {
    mse: ['MeanSquaredError'], mean_squared_error: ['MeanSquaredError'],
    mae: ['MeanAbsoluteError'], mean_absolute_error: ['MeanAbsoluteError'],
    mape: ['MeanAbsolutePercentageError'], mean_absolute_percentage_error: ['MeanAbsolutePercentageError'],
    msle: ['MeanSquaredLogarithmicError'], mean_squared_logarithmic_error: ['MeanSquaredLogarithmicError'],
    binary_crossentropy: ['BinaryCrossentropy'],
    categorical_crossentropy: ['CategoricalCrossentropy'],
    sparse_categorical_crossentropy: ['SparseCategoricalCrossentropy'],
    huber: ['Huber'], huber_loss: ['Huber'],
    log_cosh: ['LogCosh'], logcosh: ['LogCosh'],
    hinge: ['Hinge'], squared_hinge: ['SquaredHinge'], categorical_hinge: ['CategoricalHinge'],
    kl_divergence: ['KLDivergence'], kld: ['KLDivergence'], kullback_leibler_divergence: ['KLDivergence'],
    poisson: ['Poisson'],
    cosine_similarity: ['CosineSimilarity'],
  },
};

// ----------------------------------------------------------------------------- metrics

/** Default metric names of Keras classes that are not simply snake_case of the class. */
const METRIC_NAMES: Record<string, string> = { LogCoshError: 'logcosh', KLDivergence: 'kl_divergence', AUC: 'auc', RootMeanSquaredError: 'root_mean_squared_error' };

function metric(cls: string, own: Cfg = {}, honours: Record<string, OptionRule> = {}): [string, ObjectDef] {
  return [cls, { keras: { name: METRIC_NAMES[cls] ?? snake(cls), dtype: 'float32', ...own }, honours: { name: true, dtype: FLOAT32, ...honours } }];
}

/** Thresholds of Precision and Recall: one value in [0, 1] (a list gives a list result, which history cannot hold). */
const ONE_THRESHOLD: OptionRule = (v) => {
  const t = Array.isArray(v) && v.length === 1 ? v[0] : v;
  return typeof t === 'number' && t >= 0 && t <= 1 ? undefined : 'give one threshold in [0, 1] (a list of several makes the metric a list, which history cannot hold)';
};
const NON_NEGATIVE_INT: OptionRule = (v) => (Number.isInteger(v) && v >= 0 ? undefined : 'must be a non-negative integer');
const POSITIVE_INT: OptionRule = (v) => (Number.isInteger(v) && v >= 1 ? undefined : 'must be a positive integer');

const CONFUSION = { thresholds: null, top_k: null, class_id: null };
const CONFUSION_RULES = { thresholds: ONE_THRESHOLD, top_k: POSITIVE_INT, class_id: NON_NEGATIVE_INT };

export const METRICS: Family = {
  classes: Object.fromEntries([
    metric('BinaryAccuracy', { threshold: 0.5 }, { threshold: true }),
    metric('CategoricalAccuracy'),
    metric('SparseCategoricalAccuracy'),
    metric('TopKCategoricalAccuracy', { k: 5 }, { k: POSITIVE_INT }),
    metric('SparseTopKCategoricalAccuracy', { k: 5 }, { k: POSITIVE_INT }),
    metric('MeanSquaredError'),
    metric('MeanAbsoluteError'),
    metric('MeanAbsolutePercentageError'),
    metric('MeanSquaredLogarithmicError'),
    metric('RootMeanSquaredError'),
    metric('BinaryCrossentropy', { from_logits: false, label_smoothing: 0 }, CROSSENTROPY),
    metric('CategoricalCrossentropy', { from_logits: false, label_smoothing: 0, axis: -1 }, CROSSENTROPY),
    metric('SparseCategoricalCrossentropy', { from_logits: false }, { from_logits: true }),
    metric('Accuracy'),
    metric('AUC', { num_thresholds: 200, curve: 'ROC', summation_method: 'interpolation', multi_label: false, from_logits: false }, {
      // Bounded: every batch compares each prediction with every threshold.
      num_thresholds: (v) => (Number.isInteger(v) && v > 1 && v <= 10_000 ? undefined : 'must be an integer from 2 to 10000'),
      curve: oneOf('ROC', 'PR'),
      summation_method: oneOf('interpolation', 'minoring', 'majoring'),
      multi_label: true,
      from_logits: true,
    }),
    metric('Precision', CONFUSION, CONFUSION_RULES),
    metric('Recall', CONFUSION, CONFUSION_RULES),
    metric('Hinge'),
    metric('SquaredHinge'),
    metric('CategoricalHinge'),
    metric('KLDivergence'),
    metric('Poisson'),
    metric('LogCoshError'),
    metric('CosineSimilarity', { axis: -1 }),
  ]),
  aliases: {
    // 'accuracy' and 'acc' are resolved from shapes at compile time, as Keras does.
    accuracy: ['accuracy'], acc: ['accuracy'],
    binary_accuracy: ['BinaryAccuracy'], categorical_accuracy: ['CategoricalAccuracy'],
    sparse_categorical_accuracy: ['SparseCategoricalAccuracy'],
    top_k_categorical_accuracy: ['TopKCategoricalAccuracy'],
    sparse_top_k_categorical_accuracy: ['SparseTopKCategoricalAccuracy'],
    mse: ['MeanSquaredError'], mean_squared_error: ['MeanSquaredError'],
    mae: ['MeanAbsoluteError'], mean_absolute_error: ['MeanAbsoluteError'],
    mape: ['MeanAbsolutePercentageError'], mean_absolute_percentage_error: ['MeanAbsolutePercentageError'],
    msle: ['MeanSquaredLogarithmicError'], mean_squared_logarithmic_error: ['MeanSquaredLogarithmicError'],
    binary_crossentropy: ['BinaryCrossentropy'], categorical_crossentropy: ['CategoricalCrossentropy'],
    sparse_categorical_crossentropy: ['SparseCategoricalCrossentropy'],
    auc: ['AUC'], precision: ['Precision'], recall: ['Recall'],
    hinge: ['Hinge'], squared_hinge: ['SquaredHinge'], categorical_hinge: ['CategoricalHinge'],
    kl_divergence: ['KLDivergence'], kld: ['KLDivergence'], poisson: ['Poisson'], logcosh: ['LogCoshError'],
    cosine_similarity: ['CosineSimilarity'],
  },
};

// ----------------------------------------------------------------------------- optimizers

/** Keras 3 allows one of clipnorm, global_clipnorm and clipvalue at a time. */
const ONE_CLIP: OptionRule = (v, cfg) => {
  const set = ['clipnorm', 'global_clipnorm', 'clipvalue'].filter((k) => cfg[k] !== null && cfg[k] !== undefined);
  if (set.length > 1) return `only one of ${set.join(', ')} can be set (as in Keras)`;
  return typeof v === 'number' && v > 0 ? undefined : 'must be a positive number';
};

const OPTIMIZER_COMMON = {
  weight_decay: null, clipnorm: null, global_clipnorm: null, clipvalue: null, use_ema: false, ema_momentum: 0.99,
  ema_overwrite_frequency: null, loss_scale_factor: null, gradient_accumulation_steps: null,
};
const OPTIMIZER_RULES: Record<string, OptionRule> = {
  name: true, learning_rate: true, weight_decay: true, clipnorm: ONE_CLIP, global_clipnorm: ONE_CLIP, clipvalue: ONE_CLIP,
  use_ema: true, ema_momentum: (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? undefined : 'must be in [0, 1]'),
  ema_overwrite_frequency: POSITIVE_INT, gradient_accumulation_steps: (v) => (Number.isInteger(v) && v >= 2 ? undefined : 'must be an integer >= 2 (or null)'),
};
const ADAM_LIKE = { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 };

function optimizer(cls: string, name: string, lr: number, own: Cfg, overrides: Cfg = {}): [string, ObjectDef] {
  // Keras holds learning rates in float32 variables and writes back what they hold.
  const keras = { name, learning_rate: Math.fround(lr), ...OPTIMIZER_COMMON, ...overrides, ...own };
  return [cls, { keras, honours: { ...OPTIMIZER_RULES, ...Object.fromEntries(Object.keys(own).map((k) => [k, true])) } }];
}

export const OPTIMIZERS: Family = {
  classes: Object.fromEntries([
    optimizer('SGD', 'sgd', 0.01, { momentum: 0.0, nesterov: false }),
    optimizer('Adam', 'adam', 0.001, { ...ADAM_LIKE, amsgrad: false }),
    optimizer('RMSprop', 'rm_sprop', 0.001, { rho: 0.9, momentum: 0.0, epsilon: 1e-7, centered: false }),
    optimizer('AdamW', 'adam_w', 0.001, { ...ADAM_LIKE, amsgrad: false }, { weight_decay: 0.004 }),
    optimizer('Adagrad', 'adagrad', 0.001, { initial_accumulator_value: 0.1, epsilon: 1e-7 }),
    optimizer('Adamax', 'adamax', 0.001, ADAM_LIKE),
    optimizer('Nadam', 'nadam', 0.001, ADAM_LIKE),
  ]),
  aliases: { sgd: ['SGD'], adam: ['Adam'], adamw: ['AdamW'], rmsprop: ['RMSprop'], adagrad: ['Adagrad'], adamax: ['Adamax'], nadam: ['Nadam'] },
};

// ----------------------------------------------------------------------------- callbacks

const all = (keras: Cfg, except: Cfg = {}): ObjectDef => ({ keras: { ...keras, ...except }, honours: Object.fromEntries(Object.keys(keras).map((k) => [k, true])) });

export const CALLBACKS: Family = {
  classes: {
    EarlyStopping: all({ monitor: 'val_loss', min_delta: 0, patience: 0, verbose: 0, mode: 'auto', baseline: null, restore_best_weights: false, start_from_epoch: 0 }),
    ModelCheckpoint: {
      ...all({ filepath: undefined, monitor: 'val_loss', verbose: 0, save_best_only: false, save_weights_only: false, mode: 'auto', initial_value_threshold: null }),
      // Checkpoints are taken at epoch ends, where the worker has the model; per-batch saving is not done.
      keras: { filepath: undefined, monitor: 'val_loss', verbose: 0, save_best_only: false, save_weights_only: false, mode: 'auto', save_freq: 'epoch', initial_value_threshold: null },
    },
    ReduceLROnPlateau: all({ monitor: 'val_loss', factor: 0.1, patience: 10, verbose: 0, mode: 'auto', min_delta: 1e-4, cooldown: 0, min_lr: 0.0 }),
    TerminateOnNaN: all({}),
    // A job's CSV file starts empty, so append=True writes what Keras writes to a new file.
    CSVLogger: all({ filename: undefined, separator: ',', append: false }),
    LearningRateScheduler: all({ schedule: undefined, verbose: 0 }),
  },
  aliases: {},
};

// ----------------------------------------------------------------------------- resolving

export interface Resolved {
  class_name: string;
  config: Record<string, any>;
  /** The identifier exactly as given when it was a string (Keras keeps it as the metric name). */
  alias?: string;
}

/** A table entry by name: own entries only, so "constructor" or "toString" never find Object.prototype's. */
function own<T>(table: Record<string, T>, name: unknown): T | undefined {
  return typeof name === 'string' && Object.hasOwn(table, name) ? table[name] : undefined;
}

/** Why an option value of a class is refused (honour or refuse), or undefined. */
export function objectOptionProblem(family: Family, cls: string, key: string, value: unknown, config: Cfg): string | undefined {
  return declaredOptionProblem(cls, family.classes[cls], key, value, config);
}

/**
 * Turns a string or {class_name, config} into its canonical class and config.
 * Returns an error message (naming what is supported) instead of throwing, so callers attach a pointer.
 */
export function resolve(family: Family, id: Identifier, what: string): Resolved | { error: string; key?: string } {
  if (typeof id === 'string') {
    const hit = own(family.aliases, id) ?? (own(family.classes, id) ? [id] : undefined);
    if (!hit) return { error: `unknown ${what} "${id}"; supported: ${supported(family)}` };
    return { class_name: hit[0], config: { ...(hit[1] ?? {}) }, alias: id };
  }
  const hit = own(family.classes, id.class_name) ? id.class_name : own(family.aliases, id.class_name)?.[0];
  if (!hit || !own(family.classes, hit)) return { error: `unknown ${what} class "${id.class_name}"; supported: ${supported(family)}` };
  const config = { ...(id.config ?? {}) };
  for (const [key, value] of Object.entries(config)) {
    const problem = objectOptionProblem(family, hit, key, value, config);
    if (problem) return { error: problem, key };
  }
  return { class_name: hit, config };
}

export function supported(family: Family): string {
  return [...Object.keys(family.classes), ...Object.keys(family.aliases)].join(', ');
}

/** Keras's default of an option (its get_config() at defaults). */
export function kerasDefault(family: Family, cls: string, key: string): unknown {
  return family.classes[cls]?.keras[key];
}
