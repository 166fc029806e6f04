/**
 * Runs the check of an uploaded Keras file in a child process of its own, at most
 * IMPORT_MAX_CONCURRENT at a time per API process, each with a capped V8 heap and a time limit.
 * The API process never parses the file: it streams it to disk and reads back the verdict.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { quotaExceeded } from '../errors.ts';
import type { ImportLimits, InspectedImport } from '../keras/inspect-import.ts';
import { SpecError } from '../spec/problem.ts';
import type { InspectReply, InspectRequest } from './import-inspector-child.ts';

const CHILD = fileURLToPath(new URL('./import-inspector-child.ts', import.meta.url));

export interface InspectorLimits {
  /** IMPORT_MAX_CONCURRENT: files being checked at once; one more answers 429. */
  maxConcurrent: number;
  /** IMPORT_TIMEOUT_S: a check still running then is killed, and the file refused. */
  timeoutS: number;
  /** IMPORT_HEAP_MB: the child's V8 heap (--max-old-space-size). */
  heapMb: number;
}

export class ImportInspector {
  private running = 0;

  constructor(private readonly limits: InspectorLimits) {}

  async inspect(tenant: string, file: string, importLimits: ImportLimits): Promise<InspectedImport> {
    if (this.running >= this.limits.maxConcurrent) {
      throw quotaExceeded(tenant, { limit: 'IMPORT_MAX_CONCURRENT', what: 'Keras files being checked at once on this API process', used: this.running, max: this.limits.maxConcurrent });
    }
    this.running++;
    try {
      return await this.run({ file, limits: importLimits });
    } finally {
      this.running--;
    }
  }

  private run(request: InspectRequest): Promise<InspectedImport> {
    const refuse = (message: string) => new SpecError({ pointer: '/file', message });
    return new Promise((resolve, reject) => {
      const child = fork(CHILD, [], { execArgv: ['--import', 'tsx', `--max-old-space-size=${this.limits.heapMb}`], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      let reply: InspectReply | undefined;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, this.limits.timeoutS * 1000);
      child.once('message', (m) => (reply = m as InspectReply));
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (reply?.ok) resolve(reply.inspected);
        else if (reply && 'issues' in reply) reject(new SpecError(reply.issues));
        else if (reply) reject(new Error(`checking the Keras file failed: ${reply.error}`));
        else if (timedOut) reject(refuse(`could not be checked within ${this.limits.timeoutS} s (IMPORT_TIMEOUT_S)`));
        // V8 aborts on an exhausted heap (SIGABRT or exit 134); the kernel's OOM killer sends SIGKILL.
        else reject(refuse(`could not be checked: its parser ran out of memory or was killed (${signal ?? `exit ${code}`}; IMPORT_HEAP_MB is ${this.limits.heapMb})`));
      });
      child.send(request);
    });
  }
}
