/**
 * Keras 3 activation names. Each maps to the tfjs activation identifier the engine computes it
 * with; where tfjs's function differs from Keras 3's (hard_sigmoid is relu6(x + 3) / 6 in Keras 3,
 * 0.2x + 0.5 in tfjs), the engine registers its own under the name given here.
 */
export const ACTIVATION_IDS: Record<string, string> = {
  linear: 'linear', relu: 'relu', relu6: 'relu6', sigmoid: 'sigmoid', softmax: 'softmax', tanh: 'tanh',
  elu: 'elu', selu: 'selu', softplus: 'softplus', softsign: 'softsign', swish: 'swish', silu: 'swish',
  hard_sigmoid: 'kerasHardSigmoid', gelu: 'gelu', mish: 'mish',
};

/** TF 2 serialized activation=tf.nn.softmax under the name of its implementation. */
const ACTIVATION_ALIASES: Record<string, string> = { softmax_v2: 'softmax' };

export const ACTIVATIONS = Object.keys(ACTIVATION_IDS);

/** A Keras activation value (name or {class_name}) → its canonical name, or undefined if unknown. */
export function activationName(value: unknown): string | undefined {
  if (value === null || value === undefined) return 'linear';
  const name = typeof value === 'string' ? value : (value as { class_name?: unknown })?.class_name;
  if (typeof name !== 'string') return undefined;
  const canon = Object.hasOwn(ACTIVATION_ALIASES, name) ? ACTIVATION_ALIASES[name] : name;
  return Object.hasOwn(ACTIVATION_IDS, canon) ? canon : undefined;
}
