/** Compares what the engine produced with what Keras recorded, under the case's tolerances. */
import type { Tolerance } from './parity-case.ts';

export interface Comparison {
  /** Largest relative error seen, |got - expected| / max(|expected|, atol / rtol). */
  worst: number;
  where: string;
  failures: string[];
}

export function newComparison(): Comparison {
  return { worst: 0, where: '', failures: [] };
}

const DISCRETE = /(accuracy|auc|precision|recall)$/i;

/**
 * Checks every number of `expected` against `got` (same nesting). Discrete metrics may be off by
 * one sample after a near-tie (±1/N), as the fixtures' README allows.
 */
export function compareNumbers(c: Comparison, where: string, got: unknown, expected: unknown, tol: Tolerance, discreteN?: number): void {
  if (Array.isArray(expected)) {
    if (!Array.isArray(got) || got.length !== expected.length) {
      c.failures.push(`${where}: expected ${expected.length} values, got ${Array.isArray(got) ? got.length : typeof got}`);
      c.worst = Infinity;
      c.where ||= where;
      return;
    }
    expected.forEach((e, i) => compareNumbers(c, `${where}[${i}]`, got[i], e, tol, discreteN));
    return;
  }
  if (expected && typeof expected === 'object') {
    for (const [key, value] of Object.entries(expected)) compareNumbers(c, `${where}.${key}`, (got as Record<string, unknown> | undefined)?.[key], value, tol, discreteN);
    return;
  }
  const e = expected as number;
  const g = got as number;
  if (typeof g !== 'number') {
    c.failures.push(`${where}: expected ${e}, got ${JSON.stringify(got)}`);
    c.worst = Infinity;
    c.where = where;
    return;
  }
  const diff = Math.abs(g - e);
  const rel = diff / Math.max(Math.abs(e), tol.atol / tol.rtol);
  if (rel > c.worst) {
    c.worst = rel;
    c.where = `${where} (got ${g}, Keras ${e})`;
  }
  const allowed = tol.atol + tol.rtol * Math.abs(e);
  const oneSample = discreteN && DISCRETE.test(where.split('[')[0]) ? 1 / discreteN + 1e-7 : 0;
  if (!(diff <= allowed) && !(diff <= oneSample)) c.failures.push(`${where}: got ${g}, Keras ${e} (allowed ±${allowed.toExponential(2)})`);
}
