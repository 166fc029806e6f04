/** A problem in a submitted spec, located by a JSON pointer into the request body. */
export interface SpecIssue {
  pointer: string;
  message: string;
}

export class SpecError extends Error {
  readonly issues: SpecIssue[];
  constructor(issues: SpecIssue[] | SpecIssue) {
    const list = Array.isArray(issues) ? issues : [issues];
    super(list.map((i) => `${i.pointer || '/'}: ${i.message}`).join('; '));
    this.name = 'SpecError';
    this.issues = list;
  }
}

/** Builds a JSON pointer from path segments, escaping as RFC 6901 requires. */
export function pointer(...segments: Array<string | number>): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function fail(ptr: string, message: string): never {
  throw new SpecError({ pointer: ptr, message });
}
