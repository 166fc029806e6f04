/** Where a command writes. A parameter rather than process.stdout, so the rendering can be run against any stream. */
export interface Writer {
  write(text: string): unknown;
}

export interface Io {
  out: Writer;
  err: Writer;
  /** stdout is a terminal: worth drawing a progress bar that \r rewrites. */
  tty: boolean;
  columns(): number;
}

export function processIo(): Io {
  return {
    out: process.stdout,
    err: process.stderr,
    tty: Boolean(process.stdout.isTTY),
    columns: () => process.stdout.columns ?? 80,
  };
}
