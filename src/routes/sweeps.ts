/**
 * /v1/sweeps: KerasTuner-style hyperparameter searches over fit jobs. The API checks a sweep in
 * full (search space, placeholders, the base job with sample values) and records it; the sweep
 * controller (sweeps/controller.ts, one per API process, started when it listens) runs its trials.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { SweepFinished, SweepNotFound } from '../errors.ts';
import { checkForTenant } from '../jobs/submit.ts';
import { SpecError, type SpecIssue } from '../spec/problem.ts';
import { checkNesting } from '../spec/limits.ts';
import { FitJobCreate, type JobCreate } from '../spec/schema.ts';
import { SweepController } from '../sweeps/controller.ts';
import { SweepCreate, SweepView } from '../sweeps/schema.ts';
import { checkSearchSpace, gridPoints, gridValues, placeholders, randomValues, seededRandom, substitute, type SearchSpace } from '../sweeps/search-space.ts';
import { SweepStore, sweepLinks, type SweepRecord } from '../sweeps/sweep-store.ts';
import { EventStreamHeaders, EventStreamQuery, eventStreamer } from './events.ts';
import { ProblemSchema } from './problem-schema.ts';
import { JobEvent as JobEventSchema } from '../events/event-schemas.ts';

const SweepParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' }) });
const SweepAccepted = Type.Object({ id: Type.String(), state: Type.Literal('running'), links: Type.Object({ self: Type.String(), events: Type.String() }) }, { title: 'SweepAccepted' });
const SweepList = Type.Object({ sweeps: Type.Array(SweepView) }, { title: 'SweepList' });

const viewOf = ({ tenant: _tenant, ...record }: SweepRecord): SweepView => ({ ...record, links: sweepLinks(record.id) });

/** An early_stopping policy that could never stop a trial, or that needs what the sweep lacks. */
function earlyStoppingIssues(body: SweepCreate, fit: Record<string, unknown> | undefined): SpecIssue[] {
  const policy = body.early_stopping;
  if (!policy) return [];
  if (body.algorithm.class_name === 'Hyperband') return [{ pointer: '/early_stopping', message: 'Hyperband stops trials itself (its brackets); early_stopping is for GridSearch, RandomSearch and BayesianOptimization' }];
  const epochs = fit?.epochs ?? 1;
  if (typeof epochs !== 'number') {
    if (policy.class_name === 'ASHA') return [{ pointer: '/base/fit/epochs', message: "ASHA's rungs are set by the trials' epochs (Ray's max_t): they must be a number here, not a hyperparameter" }];
    return [];
  }
  const grace = policy.config?.grace_period ?? 1;
  if (grace >= epochs) return [{ pointer: '/early_stopping/config/grace_period', message: `${grace} leaves no epoch to stop a trial at: trials run ${epochs} epoch${epochs === 1 ? '' : 's'} (base.fit.epochs)` }];
  return [];
}

/** Everything wrong with a sweep that the schema cannot see; the body with its seeds resolved. */
async function checkSweep(body: SweepCreate, check: (job: JobCreate) => Promise<unknown>): Promise<SweepCreate> {
  const space = body.search_space as SearchSpace;
  const issues: SpecIssue[] = checkSearchSpace(space);
  const used = new Set<string>();
  for (const { pointer, name } of placeholders(body.base)) {
    if (typeof name !== 'string' || !Object.hasOwn(space, name)) issues.push({ pointer: `/base${pointer}`, message: `{"$hp": ${JSON.stringify(name)}} names no hyperparameter of search_space` });
    else used.add(name);
  }
  // Declared but never placed: it would be searched without changing anything.
  for (const name of Object.keys(space)) if (!used.has(name) && !Object.values(space).some((hp) => hp.parent?.name === name)) issues.push({ pointer: `/search_space/${name}`, message: 'is not used: no {"$hp": ...} in base names it, and no hyperparameter is conditional on it' });
  const { algorithm } = body;
  if (algorithm.class_name === 'GridSearch') {
    for (const [name, hp] of Object.entries(space)) if (!gridValues(hp)) issues.push({ pointer: `/search_space/${name}/step`, message: 'GridSearch needs a step for a float hyperparameter (KerasTuner does too)' });
  }
  const fit = (body.base as { fit?: Record<string, unknown> }).fit;
  if (algorithm.class_name === 'Hyperband') {
    // Hyperband gives every trial its epochs and initial epoch (KerasTuner's tuner/epochs).
    for (const key of ['epochs', 'initial_epoch']) if (fit && Object.hasOwn(fit, key)) issues.push({ pointer: `/base/fit/${key}`, message: `Hyperband sets each trial's ${key} from max_epochs and factor; leave it out` });
  }
  issues.push(...earlyStoppingIssues(body, fit));
  if (issues.length) throw new SpecError(issues);
  // A seed the sweep keeps, so its trials are reproducible and a restarted controller draws the same.
  const resolved = structuredClone(body);
  if (resolved.algorithm.class_name !== 'GridSearch') {
    const config = (resolved.algorithm.config ??= {} as never) as { seed?: number };
    config.seed ??= randomInt(2 ** 31 - 1);
  }
  // The base with one point of the space must be a job the service takes.
  const sample = algorithm.class_name === 'GridSearch' ? gridPoints(space)[0] : randomValues(space, seededRandom(0));
  const job = substitute(body.base, space, sample) as JobCreate;
  if (algorithm.class_name === 'Hyperband') (job as { fit: Record<string, unknown> }).fit = { ...fit, epochs: 1 };
  const [first] = [...Value.Errors(FitJobCreate, job)];
  if (first) throw new SpecError({ pointer: `/base${first.instancePath}`, message: `with hyperparameters ${JSON.stringify(sample)}: ${first.message}` });
  try {
    await check(job);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    throw new SpecError(err.issues.map((i) => ({ pointer: `/base${i.pointer}`, message: `with hyperparameters ${JSON.stringify(sample)}: ${i.message}` })));
  }
  return resolved;
}

const sweeps: FastifyPluginAsyncTypebox = async (app) => {
  const { redis, keys, config, events } = app.services;
  const store = new SweepStore(redis, keys);
  const controller = new SweepController(app.services, store, app.log, { intervalMs: config.sweepIntervalMs });
  // Only a serving API advances sweeps (building the app for the OpenAPI document must not).
  app.addHook('onListen', async () => controller.start());
  app.addHook('preClose', async () => controller.stop());
  const stream = eventStreamer(app);

  app.post('/v1/sweeps', {
    schema: {
      operationId: 'createSweep',
      tags: ['sweeps'],
      summary: 'Start a hyperparameter sweep (KerasTuner-style)',
      description: 'Every trial is an ordinary fit job (in /v1/jobs, with its own events, checkpoints and model), run on any worker, up to max_parallel_trials at once. The base job is checked with one point of the space before the sweep is accepted.',
      body: SweepCreate,
      response: { 202: SweepAccepted, 400: ProblemSchema, 422: ProblemSchema, 429: ProblemSchema, 503: ProblemSchema },
    },
    handler: async (req, reply) => {
      checkNesting(req.body);
      const spec = await checkSweep(req.body, (job) => checkForTenant(app.services, req.tenant, job));
      const id = randomUUID();
      const record: SweepRecord = { id, tenant: req.tenant, state: 'running', created_at: new Date().toISOString(), spec, trials: [], best: null };
      await store.create(record);
      await events.append(id, 'state', { state: 'running' });
      req.log.info({ sweepId: id, algorithm: spec.algorithm.class_name, max_trials: spec.max_trials }, 'sweep accepted');
      return reply.code(202).header('location', `/v1/sweeps/${id}`).send({ id, state: 'running', links: sweepLinks(id) });
    },
  });

  app.get('/v1/sweeps', {
    schema: { operationId: 'listSweeps', tags: ['sweeps'], summary: "The tenant's sweeps, newest first", querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) }), response: { 200: SweepList } },
    handler: async (req) => ({ sweeps: (await store.list(req.tenant, req.query.limit ?? 50)).map(viewOf) }),
  });

  app.get('/v1/sweeps/:id', {
    schema: { operationId: 'getSweep', tags: ['sweeps'], summary: 'A sweep: its trials (hyperparameters, state, objective) and the best so far', params: SweepParams, response: { 200: SweepView, 404: ProblemSchema } },
    handler: async (req) => {
      const record = await store.getOwned(req.params.id, req.tenant);
      if (!record) throw new SweepNotFound(req.params.id);
      return viewOf(record);
    },
  });

  app.delete('/v1/sweeps/:id', {
    schema: {
      operationId: 'cancelSweep',
      tags: ['sweeps'],
      summary: 'Cancel a sweep and its queued and running trials',
      description: 'The controller cancels every trial not yet ended (queued ones leave the queue, running ones stop within a batch) and ends the sweep in cancelled.',
      params: SweepParams,
      response: { 202: SweepView, 404: ProblemSchema, 409: ProblemSchema },
    },
    handler: async (req, reply) => {
      const record = await store.getOwned(req.params.id, req.tenant);
      if (!record) throw new SweepNotFound(req.params.id);
      if (record.state !== 'running') throw new SweepFinished(record.id, record.state);
      await store.requestCancel(record.id, config.jobTtlS);
      return reply.code(202).send(viewOf(record));
    },
  });

  app.get('/v1/sweeps/:id/events', {
    schema: {
      operationId: 'streamSweepEvents',
      tags: ['sweeps'],
      summary: 'Follow a sweep live (text/event-stream)',
      description: 'Events: state, trial_started {trial_id, job_id, hyperparameters}, trial_stopped {trial_id, job_id, epoch, reason} (early_stopping cancelled the trial\'s job), trial_ended {trial_id, state, objective, epochs_run, stopped_reason?}, new_best, then completed / cancelled / failed, after which the stream closes. Replayable with Last-Event-ID, as a job\'s stream.',
      params: SweepParams,
      querystring: EventStreamQuery,
      headers: EventStreamHeaders,
      response: { 200: { description: "The sweep's events as server-sent events.", content: { 'text/event-stream': { schema: JobEventSchema } } }, 400: ProblemSchema, 404: ProblemSchema, 429: ProblemSchema },
    },
    handler: async (req, reply) => {
      const record = await store.getOwned(req.params.id, req.tenant);
      if (!record) throw new SweepNotFound(req.params.id);
      return stream(req, reply, record.id);
    },
  });
};

export default sweeps;
