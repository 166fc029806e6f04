/**
 * The CLI talks to the service through keras-jobs/client (typed from the OpenAPI document); here,
 * that client's errors become the CLI's exit codes and messages.
 */
import { ApiError, NetworkError, StreamLost, createClient, type KerasJobsClient } from '../client/index.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { formatProblem } from './problem.ts';

export type Client = KerasJobsClient;
export { createClient };

/** 4xx is the caller's to fix (exit 1); 5xx, no answer or a lost stream mean the service is not well (exit 3). */
export function asCliError(err: unknown): CliError | undefined {
  if (err instanceof ApiError) return new CliError(err.problem ? formatProblem(err.problem, err.status) : err.message, err.status >= 500 ? EXIT.unreachable : EXIT.failed);
  if (err instanceof NetworkError || err instanceof StreamLost) return new CliError(err.message, EXIT.unreachable);
  return undefined;
}
