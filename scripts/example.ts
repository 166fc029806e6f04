/**
 * `npm run example -- <section|file> [...]`: submits the tutorial's examples (examples/*.json) one
 * after another through the kjobs CLI, following each to its end. `1` runs every file of section 1,
 * `1b` the files starting with it, `all` every file; anything else is a path. EXAMPLE_EPOCHS=N
 * overrides fit.epochs for a quick run.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examplesDir = path.join(root, 'examples');
const cli = path.join(root, 'bin', 'kjobs.mjs');
// Numeric order, so a section 10 would come after 9 rather than after 1.
const byName = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
const available = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort(byName);

function usage(message: string): never {
  console.error(`${message}\nusage: npm run example -- <section|file|all> [...]   (sections: ${[...new Set(available.map((f) => f.match(/^\d+/)?.[0]))].join(', ')})`);
  // 64 as the CLI uses for a bad command line, so it never reads as the CLI's 2 (cancelled).
  process.exit(64);
}

function pick(arg: string): string[] {
  if (arg === 'all') return available.map((f) => path.join(examplesDir, f));
  // npm runs scripts from the package root; a relative path means the directory npm was started in.
  const asPath = path.resolve(process.env.INIT_CWD ?? process.cwd(), arg);
  if (fs.existsSync(asPath) && fs.statSync(asPath).isFile()) return [asPath];
  // A bare number is a whole section: "1" must not pick "10-…"; a longer prefix ("1b", "4b-model") picks by name.
  const hits = /^\d+$/.test(arg) ? available.filter((f) => f.match(/^\d+/)?.[0] === arg) : available.filter((f) => f.startsWith(arg));
  if (hits.length === 0) usage(`no example matches "${arg}"`);
  return hits.map((f) => path.join(examplesDir, f));
}

const args = process.argv.slice(2);
if (args.length === 0) usage('name a section, a file or "all"');
const files = [...new Set(args.flatMap(pick))];

const epochsText = process.env.EXAMPLE_EPOCHS;
const epochs = epochsText === undefined || epochsText === '' ? undefined : Number(epochsText);
if (epochs !== undefined && !(Number.isInteger(epochs) && epochs >= 1)) usage(`EXAMPLE_EPOCHS must be a positive integer, got "${epochsText}"`);

/** Resolves with the CLI's exit code (0 completed, 1 failed, 2 cancelled, 3 unreachable); a signal counts as a failure. */
function submit(file: string): Promise<number> {
  let body: string | undefined;
  if (epochs !== undefined) {
    const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (spec.fit) spec.fit.epochs = epochs;
    body = JSON.stringify(spec);
  }
  // The overridden spec goes through stdin, so no temp file is left behind if the run is interrupted.
  const child = spawn(process.execPath, [cli, 'submit', body === undefined ? file : '-', '--follow'], {
    cwd: root,
    stdio: [body === undefined ? 'inherit' : 'pipe', 'inherit', 'inherit'],
  });
  if (body !== undefined) {
    // A CLI that exits before reading (bad URL, usage error) must not crash the runner with EPIPE; its exit code tells.
    child.stdin!.on('error', () => {});
    child.stdin!.end(body);
  }
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const shown = (file: string) => (file.startsWith(root + path.sep) ? path.relative(root, file) : file);
for (const file of files) {
  console.log(`\n=== ${shown(file)}${epochs !== undefined ? ` (epochs=${epochs})` : ''}`);
  const code = await submit(file);
  if (code !== 0) {
    console.error(`=== ${shown(file)} did not complete (kjobs exit code ${code})`);
    process.exit(code);
  }
}
