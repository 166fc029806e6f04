/**
 * A submitted spec for display: data arrays (nested numbers, or base64 blocks) become a note of
 * their shape, so a spec with a million inline numbers stays readable and small.
 */
const KEEP_NUMBERS = 16;

function numericShape(value: unknown): number[] | undefined {
  if (typeof value === 'number') return [];
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const inner = numericShape(value[0]);
  return inner && [value.length, ...inner];
}

export function abbreviateSpec(value: unknown): unknown {
  if (Array.isArray(value)) {
    const shape = numericShape(value);
    if (shape && shape.length > 0 && shape.reduce((a, b) => a * b, 1) > KEEP_NUMBERS) return { array: { shape, inline: true } };
    return value.map(abbreviateSpec);
  }
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (typeof obj.b64 === 'string') return { array: { shape: obj.shape, dtype: obj.dtype, base64_bytes: obj.b64.length } };
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, abbreviateSpec(v)]));
  }
  return value;
}
