/**
 * Resolves the compile section against the model's outputs, the way keras.Model.compile does:
 * a single loss applies to every output; lists go in output order; dicts are matched by output name.
 */
import { LOSSES, METRICS, OPTIMIZERS, resolve, type Family, type Resolved } from './catalog.ts';
import { SpecError, type SpecIssue } from './problem.ts';
import type { CompileSpec, Identifier } from './schema.ts';

export interface ResolvedCompile {
  optimizer: Resolved;
  /** One loss per output, in output order; null for an output trained without one (Keras's None). */
  losses: Array<Resolved | null>;
  lossWeights: number[];
  /** Metrics per output, in output order. */
  metrics: Resolved[][];
}

export function resolveCompile(compile: CompileSpec, outputs: string[], at = '/compile'): ResolvedCompile {
  const issues: SpecIssue[] = [];
  const one = (family: Family, id: Identifier, ptr: string, what: string): Resolved => {
    const r = resolve(family, id, what);
    if ('error' in r) {
      issues.push({ pointer: r.key ? `${ptr}/config/${r.key}` : ptr, message: r.error });
      return { class_name: 'invalid', config: {} };
    }
    return r;
  };
  const perOutput = <T>(value: unknown, ptr: string, what: string, isSingle: (v: unknown) => boolean, fallback: T | undefined, map: (v: any, p: string) => T): T[] => {
    if (value === undefined) return outputs.map(() => fallback as T);
    if (isSingle(value)) return outputs.map(() => map(value, ptr));
    if (Array.isArray(value)) {
      if (value.length !== outputs.length) {
        issues.push({ pointer: ptr, message: `has ${value.length} entries but the model has ${outputs.length} outputs (${outputs.join(', ')})` });
        return outputs.map(() => fallback as T);
      }
      return value.map((v, i) => map(v, `${ptr}/${i}`));
    }
    const dict = value as Record<string, unknown>;
    for (const key of Object.keys(dict)) {
      if (!outputs.includes(key)) issues.push({ pointer: `${ptr}/${key}`, message: `no output is named "${key}"; outputs are ${outputs.join(', ')}` });
    }
    // Own keys only: an output named "toString" must not find Object.prototype's.
    return outputs.map((name) => (Object.hasOwn(dict, name) ? map(dict[name], `${ptr}/${name}`) : (fallback as T)));
  };
  const isIdentifier = (v: unknown) => typeof v === 'string' || (typeof v === 'object' && v !== null && !Array.isArray(v) && 'class_name' in v);

  const optimizer = one(OPTIMIZERS, compile.optimizer ?? 'rmsprop', `${at}/optimizer`, 'optimizer');
  const losses = perOutput<Resolved | null>(compile.loss, `${at}/loss`, 'loss', isIdentifier, undefined, (v, p) => (v === null ? null : one(LOSSES, v, p, 'loss')));
  losses.forEach((l, i) => {
    if (l === undefined) issues.push({ pointer: `${at}/loss`, message: `no loss is given for output "${outputs[i]}" (null, as Keras's None, trains it without one)` });
  });
  if (losses.length && losses.every((l) => l === null)) issues.push({ pointer: `${at}/loss`, message: 'every output\'s loss is null; at least one output needs a loss' });
  const lossWeights = perOutput<number>(compile.loss_weights, `${at}/loss_weights`, 'loss weight', (v) => typeof v === 'number', 1, (v, p) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) issues.push({ pointer: p, message: 'must be a finite number' });
    return v;
  });
  // A flat list of identifiers applies to every output; a list of lists or a dict goes per output.
  const metricsValue = compile.metrics;
  const flat = Array.isArray(metricsValue) && metricsValue.every(isIdentifier);
  const metrics = flat
    ? outputs.map(() => (metricsValue as Identifier[]).map((m, j) => one(METRICS, m, `${at}/metrics/${j}`, 'metric')))
    : perOutput<Resolved[]>(metricsValue, `${at}/metrics`, 'metrics', () => false, [], (v, p) =>
        (Array.isArray(v) ? v : [v]).map((m: Identifier, j: number) => one(METRICS, m, Array.isArray(v) ? `${p}/${j}` : p, 'metric')),
      );
  if (issues.length) throw new SpecError(issues);
  return { optimizer, losses, lossWeights, metrics };
}
