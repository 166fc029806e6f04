/**
 * Submit-time checks of callback configs that the JSON schema cannot express: files they write
 * must stay inside the job's folder, schedules must be well formed.
 */
import { formatFilepath } from '../engine/callbacks/model-checkpoint.ts';
import { isSafeCheckpointName } from '../store/model-store.ts';
import type { Resolved } from './catalog.ts';

export function checkSchedule(schedule: unknown): string | undefined {
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (Array.isArray(schedule)) return schedule.length > 0 && schedule.every(finite) ? undefined : 'schedule must be a non-empty list of learning rates';
  const s = schedule as { boundaries?: unknown; values?: unknown };
  if (!s || !Array.isArray(s.boundaries) || !Array.isArray(s.values) || s.values.length !== s.boundaries.length + 1 || !s.values.every(finite) || !s.boundaries.every((b) => Number.isInteger(b))) {
    return 'schedule must be a list of learning rates or {"boundaries": [epochs...], "values": [one more rate than boundaries]}';
  }
  return undefined;
}

/** Keras ModelCheckpoint filepaths ("mymodel_{epoch}", "{epoch:02d}-{val_loss:.2f}.keras") become checkpoint names. */
export function checkpointNameOf(filepath: string): string {
  return filepath.replace(/\.(weights\.h5|keras|h5)$/, '');
}

/** The last epoch index the schema allows (epochs <= 100000), and a log value whose text is long. */
const PROBE_EPOCH = 99_999;
const PROBE_LOGS: Record<string, number> = new Proxy({}, { get: (_target, key) => (typeof key === 'string' ? -0.12345678901234568 : undefined) });

/** Returns [config key, problem] or undefined. */
export function checkCallbackConfig(r: Resolved): [string, string] | undefined {
  if (r.class_name === 'ModelCheckpoint') {
    const fp = r.config.filepath;
    if (typeof fp !== 'string' || !fp) return ['filepath', 'is required'];
    // Formatted by the worker's own formatter, with the longest epoch number and a long metric value:
    // a placeholder it does not understand stays in the name literally, a width can make it too long.
    let sample: string;
    try {
      sample = checkpointNameOf(formatFilepath(fp, PROBE_EPOCH, PROBE_LOGS));
    } catch (err) {
      return ['filepath', `"${fp}" cannot be formatted: ${(err as Error).message}`];
    }
    // epoch-NNNN are the service's own resumable checkpoints, which retention deletes.
    if (sample.startsWith('epoch-')) return ['filepath', `"${fp}": names starting with "epoch-" are reserved for the checkpoints written after every epoch; choose another name`];
    if (!isSafeCheckpointName(sample)) {
      return ['filepath', `"${fp}" must be a plain name inside the job's checkpoint folder (no "/", "..", absolute paths or NUL; {epoch:02d}-style fields only; at most 200 characters once formatted, e.g. "${sample.slice(0, 60)}")`];
    }
  }
  if (r.class_name === 'CSVLogger') {
    const fn = r.config.filename;
    if (typeof fn !== 'string' || !isSafeCheckpointName(fn)) return ['filename', `"${fn}" must be a plain file name inside the job's folder`];
  }
  if (r.class_name === 'LearningRateScheduler') {
    const problem = checkSchedule(r.config.schedule);
    if (problem) return ['schedule', problem];
  }
  return undefined;
}
