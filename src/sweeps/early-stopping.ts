/**
 * Early stopping of trials while they run, as Ray Tune's schedulers decide it, with a trial's
 * epochs as time: MedianStoppingRule and ASHA (AsyncHyperBandScheduler with one bracket). Both are
 * pure functions of the curves reported so far, called once per new epoch result in the order the
 * results arrived, so a controller that takes a sweep over decides the same from the same curves.
 * Transcribed from ray/tune/schedulers/{median_stopping_rule,async_hyperband}.py; the fixtures in
 * test/fixtures/early-stopping are that transcription's decisions.
 */
import type { Direction } from './oracle.ts';
import type { EarlyStoppingPolicy } from './schema.ts';

/** A trial's objective per own epoch (index 0 is its first epoch); null is a non-finite value. */
export interface Curve {
  id: string;
  values: readonly (number | null)[];
}

/** Higher is better, as Ray's rewards; a non-finite objective is the worst value. */
const reward = (value: number | null, direction: Direction) => (value === null || !Number.isFinite(value) ? -Infinity : direction === 'max' ? value : -value);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** numpy's percentile with linear interpolation (q in 0..100). */
export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(position);
  const fraction = position - lo;
  // -Infinity + 0 × Infinity would be NaN: with no fraction, the lower value is the answer.
  return fraction === 0 ? sorted[lo] : sorted[lo] + (sorted[lo + 1] - sorted[lo]) * fraction;
}

const median = (values: number[]) => percentile(values, 50);

/** ASHA's rungs, as Ray's _Bracket(min_t=grace_period, max_t, reduction_factor, s=0) builds them. */
export function ashaRungs(gracePeriod: number, maxT: number, reductionFactor: number): number[] {
  const count = Math.trunc(Math.log(maxT / gracePeriod) / Math.log(reductionFactor) + 1);
  return Array.from({ length: Math.max(count, 0) }, (_, k) => gracePeriod * reductionFactor ** k);
}

const show = (value: number) => Number(value.toPrecision(6)).toString();

/**
 * Whether `trial`, which has just reported epoch `trial.values.length`, is stopped: the reason if
 * so. `others` are every other trial's curve as it stood before this result (stopped and ended
 * trials included, as Ray keeps their results). `maxEpochs` is the trials' epochs (ASHA's max_t): nothing is stopped at the last one.
 */
export function stopReason(policy: EarlyStoppingPolicy, objective: { name: string; direction: Direction }, trial: Curve, others: readonly Curve[], maxEpochs: number): string | undefined {
  const t = trial.values.length;
  const { name, direction } = objective;
  // After its last epoch a trial has nothing left to stop (and Ray's ASHA stops at max_t unjudged).
  if (t >= maxEpochs) return undefined;
  if (policy.class_name === 'MedianStoppingRule') {
    const grace = policy.config?.grace_period ?? 1;
    const minSamples = policy.config?.min_samples_required ?? 3;
    if (t < grace) return undefined;
    const beyond = others.filter((o) => o.values.length >= t);
    if (beyond.length < minSamples) return undefined;
    // Ray's _running_mean: the results from grace_period to t.
    const medianReward = median(beyond.map((o) => mean(o.values.slice(grace - 1, t).map((v) => reward(v, direction)))));
    const bestReward = Math.max(...trial.values.map((v) => reward(v, direction)));
    if (!(medianReward > bestReward)) return undefined;
    const asValue = (r: number) => show(direction === 'max' ? r : -r);
    return `MedianStoppingRule: its best ${name} in ${t} epoch${t === 1 ? '' : 's'} (${asValue(bestReward)}) is worse than the median (${asValue(medianReward)}) of the mean ${name} over epochs ${grace}-${t} of the ${beyond.length} other trials that reached epoch ${t}`;
  }
  const grace = policy.config?.grace_period ?? 1;
  const factor = policy.config?.reduction_factor ?? 4;
  // Ray records a trial at a rung with its first result at or past it: epoch ceil(rung). With a
  // reduction_factor of 2 or more no two rungs share an epoch.
  if (!ashaRungs(grace, maxEpochs, factor).some((rung) => Math.ceil(rung) === t)) return undefined;
  const recorded = others.filter((o) => o.values.length >= t).map((o) => reward(o.values[t - 1], direction));
  if (recorded.length === 0) return undefined;
  const cutoff = percentile(recorded, (1 - 1 / factor) * 100);
  const current = reward(trial.values[t - 1], direction);
  if (!(current < cutoff)) return undefined;
  const asValue = (r: number) => show(direction === 'max' ? r : -r);
  return `ASHA: its ${name} at epoch ${t} (${asValue(current)}) is not in the top 1/${show(factor)} of the ${recorded.length} trial${recorded.length === 1 ? '' : 's'} that reached epoch ${t} before it (cutoff ${asValue(cutoff)})`;
}
