/** The one-line bar drawn (on a terminal only) while an epoch runs, in the style of Keras's Progbar. */
import { kerasNumber } from './keras-line.ts';

export interface BarState {
  epoch: number;
  epochs: number;
  step: number;
  steps?: number;
  loss?: number | null;
  /** Time since the epoch began, as seen here: enough for an ETA. */
  elapsedMs: number;
}

const BAR_WIDTH = 30;

/** Keras's ETA format: 1:02:03 past an hour, 2:03 past a minute, else 42s. */
export function etaText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s >= 3600) return `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  if (s >= 60) return `${Math.floor(s / 60)}:${pad(s % 60)}`;
  return `${s}s`;
}

/**
 * `Epoch 2/5  217/625 [=========>....................] - ETA: 2s - loss: 2.3014`, cut to the
 * terminal's width: a line that wraps cannot be rewritten in place with \r.
 */
export function progressLine(state: BarState, columns: number): string {
  let line = `Epoch ${state.epoch + 1}/${state.epochs}`;
  const { step, steps } = state;
  if (steps && steps > 0) {
    const done = Math.min(step, steps);
    const filled = Math.floor((BAR_WIDTH * done) / steps);
    const head = filled > 0 ? '='.repeat(filled - 1) + (done < steps ? '>' : '=') : '';
    line += `  ${String(done).padStart(String(steps).length)}/${steps} [${head}${'.'.repeat(BAR_WIDTH - head.length)}]`;
    if (done > 0 && done < steps) line += ` - ETA: ${etaText(((state.elapsedMs / done) * (steps - done)) / 1000)}`;
  } else if (step > 0) {
    line += `  ${step}`;
  }
  if (state.loss !== undefined) line += ` - loss: ${kerasNumber(state.loss)}`;
  return columns > 1 ? line.slice(0, columns - 1) : line;
}
