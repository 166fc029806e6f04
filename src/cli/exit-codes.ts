/**
 * Exit codes are part of the CLI's interface: scripts branch on them, so each means one thing.
 * 64 is EX_USAGE from sysexits.h, the usual code for a malformed command line.
 */
export const EXIT = {
  ok: 0,
  /** The job failed, or the service refused the request (4xx). */
  failed: 1,
  cancelled: 2,
  /** The service could not be reached, answered 5xx, or the event stream could not be re-established. */
  unreachable: 3,
  usage: 64,
} as const;

/** An error that ends the command with a one-line message and a given exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failed) {
    super(message);
  }
}

/** A malformed command line: main prints the usage text after the message. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}
