/**
 * The sweep controller: KerasTuner's tuner loop, over ordinary fit jobs. Every API process runs
 * one; each running sweep is advanced by whichever holds its lease (a Redis key with a TTL), so a
 * controller that dies is replaced within a lease. Advancing a sweep reads its trials' job records,
 * records the ended ones (objective, best), asks the algorithm for more trials while fewer than
 * max_parallel_trials are active, and submits them through the same path as POST /v1/jobs.
 *
 * A trial is saved before its job is submitted, and submitted with an Idempotency-Key of the
 * sweep and trial, so a crash between the two submits the same job again, never a second one.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Services } from '../plugins/services.ts';
import { submitJob } from '../jobs/submit.ts';
import { cancelJob } from '../jobs/cancel.ts';
import { TERMINAL_STATES, type JobRecord } from '../jobs/job-record.ts';
import { SpecError } from '../spec/problem.ts';
import type { JobCreate } from '../spec/schema.ts';
import { nextDecision } from './algorithms.ts';
import { score, type TrialPlan, type TrialRecord } from './oracle.ts';
import type { SweepTrial } from './schema.ts';
import { substitute, type SearchSpace } from './search-space.ts';
import type { SweepRecord, SweepStore } from './sweep-store.ts';

/** The trial as the algorithms see it. */
const asTrialRecord = (t: SweepTrial): TrialRecord => ({
  id: t.id,
  values: t.hyperparameters,
  state: t.state,
  objective: t.objective ?? undefined,
  epochs: t.epochs,
  initialEpoch: t.initial_epoch,
  parent: t.parent,
  bracket: t.bracket,
  round: t.round,
});

const ACTIVE = new Set(['queued', 'running']);

/** KerasTuner's trial objective: the best epoch's value (of this trial's own epochs). */
function objectiveOf(record: JobRecord, name: string, direction: 'min' | 'max', fromEpoch: number): number | undefined {
  const values = record.history?.[name]?.slice(fromEpoch).filter(Number.isFinite);
  if (!values?.length) return undefined;
  return direction === 'min' ? Math.min(...values) : Math.max(...values);
}

/** The fit job a trial runs: the base with its values, and Hyperband's budget and continuation. */
export function trialJob(sweep: SweepRecord, plan: TrialPlan, parentModel?: string): JobCreate {
  const body = substitute(sweep.spec.base, sweep.spec.search_space as SearchSpace, plan.values) as JobCreate & { fit: Record<string, unknown> };
  if (plan.epochs === undefined) return body;
  const fit = { ...body.fit, epochs: plan.epochs, ...(plan.initialEpoch ? { initial_epoch: plan.initialEpoch } : {}) };
  // A continuation trains the parent's model on from its last epoch (KerasTuner loads the parent's checkpoint).
  if (parentModel) return { ...body, model: undefined, compile: undefined, initial_model: { model_id: parentModel }, fit } as JobCreate;
  return { ...body, fit } as JobCreate;
}

export interface ControllerOptions {
  intervalMs?: number;
  leaseMs?: number;
}

export class SweepController {
  private readonly owner = randomUUID();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private stopped = false;
  private readonly intervalMs: number;
  private readonly leaseMs: number;

  constructor(
    private readonly services: Services,
    private readonly sweeps: SweepStore,
    private readonly log: FastifyBaseLogger,
    options: ControllerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 500;
    this.leaseMs = options.leaseMs ?? 10_000;
  }

  /**
   * Starts the loop; resolves after the first pass (or 2 s, if Redis is slow to answer), so the
   * API's Redis connection is up by the time the server says it listens.
   */
  async start(): Promise<void> {
    const loop = () => {
      if (this.stopped) return;
      this.ticking = this.tick()
        .catch((err) => this.log.warn({ err }, 'sweep controller tick failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.intervalMs);
        });
    };
    loop();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.ticking, new Promise((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    // Give the leases back: another controller takes the sweeps over at once.
    for (const id of await this.sweeps.active().catch(() => [])) {
      const key = this.services.keys.sweepLease(id);
      if ((await this.services.redis.get(key).catch(() => null)) === this.owner) await this.services.redis.del(key).catch(() => {});
    }
  }

  /** One pass over the running sweeps this controller holds (or can take). */
  async tick(): Promise<void> {
    for (const id of await this.sweeps.active()) {
      if (this.stopped) return;
      if (!(await this.lease(id))) continue;
      try {
        await this.advance(id);
      } catch (err) {
        this.log.warn({ err, sweepId: id }, 'sweep not advanced; retried at the next tick');
      }
    }
  }

  private async lease(id: string): Promise<boolean> {
    const { redis, keys } = this.services;
    const key = keys.sweepLease(id);
    if ((await redis.set(key, this.owner, 'PX', this.leaseMs, 'NX')) === 'OK') return true;
    if ((await redis.get(key)) !== this.owner) return false;
    await redis.pexpire(key, this.leaseMs);
    return true;
  }

  private emit(sweep: SweepRecord, type: string, data: unknown, terminal = false) {
    return this.services.events.append(sweep.id, type, data, terminal ? this.services.config.jobTtlS : undefined);
  }

  /** Brings one sweep up to date: ended trials recorded, new ones started, the end declared. */
  async advance(id: string): Promise<void> {
    const sweep = await this.sweeps.get(id);
    if (!sweep) {
      await this.services.redis.srem(this.services.keys.activeSweeps(), id);
      return;
    }
    if (sweep.state !== 'running') return this.sweeps.end(sweep, this.services.config.jobTtlS);
    await this.collect(sweep);
    if (await this.sweeps.cancelRequested(sweep.id)) return this.cancel(sweep);
    await this.startTrials(sweep);
  }

  /** Reads the active trials' jobs; records the ones that ended. */
  private async collect(sweep: SweepRecord): Promise<void> {
    const active = sweep.trials.filter((t) => ACTIVE.has(t.state) && t.job_id);
    const records = await this.services.jobs.getMany(active.map((t) => t.job_id!));
    const { name, direction } = sweep.spec.objective;
    let changed = false;
    for (const [i, trial] of active.entries()) {
      const record = records[i];
      if (!record) {
        Object.assign(trial, { state: 'failed', error: 'its job record expired before the sweep read it' });
        changed = true;
        continue;
      }
      if (!TERMINAL_STATES.has(record.state)) {
        if (record.state !== trial.state) {
          trial.state = record.state as SweepTrial['state'];
          changed = true;
        }
        continue;
      }
      trial.state = record.state as SweepTrial['state'];
      trial.epochs_run = record.progress?.epoch ?? null;
      trial.objective = objectiveOf(record, name, direction, trial.initial_epoch ?? 0) ?? null;
      if (record.state === 'completed' && trial.objective === null) {
        trial.error = `the objective "${name}" is not in the trial's history (keys: ${Object.keys(record.history ?? {}).join(', ') || 'none'})`;
      } else if (record.error) {
        trial.error = record.error.message;
      }
      changed = true;
      await this.emit(sweep, 'trial_ended', { trial_id: trial.id, job_id: trial.job_id, state: trial.state, objective: trial.objective, epochs_run: trial.epochs_run, hyperparameters: trial.hyperparameters, ...(trial.error ? { error: trial.error } : {}) });
      if (trial.objective !== null && (!sweep.best || score(trial.objective, direction) < score(sweep.best.objective, direction))) {
        sweep.best = { trial_id: trial.id, job_id: trial.job_id!, hyperparameters: trial.hyperparameters, objective: trial.objective, model_id: record.model_id ?? null };
        await this.emit(sweep, 'new_best', sweep.best);
      }
    }
    if (changed) await this.sweeps.save(sweep);
  }

  /** Starts trials while the algorithm has some and fewer than max_parallel_trials are active. */
  private async startTrials(sweep: SweepRecord): Promise<void> {
    const parallel = sweep.spec.max_parallel_trials ?? 1;
    for (;;) {
      // A trial saved but not submitted (a crash in between): submit it first, under the same key.
      const unsent = sweep.trials.find((t) => t.state === 'queued' && !t.job_id);
      if (unsent) {
        if (!(await this.submit(sweep, unsent))) return;
        continue;
      }
      if (sweep.trials.filter((t) => ACTIVE.has(t.state)).length >= parallel) return;
      const decision = nextDecision(sweep.spec.algorithm, {
        space: sweep.spec.search_space as SearchSpace,
        direction: sweep.spec.objective.direction,
        trials: sweep.trials.map(asTrialRecord),
        maxTrials: sweep.spec.max_trials,
      });
      if (decision.kind === 'wait') return;
      if (decision.kind === 'done') {
        if (sweep.trials.some((t) => ACTIVE.has(t.state))) return;
        return this.finish(sweep, 'completed');
      }
      const plan = decision.trial;
      sweep.trials.push({
        id: String(sweep.trials.length),
        job_id: null,
        hyperparameters: plan.values,
        state: 'queued',
        objective: null,
        epochs_run: null,
        ...(plan.epochs !== undefined ? { epochs: plan.epochs } : {}),
        ...(plan.initialEpoch ? { initial_epoch: plan.initialEpoch } : {}),
        ...(plan.parent !== undefined ? { parent: plan.parent } : {}),
        ...(plan.bracket !== undefined ? { bracket: plan.bracket, round: plan.round } : {}),
      });
      await this.sweeps.save(sweep);
    }
  }

  /** Submits a saved trial's job. False: not now (the tenant is at a quota, Redis is away); retried next tick. */
  private async submit(sweep: SweepRecord, trial: SweepTrial): Promise<boolean> {
    const parent = trial.parent !== undefined ? sweep.trials.find((t) => t.id === trial.parent) : undefined;
    const parentModel = parent?.state === 'completed' && parent.job_id ? (await this.services.jobs.get(parent.job_id))?.model_id : undefined;
    const plan: TrialPlan = { values: trial.hyperparameters, epochs: trial.epochs, initialEpoch: trial.initial_epoch };
    if (parent && !parentModel) return this.refuse(sweep, trial, `it continues trial ${parent.id}, which ended ${parent.state} without a model to continue`);
    try {
      const { record } = await submitJob(this.services, trialJob(sweep, plan, parentModel), this.log, { tenant: sweep.tenant, idempotencyKey: `sweep-${sweep.id}-trial-${trial.id}` });
      trial.job_id = record.id;
      await this.sweeps.save(sweep);
      await this.emit(sweep, 'trial_started', { trial_id: trial.id, job_id: record.id, hyperparameters: trial.hyperparameters, ...(trial.epochs !== undefined ? { epochs: trial.epochs, initial_epoch: trial.initial_epoch ?? 0 } : {}) });
      return true;
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      // These values make a spec the service refuses: the trial fails, the search goes on.
      if (err instanceof SpecError || status === 422 || status === 400 || status === 404) return this.refuse(sweep, trial, (err as Error).message);
      this.log.info({ sweepId: sweep.id, trial: trial.id, err: (err as Error).message }, 'trial not submitted yet');
      return false;
    }
  }

  /** A trial that cannot run: failed with the reason, and the search goes on. */
  private async refuse(sweep: SweepRecord, trial: SweepTrial, error: string): Promise<true> {
    Object.assign(trial, { state: 'failed', error });
    await this.sweeps.save(sweep);
    await this.emit(sweep, 'trial_ended', { trial_id: trial.id, job_id: null, state: 'failed', objective: null, epochs_run: null, hyperparameters: trial.hyperparameters, error });
    return true;
  }

  private async cancel(sweep: SweepRecord): Promise<void> {
    for (const trial of sweep.trials.filter((t) => ACTIVE.has(t.state))) {
      const record = trial.job_id ? await this.services.jobs.get(trial.job_id) : undefined;
      if (record && !TERMINAL_STATES.has(record.state)) await cancelJob(this.services, record, 'the sweep was cancelled');
      trial.state = 'cancelled';
    }
    await this.finish(sweep, 'cancelled');
  }

  private async finish(sweep: SweepRecord, state: 'completed' | 'cancelled' | 'failed', error?: string): Promise<void> {
    sweep.state = state;
    sweep.ended_at = new Date().toISOString();
    if (error) sweep.error = error;
    await this.sweeps.end(sweep, this.services.config.jobTtlS);
    await this.emit(sweep, state, { state, best: sweep.best ?? null, trials: sweep.trials.length, ...(error ? { error } : {}) }, true);
  }
}
