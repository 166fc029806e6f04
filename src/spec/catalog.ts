/**
 * Names the service accepts for losses, metrics, optimizers and callbacks, with Keras's string aliases.
 * Pure data so that the API can reject unknown names at submit time without loading TensorFlow.
 */
import type { Identifier } from './schema.ts';

export interface Family {
  /** Keras class name → accepted config keys (besides name, dtype). */
  classes: Record<string, string[]>;
  /** Keras string identifiers → [class name, config]. */
  aliases: Record<string, [string, Record<string, unknown>?]>;
}

const REDUCTION = ['reduction', 'name', 'dtype'];

export const LOSSES: Family = {
  classes: {
    MeanSquaredError: REDUCTION,
    MeanAbsoluteError: REDUCTION,
    MeanAbsolutePercentageError: REDUCTION,
    MeanSquaredLogarithmicError: REDUCTION,
    BinaryCrossentropy: ['from_logits', 'label_smoothing', 'axis', ...REDUCTION],
    CategoricalCrossentropy: ['from_logits', 'label_smoothing', 'axis', ...REDUCTION],
    SparseCategoricalCrossentropy: ['from_logits', 'ignore_class', ...REDUCTION],
    Huber: ['delta', ...REDUCTION],
    LogCosh: REDUCTION,
    Hinge: REDUCTION,
    SquaredHinge: REDUCTION,
    CategoricalHinge: REDUCTION,
    KLDivergence: REDUCTION,
    Poisson: REDUCTION,
    CosineSimilarity: ['axis', ...REDUCTION],
  },
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

const METRIC = ['name', 'dtype'];

export const METRICS: Family = {
  classes: {
    BinaryAccuracy: ['threshold', ...METRIC],
    CategoricalAccuracy: METRIC,
    SparseCategoricalAccuracy: METRIC,
    TopKCategoricalAccuracy: ['k', ...METRIC],
    SparseTopKCategoricalAccuracy: ['k', ...METRIC],
    MeanSquaredError: METRIC,
    MeanAbsoluteError: METRIC,
    MeanAbsolutePercentageError: METRIC,
    MeanSquaredLogarithmicError: METRIC,
    RootMeanSquaredError: METRIC,
    BinaryCrossentropy: ['from_logits', 'label_smoothing', ...METRIC],
    CategoricalCrossentropy: ['from_logits', 'label_smoothing', ...METRIC],
    SparseCategoricalCrossentropy: ['from_logits', ...METRIC],
    Accuracy: METRIC,
    AUC: ['num_thresholds', 'curve', 'summation_method', 'multi_label', 'from_logits', ...METRIC],
    Precision: ['thresholds', ...METRIC],
    Recall: ['thresholds', ...METRIC],
    Hinge: METRIC,
    SquaredHinge: METRIC,
    CategoricalHinge: METRIC,
    KLDivergence: METRIC,
    Poisson: METRIC,
    LogCoshError: METRIC,
    CosineSimilarity: ['axis', ...METRIC],
  },
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

const OPT = ['learning_rate', 'name', 'clipnorm', 'clipvalue', 'global_clipnorm', 'weight_decay', 'use_ema', 'ema_momentum', 'ema_overwrite_frequency', 'loss_scale_factor', 'gradient_accumulation_steps'];

export const OPTIMIZERS: Family = {
  classes: {
    SGD: ['momentum', 'nesterov', ...OPT],
    Adam: ['beta_1', 'beta_2', 'epsilon', 'amsgrad', ...OPT],
    RMSprop: ['rho', 'momentum', 'epsilon', 'centered', ...OPT],
    AdamW: ['beta_1', 'beta_2', 'epsilon', 'amsgrad', ...OPT],
    Adagrad: ['initial_accumulator_value', 'epsilon', ...OPT],
    Adamax: ['beta_1', 'beta_2', 'epsilon', ...OPT],
    Nadam: ['beta_1', 'beta_2', 'epsilon', ...OPT],
  },
  aliases: { sgd: ['SGD'], adam: ['Adam'], adamw: ['AdamW'], rmsprop: ['RMSprop'], adagrad: ['Adagrad'], adamax: ['Adamax'], nadam: ['Nadam'] },
};

export const CALLBACKS: Family = {
  classes: {
    EarlyStopping: ['monitor', 'min_delta', 'patience', 'verbose', 'mode', 'baseline', 'restore_best_weights', 'start_from_epoch'],
    ModelCheckpoint: ['filepath', 'monitor', 'verbose', 'save_best_only', 'save_weights_only', 'mode', 'save_freq', 'initial_value_threshold'],
    ReduceLROnPlateau: ['monitor', 'factor', 'patience', 'verbose', 'mode', 'min_delta', 'cooldown', 'min_lr'],
    TerminateOnNaN: [],
    CSVLogger: ['filename', 'separator', 'append'],
    LearningRateScheduler: ['schedule', 'verbose'],
  },
  aliases: {},
};

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
  const keys = own(family.classes, hit);
  if (!hit || !keys) return { error: `unknown ${what} class "${id.class_name}"; supported: ${supported(family)}` };
  const config = { ...(id.config ?? {}) };
  const allowed = new Set(keys);
  for (const key of Object.keys(config)) {
    if (!allowed.has(key)) return { error: `${hit} has no option "${key}"; it accepts ${[...allowed].join(', ')}`, key };
  }
  return { class_name: hit, config };
}

export function supported(family: Family): string {
  return [...Object.keys(family.classes), ...Object.keys(family.aliases)].join(', ');
}
