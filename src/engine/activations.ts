/** Keras activation names → tfjs-layers activation identifiers. */
const ACTIVATIONS: Record<string, string> = {
  linear: 'linear', relu: 'relu', relu6: 'relu6', sigmoid: 'sigmoid', softmax: 'softmax', tanh: 'tanh',
  elu: 'elu', selu: 'selu', softplus: 'softplus', softsign: 'softsign', swish: 'swish', silu: 'swish',
  hard_sigmoid: 'hardSigmoid', gelu: 'gelu', mish: 'mish',
};

export function tfjsActivation(name: unknown): string | undefined {
  if (name === undefined || name === null) return undefined;
  const key = typeof name === 'string' ? name : (name as { class_name?: string }).class_name;
  const mapped = key ? ACTIVATIONS[key] : undefined;
  if (!mapped) throw new Error(`unsupported activation ${JSON.stringify(name)}; supported: ${Object.keys(ACTIVATIONS).join(', ')}`);
  return mapped;
}

