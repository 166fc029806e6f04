import { startStack } from '/work/main/test/helpers/stack.ts';
import { loadZooCase, relError, runZooCase, zooNames } from '/work/main/test/helpers/zoo.ts';
const only = process.argv.slice(2);
const stack = await startStack();
for (const name of zooNames()) {
  if (only.length && !only.includes(name)) continue;
  const c = loadZooCase(name);
  const t = Date.now();
  const run = await runZooCase(stack, c, { fineTune: process.env.NOFIT ? false : true });
  console.log(name, run.imported ? '' : (process.env.FULL ? run.importError : run.importError?.slice(0, 300)), run.fitError?.slice(0, 400) ?? '',
    run.predicted ? `pred ${relError(run.predicted, c.predict).toExponential(2)}` : '',
    run.history ? `fit ${relError(run.history, c.history.loss).toExponential(2)} ${JSON.stringify(run.history)} vs ${JSON.stringify(c.history.loss)}` : '', run.execution ?? '', `${Date.now() - t}ms`);
}
await stack.close();
