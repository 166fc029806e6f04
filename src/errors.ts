/** Every error the API answers with, by code. Bodies are application/problem+json (RFC 9457). */
import createError from '@fastify/error';

export const JobNotFound = createError('KJ_ERR_JOB_NOT_FOUND', 'No job with id "%s"', 404);
export const ModelNotFound = createError('KJ_ERR_MODEL_NOT_FOUND', 'No model with id "%s"', 404);
export const CheckpointNotFound = createError('KJ_ERR_CHECKPOINT_NOT_FOUND', 'Model "%s" has no checkpoint "%s"', 404);
export const FileNotFound = createError('KJ_ERR_FILE_NOT_FOUND', 'Model "%s" has no file "%s"', 404);
export const BadEventId = createError('KJ_ERR_BAD_EVENT_ID', 'Last-Event-ID "%s" is not an event id of this stream (expected "<ms>-<seq>")', 400);
export const JobFinished = createError('KJ_ERR_JOB_FINISHED', 'Job "%s" has already ended (%s)', 409);
export const SweepNotFound = createError('KJ_ERR_SWEEP_NOT_FOUND', 'No sweep with id "%s"', 404);
export const SweepFinished = createError('KJ_ERR_SWEEP_FINISHED', 'Sweep "%s" has already ended (%s)', 409);
export const BadCursor = createError('KJ_ERR_BAD_CURSOR', 'cursor "%s" is not a job id of this listing', 400);
export const NoPredictions = createError('KJ_ERR_NO_PREDICTIONS', 'Job "%s" has no predictions (not a predict job, or not finished)', 409);
export const ResultNotFound = createError('KJ_ERR_RESULT_NOT_FOUND', 'Job "%s" has no result file "%s"; it has %s', 404);
export const IdempotencyMismatch = createError('KJ_ERR_IDEMPOTENCY_MISMATCH', 'Idempotency-Key "%s" was already used with a different body', 422);
export const IdempotencyInFlight = createError('KJ_ERR_IDEMPOTENCY_IN_FLIGHT', 'A request with Idempotency-Key "%s" is still being accepted; retry shortly', 409);
export const InUse = createError('KJ_ERR_IN_USE', '%s "%s" is in use by %s: cancel them or wait for them to end', 409);
export const BeingDeleted = createError('KJ_ERR_BEING_DELETED', '%s "%s" is being deleted', 409);
export const ImportTooLarge = createError('KJ_ERR_IMPORT_TOO_LARGE', 'The Keras file is larger than %s bytes (MODEL_IMPORT_MAX_BYTES)', 413);
export const QueueUnavailable = createError('KJ_ERR_QUEUE_UNAVAILABLE', 'The job could not be queued: %s', 503);

const TooManyForTenant = createError('KJ_ERR_QUOTA', '%s', 429);
const DiskFullForTenant = createError('KJ_ERR_DISK_QUOTA', '%s', 507);

/** A per-tenant limit: its setting, what it counts, the tenant's use and the limit. */
export interface Quota {
  limit: string;
  what: string;
  used: number;
  max: number;
}

/** 429 (507 for disk) naming the limit and the tenant's current use; the problem body carries `quota`. */
export function quotaExceeded(tenant: string, quota: Quota): Error {
  const message = `tenant "${tenant}" is at its limit of ${quota.max} ${quota.what} (${quota.limit}); it has ${quota.used}`;
  const err = quota.limit === 'TENANT_MAX_DISK_BYTES' ? new DiskFullForTenant(message) : new TooManyForTenant(message);
  return Object.assign(err, { quota });
}

export interface ProblemIssue {
  pointer: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string;
  errors?: ProblemIssue[];
  quota?: Quota;
}
