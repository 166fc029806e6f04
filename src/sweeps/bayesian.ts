/**
 * KerasTuner's BayesianOptimization oracle (keras_tuner/tuners/bayesian.py, BayesianOptimizationOracle)
 * as a pure function of the trial list: random trials first, then a Gaussian process (Matern 2.5
 * kernel, alpha on the diagonal, y normalized) fitted on the completed trials' hyperparameters
 * mapped to [0, 1] (value_to_prob), and the point that minimizes the lower confidence bound
 * mu - beta * sigma, mapped back with prob_to_value.
 *
 * Where this differs from KerasTuner, and why:
 * - The random phase counts trials created, not trials completed, so the decision depends on the
 *   list alone; with trials in flight and none completed it waits (or, if nothing is in flight and
 *   every trial failed, draws another random trial, as KerasTuner would: it has fewer completed
 *   trials than initial points, and waiting would never end).
 * - Running trials are left out of the fit (KerasTuner "hallucinates" them at mu + sigma of the
 *   previous fit, which a pure function has no previous fit for); they still count as tried.
 * - The length scale is fitted like sklearn's GaussianProcessRegressor does (maximum log marginal
 *   likelihood, isotropic, amplitude 1 since y is normalized), over a log grid instead of L-BFGS-B.
 * - The acquisition is minimized over seeded random candidates plus coordinate (pattern) search
 *   from the best few, instead of L-BFGS-B from 50 random starts; each candidate is evaluated where
 *   it will land (mapped to values and back), so a discrete hyperparameter is scored at its value
 *   and not between two, and an inactive one at its default, like the trials the GP was fitted on.
 * - A non-finite objective (a diverged loss) counts as the worst finite one: KerasTuner's
 *   nan_to_num turns it into 0, which for a loss would look like the best trial.
 */
import { score, type Decision, type OracleInput, type TrialRecord } from './oracle.ts';
import { gridValues, isActive, pointKey, seededRandom, toUnit, valuesFrom, type HpValues, type Hyperparameter, type SearchSpace } from './search-space.ts';

export interface BayesianConfig {
  /** Random trials before the GP; 0 or absent: 3 × the number of hyperparameters (KerasTuner's default). */
  num_initial_points?: number;
  /** Added to the kernel's diagonal: the expected noise of the objective (KerasTuner: 1e-4). */
  alpha?: number;
  /** Exploration weight of the confidence bound (KerasTuner: 2.6). */
  beta?: number;
  /** The random stream's seed (KerasTuner draws one when absent; a pure oracle needs a fixed one). */
  seed?: number;
}

export const BAYESIAN_DEFAULTS = { alpha: 1e-4, beta: 2.6, seed: 0 } as const;

/** KerasTuner's Oracle._max_collisions: draws of an already-tried point before giving up. */
const MAX_COLLISIONS = 20;
const RANDOM_CANDIDATES = 256;
const LOCAL_STARTS = 5;
/** log10 of the length scales tried when fitting the kernel (sklearn's bounds are 1e-5..1e5; on [0, 1]^d these cover every useful one). */
const LOG_LENGTH_SCALES = Array.from({ length: 33 }, (_, i) => -2 + i * 0.125);

export const numInitialPoints = (space: SearchSpace, config: BayesianConfig) =>
  config.num_initial_points || 3 * Object.keys(space).length;

export function nextBayesian(input: OracleInput<BayesianConfig>): Decision {
  const { space, config, direction, trials, maxTrials } = input;
  if (trials.length >= maxTrials) return { kind: 'done' };
  const tried = new Set(trials.map((t) => pointKey(t.values)));
  // One stream per decision, so trial i's draws depend on the seed and i only.
  const random = seededRandom(mix(config.seed ?? BAYESIAN_DEFAULTS.seed, trials.length));
  if (trials.length < numInitialPoints(space, config)) return randomTrial(space, random, tried);

  const fitted = observations(trials, direction);
  if (!fitted) {
    const inFlight = trials.some((t) => t.state === 'queued' || t.state === 'running');
    return inFlight ? { kind: 'wait' } : randomTrial(space, random, tried);
  }
  const gp = fitGp(fitted.x.map((v) => toVector(space, v)), fitted.y, config.alpha ?? BAYESIAN_DEFAULTS.alpha);
  if (!gp) return randomTrial(space, random, tried);
  const values = minimizeAcquisition(space, gp, config.beta ?? BAYESIAN_DEFAULTS.beta, random, tried);
  return values ? { kind: 'trial', trial: { values } } : randomTrial(space, random, tried);
}

function mix(seed: number, n: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(n + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function randomTrial(space: SearchSpace, random: () => number, tried: Set<string>): Decision {
  for (let i = 0; i < MAX_COLLISIONS; i++) {
    const values = valuesFrom(space, () => random());
    if (!tried.has(pointKey(values))) return { kind: 'trial', trial: { values } };
  }
  return { kind: 'done' }; // as KerasTuner: no new point in 20 draws means the space is exhausted
}

/**
 * Completed trials' values and scores (lower is better), or undefined when none has a finite one.
 * A trial early_stopping stopped counts with the best it reached: it lagged, which the process
 * should learn, rather than have the point proposed again.
 */
function observations(trials: readonly TrialRecord[], direction: OracleInput<unknown>['direction']) {
  const done = trials.filter((t) => (t.state === 'completed' || t.state === 'stopped') && typeof t.objective === 'number');
  const scores = done.map((t) => score(t.objective!, direction));
  const finite = scores.filter(Number.isFinite);
  if (!finite.length) return undefined;
  const worst = Math.max(...finite);
  return { x: done.map((t) => t.values), y: scores.map((s) => (Number.isFinite(s) ? s : worst)) };
}

/** KerasTuner's Hyperparameter.default: the first value (false for a boolean, min for a range). */
const defaultValue = (hp: Hyperparameter) => gridValues(hp)?.[0] ?? (hp as { min: number }).min;

/** A point in [0, 1]^d, one coordinate per declared hyperparameter; inactive ones at their default, as KerasTuner does. */
function toVector(space: SearchSpace, values: HpValues): number[] {
  return Object.entries(space).map(([name, hp]) =>
    toUnit(hp, Object.hasOwn(values, name) && isActive(hp, values) ? values[name] : defaultValue(hp)),
  );
}

// ---- Gaussian process ----

interface Gp {
  x: number[][];
  /** Cholesky factor of K + alpha I, row-major. */
  l: Float64Array;
  /** (K + alpha I)^-1 y, y normalized. */
  w: Float64Array;
  lengthScale: number;
  mean: number;
  std: number;
}

const distance = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, ai, i) => s + (ai - b[i]) ** 2, 0));

function matern52(r: number, lengthScale: number): number {
  const d = (Math.sqrt(5) * r) / lengthScale;
  return (1 + d + (d * d) / 3) * Math.exp(-d);
}

/** Lower-triangular L with L L^T = a (n × n, row-major), or undefined when a is not positive definite. */
function cholesky(a: Float64Array, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0)) return undefined;
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j];
    }
  }
  return l;
}

/** Solves L v = b (forward substitution). */
function solveLower(l: Float64Array, b: ArrayLike<number>, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * v[k];
    v[i] = s / l[i * n + i];
  }
  return v;
}

/** Solves L^T v = b (back substitution). */
function solveUpperT(l: Float64Array, b: ArrayLike<number>, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * v[k];
    v[i] = s / l[i * n + i];
  }
  return v;
}

/** sklearn's GaussianProcessRegressor(Matern(nu=2.5), normalize_y=True, alpha) fit, the length scale by maximum likelihood. */
function fitGp(x: number[][], y: number[], alpha: number): Gp | undefined {
  const n = x.length;
  const mean = y.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(y.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  const std = sd > 0 ? sd : 1; // sklearn's _handle_zeros_in_scale
  const yn = y.map((v) => (v - mean) / std);
  const dist = x.map((a) => x.map((b) => distance(a, b)));
  let best: (Gp & { lml: number }) | undefined;
  for (const log of LOG_LENGTH_SCALES) {
    const lengthScale = 10 ** log;
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j] = matern52(dist[i][j], lengthScale) + (i === j ? alpha : 0);
    const l = cholesky(k, n);
    if (!l) continue;
    const w = solveUpperT(l, solveLower(l, yn, n), n);
    // log marginal likelihood, up to the constant -n/2 log 2π
    let lml = -0.5 * yn.reduce((s, v, i) => s + v * w[i], 0);
    for (let i = 0; i < n; i++) lml -= Math.log(l[i * n + i]);
    if (!best || lml > best.lml) best = { x, l, w, lengthScale, mean, std, lml };
  }
  return best;
}

/** Posterior mean and standard deviation at u, in the objective's units. */
function predict(gp: Gp, u: number[]): [number, number] {
  const n = gp.x.length;
  const k = gp.x.map((xi) => matern52(distance(xi, u), gp.lengthScale));
  const mu = k.reduce((s, ki, i) => s + ki * gp.w[i], 0);
  const v = solveLower(gp.l, k, n);
  const variance = Math.max(0, 1 - v.reduce((s, vi) => s + vi * vi, 0));
  return [mu * gp.std + gp.mean, Math.sqrt(variance) * gp.std];
}

// ---- acquisition ----

/** The untried point with the lowest mu - beta * sigma found, or undefined when every candidate was tried. */
function minimizeAcquisition(space: SearchSpace, gp: Gp, beta: number, random: () => number, tried: Set<string>): HpValues | undefined {
  const names = Object.keys(space);
  const seen = new Map<string, { values: HpValues; acq: number }>();
  const evaluate = (u: number[]): number => {
    const values = valuesFrom(space, (name) => u[names.indexOf(name)]);
    const key = pointKey(values);
    let entry = seen.get(key);
    if (!entry) {
      const [mu, sigma] = predict(gp, toVector(space, values));
      entry = { values, acq: mu - beta * sigma };
      seen.set(key, entry);
    }
    return entry.acq;
  };
  const starts = Array.from({ length: RANDOM_CANDIDATES }, () => names.map(() => random()))
    .map((u) => ({ u, f: evaluate(u) }))
    .sort((a, b) => a.f - b.f)
    .slice(0, LOCAL_STARTS);
  // Pattern search: move one coordinate by ±step while that lowers the bound, then halve the step.
  for (let { u, f } of starts) {
    for (let step = 0.1; step >= 1e-3; step /= 2) {
      for (let pass = 0, moved = true; moved && pass < 50; pass++) {
        moved = false;
        for (let i = 0; i < names.length; i++) {
          for (const sign of [-1, 1]) {
            const v = u.slice();
            v[i] = Math.min(1, Math.max(0, v[i] + sign * step));
            const fv = evaluate(v);
            if (fv < f) [u, f, moved] = [v, fv, true];
          }
        }
      }
    }
  }
  let pick: { values: HpValues; acq: number } | undefined;
  for (const [key, entry] of seen) if (!tried.has(key) && (!pick || entry.acq < pick.acq)) pick = entry;
  return pick?.values;
}
