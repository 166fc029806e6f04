/**
 * Keras weight regularizers, parsed once for the spec checks, the Keras import and export and the
 * engine: 'l1' and 'l2' default to 0.01, 'l1_l2' / L1L2 to 0 each, as Keras 3 does.
 */
export const REGULARIZERS = ['l1', 'l2', 'l1_l2', 'L1', 'L2', 'L1L2'];

export interface Regularizer {
  class_name: 'L1' | 'L2' | 'L1L2';
  config: { l1?: number; l2?: number };
}

const DEFAULTS: Record<Regularizer['class_name'], Regularizer['config']> = { L1: { l1: 0.01 }, L2: { l2: 0.01 }, L1L2: { l1: 0, l2: 0 } };

/** A regularizer value (name or {class_name, config}) with Keras's defaults filled in, or why not. */
export function parseRegularizer(value: unknown): Regularizer | { error: string } {
  const obj = typeof value === 'object' && value !== null ? (value as { class_name?: unknown; config?: unknown }) : undefined;
  const name = typeof value === 'string' ? value : obj?.class_name;
  const lower = typeof name === 'string' ? name.toLowerCase().replace('_', '') : '';
  const cls = lower === 'l1' ? 'L1' : lower === 'l2' ? 'L2' : lower === 'l1l2' ? 'L1L2' : undefined;
  if (!cls) return { error: `unknown regularizer ${JSON.stringify(value)}; supported: ${REGULARIZERS.join(', ')}` };
  const given = (typeof obj?.config === 'object' && obj.config !== null ? obj.config : {}) as Record<string, unknown>;
  const config: Record<string, number> = { ...DEFAULTS[cls] } as Record<string, number>;
  for (const [k, v] of Object.entries(given)) {
    if (!Object.hasOwn(config, k)) return { error: `${cls} has no option "${k}"; it takes ${Object.keys(config).join(', ')}` };
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return { error: `${cls} ${k} must be a non-negative number` };
    config[k] = v;
  }
  return { class_name: cls, config };
}
