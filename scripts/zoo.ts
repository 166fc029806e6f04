/**
 * `npm run zoo`: every model of test/fixtures/zoo through a real service (API, queue, worker):
 * import the .keras, predict, fine-tune 2 epochs. Prints one row per model: parameters, whether it
 * imported, the worst relative error of the predictions (Keras's tolerance: 1e-4) and of the loss
 * history (1e-3), and whether training ran as a graph. Exits 1 if any model misses.
 */
import { startStack } from '../test/helpers/stack.ts';
import { loadZooCase, relError, runZooCase, worstError, zooNames } from '../test/helpers/zoo.ts';

const only = process.argv.slice(2);
const stack = await startStack();
let failed = 0;
console.log(['model', 'params', 'import', 'predict rel. err', 'fine-tune rel. err', 'steps', 'seconds'].map((h, i) => (i ? h.padStart(i === 1 ? 11 : 18) : h.padEnd(24))).join(''));
try {
  for (const name of zooNames().filter((n) => !only.length || only.includes(n))) {
    const c = loadZooCase(name);
    const started = Date.now();
    const run = await runZooCase(stack, c);
    const ok = run.imported && !run.fitError && worstError(run.predicted!, c.predict, 1e-4, 1e-6) <= 1 && worstError(run.history!, c.history.loss, 1e-3, 1e-6) <= 1;
    if (!ok) failed++;
    const cells = [
      String(c.params),
      run.imported ? 'yes' : 'REFUSED',
      run.predicted ? relError(run.predicted, c.predict).toExponential(2) : '-',
      run.history ? relError(run.history, c.history.loss).toExponential(2) : '-',
      run.execution ?? '-',
      ((Date.now() - started) / 1000).toFixed(1),
    ];
    console.log(`${name.padEnd(24)}${cells.map((v, i) => v.padStart(i === 0 ? 11 : 18)).join('')}${ok ? '' : `   MISS ${run.importError ?? run.fitError ?? ''}`.slice(0, 300)}`);
  }
} finally {
  await stack.close();
}
console.log(failed ? `${failed} models miss` : 'every model imports, predicts and fine-tunes as Keras');
process.exit(failed ? 1 : 0);
