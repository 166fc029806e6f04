/**
 * `npm run zoo`: every model of test/fixtures/zoo through a real service (API, queue, worker):
 * import the .keras, predict, fine-tune 2 epochs. Prints one row per model: parameters, whether it
 * imported, the error of the predictions relative to their largest value (at most 1e-4), of the loss
 * history (relative, 1e-3), whether training ran as a graph, and the fine-tune's samples/s in its second
 * epoch; with KERAS_PYTHON set, also Keras's for the same steps (make_zoo.py --bench). Exits 1 if
 * any model misses.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startStack } from '../test/helpers/stack.ts';
import { ZOO_DIR, loadZooCase, relError, runZooCase, scaleError, worstError, zooNames, type ZooCase } from '../test/helpers/zoo.ts';

/**
 * Runs Python without blocking this process: the service under test lives in it, and a server
 * frozen for a minute closes its keep-alive sockets just as the next request reuses one (ECONNRESET).
 */
function python(args: string[], env: Record<string, string>): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.KERAS_PYTHON!, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject).on('close', (status, signal) => resolve({ status, signal, stdout }));
  });
}

/** Keras's training samples/s for the fine-tune's batches (Keras as it runs by default; without oneDNN where that dies of SIGFPE). */
async function kerasSamplesPerS(c: ZooCase): Promise<string> {
  if (!process.env.KERAS_PYTHON) return '-';
  const steps = Math.ceil(c.n / c.fit.batch_size);
  const run = (env: Record<string, string>) => python([path.join(ZOO_DIR, 'make_zoo.py'), '--bench', c.name, String(c.fit.batch_size), String(steps)], env);
  let r = await run({});
  const withoutOneDnn = r.signal === 'SIGFPE';
  if (withoutOneDnn) r = await run({ TF_ENABLE_ONEDNN_OPTS: '0' });
  const line = r.status === 0 ? r.stdout.trim().split('\n').at(-1) : undefined;
  // * marks a figure of Keras without oneDNN.
  return line ? `${(JSON.parse(line).samples_per_s as number).toFixed(0)}${withoutOneDnn ? '*' : ''}` : 'failed';
}

const only = process.argv.slice(2);
const stack = await startStack();
let failed = 0;
console.log(['model', 'params', 'import', 'predict err/scale', 'fine-tune rel. err', 'steps', 'samples/s', 'Keras samples/s', 'seconds'].map((h, i) => (i ? h.padStart(i === 1 ? 11 : 20) : h.padEnd(24))).join(''));
try {
  for (const name of zooNames().filter((n) => !only.length || only.includes(n))) {
    const c = loadZooCase(name);
    const started = Date.now();
    const run = await runZooCase(stack, c);
    const ok = run.imported && !run.fitError && scaleError(run.predicted!, c.predict) <= 1e-4 && worstError(run.history!, c.history.loss, 1e-3, 1e-6) <= 1;
    if (!ok) failed++;
    const cells = [
      String(c.params),
      run.imported ? 'yes' : 'REFUSED',
      run.predicted ? scaleError(run.predicted, c.predict).toExponential(2) : '-',
      run.history ? relError(run.history, c.history.loss).toExponential(2) : '-',
      run.execution ?? '-',
      run.samplesPerS?.toFixed(0) ?? '-',
      await kerasSamplesPerS(c),
      ((Date.now() - started) / 1000).toFixed(1),
    ];
    console.log(`${name.padEnd(24)}${cells.map((v, i) => v.padStart(i === 0 ? 11 : 20)).join('')}${ok ? '' : `   MISS ${run.importError ?? run.fitError ?? ''}`.slice(0, 300)}`);
  }
} finally {
  await stack.close();
}
if (process.env.KERAS_PYTHON) console.log('Keras samples/s: the same batches in Keras as it runs by default (* without oneDNN: with it, Keras died of SIGFPE)');
console.log(failed ? `${failed} models miss` : 'every model imports, predicts and fine-tunes as Keras');
process.exit(failed ? 1 : 0);
