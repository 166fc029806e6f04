/**
 * The sweep controller: KerasTuner's tuner loop, over ordinary fit jobs. Every API process runs
 * one; each running sweep is advanced by whichever holds its lease (a Redis key with a TTL), so a
 * controller that dies is replaced within a lease. Advancing a sweep reads its trials' job records,
 * records the ended ones (objective, best), asks the algorithm for more trials while fewer than
 * max_parallel_trials are active, and submits them through the same path as POST /v1/jobs.
 *
 * A trial is saved before its job is submitted, and submitted with an Idempotency-Key of the
 * sweep and trial, so a crash between the two submits the same job again, never a second one.
 *
 * A running controller also follows its trials' event streams: an epoch's end or a trial's end
 * advances the sweep at once rather than at the next tick. With an early_stopping policy, the
 * objective of every trial epoch is read from those streams into the trial's curve, in the order
 * the epochs ended, and the policy judges each new one; a trial it stops has its job cancelled with
 * the reason.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { compareStreamIds } from '../events/event-log.ts';
import type { Subscription } from '../events/event-hub.ts';
import type { Services } from '../plugins/services.ts';
import { submitJob } from '../jobs/submit.ts';
import { cancelJob } from '../jobs/cancel.ts';
import { TERMINAL_STATES, type JobRecord } from '../jobs/job-record.ts';
import { SpecError } from '../spec/problem.ts';
import type { JobCreate } from '../spec/schema.ts';
import { nextDecision } from './algorithms.ts';
import { stopReason, type Curve } from './early-stopping.ts';
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
function bestOf(values: readonly (number | null)[] | undefined, direction: 'min' | 'max'): number | undefined {
  const finite = values?.filter((v): v is number => Number.isFinite(v));
  if (!finite?.length) return undefined;
  return direction === 'min' ? Math.min(...finite) : Math.max(...finite);
}

/** A trial's objective: from its job's history; a stopped trial's, from the curve its epochs gave. */
function objectiveOf(trial: SweepTrial, record: JobRecord, name: string, direction: 'min' | 'max'): number | undefined {
  return bestOf(record.history?.[name]?.slice(trial.initial_epoch ?? 0), direction) ?? bestOf(trial.curve, direction);
}

/** A trial epoch's objective as read from its job's epoch_end event. */
interface EpochResult {
  trial: SweepTrial;
  /** 1-based, of the trial's own epochs. */
  epoch: number;
  value: number | null;
  eventId: string;
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
  /** Set by start(): only a running controller follows trials' streams (tick() alone does not). */
  private live = false;
  /** Passes over sweeps run one at a time: the tick's and those an event asks for. */
  private queue: Promise<void> = Promise.resolve();
  private readonly wakeRequested = new Set<string>();
  /** The trials' streams followed, by job id. */
  private readonly watched = new Map<string, { sweepId: string; subscription: Subscription }>();
  /** The last event read into a trial's curve, by job id (a successor reads from the start and skips epochs it has). */
  private readonly cursors = new Map<string, string>();

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
    this.live = true;
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
    for (const { subscription } of this.watched.values()) subscription.close();
    this.watched.clear();
    await this.ticking;
    await this.queue;
    // Give the leases back: another controller takes the sweeps over at once.
    for (const id of await this.sweeps.active().catch(() => [])) {
      const key = this.services.keys.sweepLease(id);
      if ((await this.services.redis.get(key).catch(() => null)) === this.owner) await this.services.redis.del(key).catch(() => {});
    }
  }

  /** One pass over the running sweeps this controller holds (or can take). */
  tick(): Promise<void> {
    return this.serially(async () => {
      for (const id of await this.sweeps.active()) {
        if (this.stopped) return;
        await this.advanceHeld(id);
      }
    });
  }

  private serially(pass: () => Promise<void>): Promise<void> {
    const run = this.queue.then(pass);
    this.queue = run.catch(() => {});
    return run;
  }

  private async advanceHeld(id: string): Promise<void> {
    try {
      if (!(await this.lease(id))) return this.unwatch(id);
      await this.advance(id);
    } catch (err) {
      this.log.warn({ err, sweepId: id }, 'sweep not advanced; retried at the next tick');
    }
  }

  /** An event of one of its trials: advance that sweep now (one pass queued at a time). */
  private wake(sweepId: string): void {
    if (this.stopped || this.wakeRequested.has(sweepId)) return;
    this.wakeRequested.add(sweepId);
    void this.serially(async () => {
      this.wakeRequested.delete(sweepId);
      if (!this.stopped) await this.advanceHeld(sweepId);
    });
  }

  /** Follows the streams of the sweep's active trials, and no others of it. */
  private async watch(sweep: SweepRecord): Promise<void> {
    if (!this.live || this.stopped) return;
    const active = new Set(sweep.state === 'running' ? sweep.trials.filter((t) => ACTIVE.has(t.state) && t.job_id).map((t) => t.job_id!) : []);
    for (const [jobId, w] of this.watched) {
      if (w.sweepId === sweep.id && !active.has(jobId)) {
        w.subscription.close();
        this.watched.delete(jobId);
        this.cursors.delete(jobId);
      }
    }
    for (const jobId of active) {
      if (this.watched.has(jobId)) continue;
      const entry = { sweepId: sweep.id, subscription: { close() {} } as Subscription };
      this.watched.set(jobId, entry);
      entry.subscription = await this.services.hub.subscribe(jobId, this.cursors.get(jobId) ?? '0', (events) => {
        if (events.some((e) => e.type === 'epoch_end' || TERMINAL_STATES.has(e.type))) this.wake(sweep.id);
      });
      // Closed while subscribing (the trial ended, the controller stopped): let go of it.
      if (this.watched.get(jobId) !== entry) entry.subscription.close();
    }
  }

  private unwatch(sweepId: string): void {
    for (const [jobId, w] of this.watched) {
      if (w.sweepId !== sweepId) continue;
      w.subscription.close();
      this.watched.delete(jobId);
      this.cursors.delete(jobId);
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
    if (sweep.state !== 'running') {
      this.unwatch(id);
      return this.sweeps.end(sweep, this.services.config.jobTtlS);
    }
    await this.collect(sweep);
    if (await this.sweeps.cancelRequested(sweep.id)) await this.cancel(sweep);
    else await this.startTrials(sweep);
    await this.watch(sweep);
  }

  /**
   * With early_stopping: the epochs the active trials ended since the last pass, into their
   * curves in the order they ended, each judged by the policy against every other trial's curve.
   */
  private async followCurves(sweep: SweepRecord, records: (JobRecord | undefined)[], active: SweepTrial[]): Promise<boolean> {
    const policy = sweep.spec.early_stopping;
    if (!policy) return false;
    const { name, direction } = sweep.spec.objective;
    // Stopped by a controller that died before it cancelled the job: cancel it now.
    for (const [i, trial] of active.entries()) {
      const record = records[i];
      if (trial.stopped_reason && record && !TERMINAL_STATES.has(record.state) && !record.cancel_requested) await this.stopTrial(sweep, trial, record);
    }
    const results: EpochResult[] = [];
    for (const trial of active) {
      const jobId = trial.job_id!;
      for (let cursor = this.cursors.get(jobId) ?? '0'; ; ) {
        const events = await this.services.events.readAfter(jobId, cursor);
        if (events.length === 0) break;
        cursor = events.at(-1)!.id;
        this.cursors.set(jobId, cursor);
        for (const e of events) {
          if (e.type !== 'epoch_end') continue;
          const data = e.data as { epoch: number; logs: Record<string, number> };
          const value = data.logs?.[name];
          results.push({ trial, epoch: data.epoch - (trial.initial_epoch ?? 0) + 1, value: Number.isFinite(value) ? value : null, eventId: e.id });
        }
      }
    }
    results.sort((a, b) => compareStreamIds(a.eventId, b.eventId));
    // The epochs a trial runs to (a hyperparameter, perhaps): nothing is stopped at its last one.
    const epochsOf = (t: SweepTrial) => Number((trialJob(sweep, { values: t.hyperparameters }) as { fit?: { epochs?: number } }).fit?.epochs ?? 1);
    let changed = false;
    for (const r of results) {
      const curve = (r.trial.curve ??= []);
      // Only the next epoch: one seen before (a resumed job re-announces, a successor re-reads) is skipped.
      if (r.epoch !== curve.length + 1) continue;
      curve.push(r.value);
      changed = true;
      const record = records[active.indexOf(r.trial)];
      if (r.trial.stopped_reason || !record || TERMINAL_STATES.has(record.state)) continue;
      const others: Curve[] = sweep.trials.filter((t) => t !== r.trial && t.curve?.length).map((t) => ({ id: t.id, values: t.curve!.slice(0, t.stopped_at_epoch) }));
      const reason = stopReason(policy, { name, direction }, { id: r.trial.id, values: curve }, others, epochsOf(r.trial));
      if (!reason) continue;
      // The decision is saved first: a successor finds it and cancels the job, should this controller die here.
      r.trial.stopped_reason = reason;
      r.trial.stopped_at_epoch = r.epoch;
      await this.sweeps.save(sweep);
      await this.stopTrial(sweep, r.trial, record);
    }
    return changed;
  }

  private async stopTrial(sweep: SweepRecord, trial: SweepTrial, record: JobRecord): Promise<void> {
    await cancelJob(this.services, record, `stopped by the sweep's early_stopping: ${trial.stopped_reason}`);
    await this.emit(sweep, 'trial_stopped', { trial_id: trial.id, job_id: trial.job_id, epoch: trial.stopped_at_epoch, reason: trial.stopped_reason });
  }

  /** Reads the active trials' jobs; records the ones that ended. */
  private async collect(sweep: SweepRecord): Promise<void> {
    const active = sweep.trials.filter((t) => ACTIVE.has(t.state) && t.job_id);
    const records = await this.services.jobs.getMany(active.map((t) => t.job_id!));
    const { name, direction } = sweep.spec.objective;
    let changed = await this.followCurves(sweep, records, active);
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
      // Stopped: its job was cancelled by early_stopping (one that finished first stays completed).
      trial.state = trial.stopped_reason && record.state === 'cancelled' ? 'stopped' : (record.state as SweepTrial['state']);
      trial.epochs_run = record.progress?.epoch ?? trial.curve?.length ?? null;
      trial.objective = objectiveOf(trial, record, name, direction) ?? null;
      if (record.state === 'completed' && trial.objective === null) {
        trial.error = `the objective "${name}" is not in the trial's history (keys: ${Object.keys(record.history ?? {}).join(', ') || 'none'})`;
      } else if (record.error) {
        trial.error = record.error.message;
      }
      changed = true;
      await this.emit(sweep, 'trial_ended', {
        trial_id: trial.id,
        job_id: trial.job_id,
        state: trial.state,
        objective: trial.objective,
        epochs_run: trial.epochs_run,
        hyperparameters: trial.hyperparameters,
        ...(trial.error ? { error: trial.error } : {}),
        ...(trial.state === 'stopped' ? { stopped_reason: trial.stopped_reason } : {}),
      });
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
