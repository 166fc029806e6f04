/** What goes wrong talking to the service, as errors a caller can branch on. */
import type { components } from './schema.d.ts';

export type Problem = components['schemas']['Problem'];

const isProblem = (value: unknown): value is Problem => typeof value === 'object' && value !== null && ('detail' in value || 'title' in value);

/** The service answered, but not with success: status and, when it sent one, its problem. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    text = '',
  ) {
    super(problem ? `${problem.title} (${status}): ${problem.detail}` : `HTTP ${status}${text ? `: ${text.slice(0, 500)}` : ''}`);
  }

  /** From an answer that is not 2xx; its body is read. */
  static async from(res: Response): Promise<ApiError> {
    const text = await res.text().catch(() => '');
    let problem: Problem | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (isProblem(parsed)) problem = parsed;
    } catch {
      // Not JSON (a proxy's HTML error page, say): the raw text is kept instead.
    }
    return new ApiError(res.status, problem, text);
  }
}

/** No HTTP answer at all; the message names the URL (the usual culprit is the base URL). */
export class NetworkError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`cannot reach ${url}: ${describeCause(cause)}`);
  }
}

/** A job's event stream was lost and could not be re-established. */
export class StreamLost extends Error {}

/** fetch hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`. */
function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.message ?? cause?.code ?? (err as Error).message ?? String(err);
}
