/** Turns an application/problem+json answer into text a person can act on. */

export interface Problem {
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: Array<{ pointer?: string; message?: string }>;
}

/**
 * One headline, then one line per offending field. When `errors` is there, `detail` only repeats
 * it joined into one long line, so it is left out. Schema validation reports the same pointer and
 * message several times (once per anyOf branch), hence the de-duplication.
 */
export function formatProblem(problem: Problem, status: number): string {
  const headline = `${problem.title ?? 'HTTP error'} (${problem.status ?? status})`;
  const seen = new Set<string>();
  const fields: string[] = [];
  for (const e of problem.errors ?? []) {
    const line = `  ${e.pointer ? e.pointer : '(request body)'}: ${e.message ?? 'invalid'}`;
    if (!seen.has(line)) fields.push(line);
    seen.add(line);
  }
  if (fields.length) return [headline, ...fields].join('\n');
  return problem.detail ? `${headline}: ${problem.detail}` : headline;
}
