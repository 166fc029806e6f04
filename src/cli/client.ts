/** HTTP calls to the service: one place for the base URL, the API key and how failures read. */
import { CliError, EXIT } from './exit-codes.ts';
import { formatProblem, isProblem, type Problem } from './problem.ts';

export interface ClientConfig {
  baseUrl: string;
  apiKey?: string;
}

/** The service answered, but not with success. 4xx is the caller's to fix (exit 1); 5xx means the service is not well (exit 3). */
export class ApiError extends CliError {
  constructor(readonly status: number, readonly problem: Problem | undefined, text: string) {
    super(problem ? formatProblem(problem, status) : `HTTP ${status}${text ? `: ${text.slice(0, 500)}` : ''}`, status >= 500 ? EXIT.unreachable : EXIT.failed);
  }
}

/** No HTTP answer at all: the message names the URL, the usual culprit being KJOBS_URL. */
export class NetworkError extends CliError {
  constructor(readonly url: string, cause: unknown) {
    super(`cannot reach ${url}: ${describeCause(cause)}`, EXIT.unreachable);
  }
}

/** fetch hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`. */
function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.message) return cause.message;
  if (cause?.code) return cause.code;
  return (err as Error).message ?? String(err);
}

export class Client {
  readonly baseUrl: string;
  constructor(private readonly config: ClientConfig) {
    // A base with a path prefix (behind a proxy) keeps it: plain concatenation, not URL resolution.
    this.baseUrl = config.baseUrl.replace(/\/+$/, '');
  }

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  async fetch(path: string, init: { method?: string; body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Response> {
    const url = this.url(path);
    const headers: Record<string, string> = { ...init.headers };
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(url, { method: init.method ?? 'GET', body: init.body, headers, signal: init.signal });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw new NetworkError(url, err);
    }
  }

  /** Sends a request and parses a JSON answer; anything but 2xx becomes an ApiError. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    await ensureOk(res);
    return (await res.json()) as T;
  }
}

export async function ensureOk(res: Response): Promise<void> {
  if (res.ok) return;
  const text = await res.text().catch(() => '');
  let problem: Problem | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (isProblem(parsed)) problem = parsed;
  } catch {
    // Not JSON (a proxy's HTML error page, say): the raw text is shown instead.
  }
  throw new ApiError(res.status, problem, text);
}

export const jobPath = (id: string) => `/v1/jobs/${encodeURIComponent(id)}`;
export const modelPath = (id: string) => `/v1/models/${encodeURIComponent(id)}`;
