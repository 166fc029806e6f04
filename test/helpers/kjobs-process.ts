/** The kjobs CLI as a child process whose output can be watched while it runs. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const LAUNCHER = fileURLToPath(new URL('../../bin/kjobs.mjs', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  readonly stdout: string;
  readonly stderr: string;
  exited: Promise<Run>;
}

export interface StartOptions {
  url: string;
  input?: string;
  cwd?: string;
}

/** Never spawnSync here: the API under test runs in the test's process and must keep answering. */
export function startProcess(file: string, args: string[], options: StartOptions): Running {
  const env: NodeJS.ProcessEnv = { ...process.env, KJOBS_URL: options.url };
  delete env.KJOBS_API_KEY;
  const child = spawn(file, args, { env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output.stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (output.stderr += text));
  child.stdin.end(options.input ?? '');
  const exited = new Promise<Run>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, ...output }));
  });
  return {
    get stdout() {
      return output.stdout;
    },
    get stderr() {
      return output.stderr;
    },
    exited,
  };
}

/** `kjobs ARGS…` through the real launcher. */
export function startKjobs(args: string[], options: StartOptions): Running {
  return startProcess(process.execPath, [LAUNCHER, ...args], options);
}
