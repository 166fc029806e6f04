/**
 * The child process that opens an uploaded Keras file (src/jobs/import-inspector.ts forks one per
 * import): parsing untrusted zip and HDF5 bytes happens here, so that a file that exhausts memory
 * or hangs the parser costs this process, never the API's.
 */
import fs from 'node:fs/promises';
import { inspectKerasFile, type ImportLimits } from '../keras/inspect-import.ts';
import { SpecError } from '../spec/problem.ts';

export interface InspectRequest {
  file: string;
  limits: ImportLimits;
}

export type InspectReply =
  | { ok: true; inspected: Awaited<ReturnType<typeof inspectKerasFile>> }
  | { ok: false; issues: SpecError['issues'] }
  | { ok: false; error: string };

process.once('message', async ({ file, limits }: InspectRequest) => {
  let reply: InspectReply;
  try {
    reply = { ok: true, inspected: await inspectKerasFile(new Uint8Array(await fs.readFile(file)), limits) };
  } catch (err) {
    reply = err instanceof SpecError ? { ok: false, issues: err.issues } : { ok: false, error: (err as Error).message ?? String(err) };
  }
  process.send!(reply, () => process.exit(0));
});
