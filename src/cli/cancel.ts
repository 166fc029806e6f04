/** `kjobs cancel`: ask the service to stop a job, and say where it stands. */
import type { Client } from './client.ts';

/**
 * A queued job is cancelled on the spot; a running one is only asked to stop (it does so within one
 * batch), so the answer can still say running. 404 and 409 (already finished) are thrown as ApiError.
 */
export async function cancelJob(client: Client, jobId: string): Promise<string> {
  const job = await client.ok(client.api.DELETE('/v1/jobs/{id}', { params: { path: { id: jobId } } }));
  if (job.state === 'cancelled') return `${job.id}: cancelled`;
  return `${job.id}: ${job.state}, cancel requested (a running job stops within one batch)`;
}
