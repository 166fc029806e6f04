/** Numbers and lines as Keras prints them, so a kjobs log reads like the one model.fit(verbose=1) writes. */

export type Logs = Record<string, number | null>;

/**
 * Keras's Progbar writes `{v:.4f}` when |v| > 1e-3 and `{v:.4e}` otherwise, with Python's
 * formatting rules, which differ from JavaScript's in two visible places: exact ties round to
 * even (an accuracy of 1/32 = 0.03125 prints 0.0312, not 0.0313), and the exponent has at least
 * two digits (5.0000e-04). JSON has no NaN, so a NaN loss reaches us as null.
 */
export function kerasNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return Math.abs(value) > 1e-3 ? pythonFixed(value, 4) : pythonExponential(value, 4);
}

export function pythonFixed(value: number, digits: number): string {
  const rounded = value.toFixed(digits);
  const magnitude = Math.abs(value);
  if (magnitude >= 1e21) return rounded;
  // toFixed(100) is the exact decimal expansion of any double this size, so a tie is seen exactly.
  const [whole, fraction] = magnitude.toFixed(100).split('.');
  if (!/^50*$/.test(fraction.slice(digits))) return rounded;
  const truncated = digits > 0 ? `${whole}.${fraction.slice(0, digits)}` : whole;
  const lastDigit = Number(truncated[truncated.length - 1]);
  // toFixed rounded the tie away from zero; keep that only when it lands on an even digit.
  if (lastDigit % 2 === 1) return rounded;
  return `${value < 0 ? '-' : ''}${truncated}`;
}

export function pythonExponential(value: number, digits: number): string {
  const text = value.toExponential(digits).replace(/e([+-])(\d)$/, 'e$10$2');
  return Object.is(value, -0) ? `-${text}` : text;
}

/** ` - key: value` for each entry, in the order given: the service already orders logs as Keras does. */
export function logsText(logs: Logs): string {
  return Object.entries(logs)
    .map(([key, value]) => ` - ${key}: ${kerasNumber(value)}`)
    .join('');
}

/** `Epoch 3/5 - loss: 0.4100 - ...`; events count epochs from 0, people from 1. */
export function epochLine(epoch: number, epochs: number, logs: Logs): string {
  return `Epoch ${epoch + 1}/${epochs}${logsText(logs)}`;
}
