/**
 * Keras 3 activation names. Each maps to the tfjs activation identifier the engine computes it
 * with; where tfjs has none, or computes differently from Keras 3 (hard_sigmoid is relu6(x + 3) / 6
 * in Keras 3, 0.2x + 0.5 in tfjs), the engine registers its own under the identifier given here
 * (engine/activations.ts, "keras_" + the name).
 */
export const ACTIVATION_IDS: Record<string, string> = {
  linear: 'linear', relu: 'relu', relu6: 'relu6', sigmoid: 'sigmoid', softmax: 'softmax', tanh: 'tanh',
  elu: 'elu', selu: 'selu', softplus: 'softplus', softsign: 'softsign', silu: 'swish', gelu: 'gelu', mish: 'mish',
  hard_sigmoid: 'keras_hard_sigmoid', hard_silu: 'keras_hard_silu', celu: 'keras_celu', exponential: 'keras_exponential',
  glu: 'keras_glu', hard_shrink: 'keras_hard_shrink', soft_shrink: 'keras_soft_shrink', hard_tanh: 'keras_hard_tanh',
  leaky_relu: 'keras_leaky_relu', log_sigmoid: 'keras_log_sigmoid', log_softmax: 'keras_log_softmax', sparse_plus: 'keras_sparse_plus',
  sparse_sigmoid: 'keras_sparse_sigmoid', squareplus: 'keras_squareplus', tanh_shrink: 'keras_tanh_shrink',
};

/**
 * Other names of the same functions: Keras 3's aliases (swish, hard_swish) and TF 2's serialized
 * activation=tf.nn.softmax under the name of its implementation.
 */
const ACTIVATION_ALIASES: Record<string, string> = { swish: 'silu', hard_swish: 'hard_silu', softmax_v2: 'softmax' };

export const ACTIVATIONS = [...Object.keys(ACTIVATION_IDS), ...Object.keys(ACTIVATION_ALIASES).filter((a) => a !== 'softmax_v2')];

/** A Keras activation value (name or {class_name}) → its canonical name, or undefined if unknown. */
export function activationName(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'linear';
  const name = typeof value === 'string' ? value : (value as { class_name?: unknown })?.class_name;
  if (typeof name !== 'string') return undefined;
  const canon = Object.hasOwn(ACTIVATION_ALIASES, name) ? ACTIVATION_ALIASES[name] : name;
  return Object.hasOwn(ACTIVATION_IDS, canon) ? canon : undefined;
}
