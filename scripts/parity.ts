/**
 * `npm run parity -- DIR [--json FILE] [--eager]`: runs every recorded Keras case in DIR through the
 * engine and prints PASS/FAIL with the worst relative error and where, and whether fit ran as a
 * graph or eagerly; exits 1 if any case fails. --eager forces the op-by-op step.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { initBackend } from '../src/engine/backend.ts';
import { loadCase } from '../src/parity/parity-case.ts';
import { runCase, type CaseResult } from '../src/parity/run-case.ts';

const eager = process.argv.includes('--eager');
const args = process.argv.slice(2).filter((a) => a !== '--eager');
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
const dirs = args.filter((_, i) => jsonAt < 0 || (i !== jsonAt && i !== jsonAt + 1));
if (dirs.length !== 1 || (jsonAt >= 0 && !jsonFile)) {
  console.error('usage: npm run parity -- DIR [--json FILE] [--eager]');
  process.exit(2);
}

const backend = await initBackend();
const files = (await fs.readdir(dirs[0])).filter((f) => f.endsWith('.json')).sort();
if (files.length === 0) {
  console.error(`no case files (*.json) in ${dirs[0]}`);
  process.exit(2);
}
console.log(`parity: ${files.length} cases from ${dirs[0]} on backend ${backend}`);
const results: CaseResult[] = [];
for (const file of files) {
  // A case file that cannot be read is that case's failure; the run goes on.
  const result = await loadCase(path.join(dirs[0], file)).then(
    (c) => runCase(c, { graph: !eager }),
    (err: Error): CaseResult => ({ name: file.replace(/\.json$/, ''), pass: false, worst_error: Infinity, where: 'error', failures: [`error: ${err.message}`], seconds: 0 }),
  );
  results.push(result);
  const worst = Number.isFinite(result.worst_error) ? result.worst_error.toExponential(2) : 'inf';
  console.log(`${result.pass ? 'PASS' : 'FAIL'}  ${result.name.padEnd(36)} worst rel. error ${worst.padStart(9)}  at ${result.where}  (${result.seconds.toFixed(1)} s${result.execution ? `, ${result.execution}` : ''})`);
  for (const f of result.failures.slice(0, 5)) console.log(`        ${f}`);
  if (result.failures.length > 5) console.log(`        … ${result.failures.length - 5} more`);
}
if (jsonFile) {
  await fs.writeFile(jsonFile, JSON.stringify(results.map(({ name, pass, worst_error, where, execution }) => ({ name, pass, worst_error: Number.isFinite(worst_error) ? worst_error : null, where, execution })), null, 2));
}
const failed = results.filter((r) => !r.pass).length;
console.log(`${results.length - failed}/${results.length} cases pass`);
process.exit(failed ? 1 : 0);
