/**
 * A longer fuzz run than the test suite's, against a real app (no worker) on the machine's Redis:
 *
 *   npm run fuzz -- --runs 5000 --seed 42
 *   npm run fuzz -- --seed 42 --path "1234:5:0"      # replay a failure (seed and path as printed)
 *
 * Prints how many job specs and files were thrown, the status-code histogram per category, and
 * any failure with its seed and path. Exits 1 if a property failed.
 */
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import { startStack } from '../test/helpers/stack.ts';
import { fuzzCase } from '../test/fuzz/generators.ts';
import { FUZZ_ENV, Tally, checkWorkerAlive, describeCase, runCase, runWorkerFuzz, setupContext } from '../test/fuzz/harness.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    seed: { type: 'string' },
    path: { type: 'string' },
    'no-shrink': { type: 'boolean', default: false },
    'max-bytes': { type: 'string', default: String(256 * 1024) },
    reasons: { type: 'string', default: '0' },
    'worker-runs': { type: 'string', default: '0' },
  },
});

const runs = Number(args.runs);
const seed = args.seed !== undefined ? Number(args.seed) : Date.now() % 2 ** 31;
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz -- [--runs N] [--seed S] [--path P] [--no-shrink] [--max-bytes B] [--reasons N] [--worker-runs N]');
  process.exit(2);
}

// Small uploads are enough to reach every branch, and make "too large" reachable (the plugin reads it at startup).
process.env.DATASET_MAX_BYTES = args['max-bytes'];
// 500s are what the fuzzer looks for: it reports them itself; TEST_LOG_LEVEL=error shows their stacks.
process.env.TEST_LOG_LEVEL ??= 'fatal';
const stack = await startStack({ worker: false, env: FUZZ_ENV });
const started = Date.now();
let exitCode = 0;
try {
  const ctx = await setupContext(stack);
  const tally = new Tally();
  console.log(`fuzz: seed ${seed}, ${runs} runs${args.path ? `, replaying path ${args.path}` : ''}; prefix ${stack.config.redisPrefix}`);
  let last = Date.now();
  const details = await fc.check(
    fc.asyncProperty(fuzzCase(ctx), async (c) => {
      await runCase(stack, ctx, c, tally);
      if (Date.now() - last > 10_000) {
        last = Date.now();
        console.log(`  … ${tally.cases} cases, ${Math.round((Date.now() - started) / 1000)} s`);
      }
    }),
    { seed, numRuns: runs, path: args.path, endOnFailure: args['no-shrink'], verbose: 0 },
  );
  console.log(tally.summary('fuzz'));
  if (Number(args.reasons) > 0) console.log(`  most common rejections (category, status, first error pointer or code):\n${tally.topReasons(Number(args.reasons))}`);
  console.log(`  ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (details.failed) {
    exitCode = 1;
    console.log(`\nFAILED after ${details.numRuns} runs and ${details.numShrinks} shrinks`);
    console.log(`  replay: npm run fuzz -- --seed ${details.seed} --path "${details.counterexamplePath}" --runs 1`);
    const [c] = details.counterexample ?? [];
    if (c) console.log(`  case (${c.cat}): ${describeCase(c)}`);
    console.log(`  error: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`);
  } else {
    console.log('all properties held');
  }
} finally {
  await stack.close();
}

const workerRuns = Number(args['worker-runs']);
if (workerRuns > 0) {
  // Valid small fit jobs on a real worker: each ends completed or failed (with a message); the worker survives.
  const withWorker = await startStack({ env: FUZZ_ENV });
  const t0 = Date.now();
  try {
    const { outcomes, failures, details } = await runWorkerFuzz(withWorker, seed, workerRuns);
    console.log(`\nfuzz with a worker: ${details.numRuns} jobs, ${[...outcomes].map(([s, n]) => `${s}: ${n}`).join(', ')}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const distinct = new Map<string, string>();
    for (const f of failures) if (!distinct.has(f.split('\n')[0])) distinct.set(f.split('\n')[0], f);
    if (distinct.size) console.log(`  failed jobs (distinct messages):\n    ${[...distinct.values()].join('\n    ')}`);
    if (details.failed) {
      exitCode = 1;
      console.log(`FAILED (seed ${details.seed}, path "${details.counterexamplePath}"): ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`);
    } else {
      await checkWorkerAlive(withWorker);
      console.log('  the worker is alive and completes a trivial job');
    }
  } finally {
    await withWorker.close();
  }
}
process.exit(exitCode);
