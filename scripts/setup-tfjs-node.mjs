#!/usr/bin/env node
// Makes @tensorflow/tfjs-node (the native TensorFlow backend) usable, also on
// machines without internet access.
//
// Why this exists: tfjs-node's own install script downloads libtensorflow
// 2.9.1 from storage.googleapis.com. Offline that download fails, and because
// tfjs-node is an optionalDependency npm then silently REMOVES it (and its
// exclusive dependencies) from node_modules; the service would fall back to
// the pure-JS @tensorflow/tfjs backend, which is far slower.
//
// Runs as the root `postinstall` (i.e. after every dependency script, so by
// then tfjs-node is already gone) and as `npm run setup:tfjs-node` (--force).
// If tfjs-node already works (normal online install) it does nothing.
// Otherwise it:
//   1. restores tfjs-node and its dependency subtree as the lockfile pins
//      them, without running its install script;
//   2. fetches the tensorflow-cpu wheel from the machine's local pip index
//      (cached in .cache/tfjs-node/) - the wheel ships libtensorflow's shared
//      libraries and C headers;
//   3. stages those into tfjs-node's deps/ under the file names its install
//      script expects, so the script skips its download;
//   4. runs tfjs-node's install script, which then builds the binding with
//      node-gyp against those libraries.
// It never fails `npm install`/`npm ci` (prints a loud warning instead),
// unless KJ_REQUIRE_TFJS_NODE=1 is set (CI), in which case it exits 1.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TAG = '[setup-tfjs-node]';
const PKG = '@tensorflow/tfjs-node';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PKG_DIR = path.join(ROOT, 'node_modules', ...PKG.split('/'));
const BIN_DIR = path.join(ROOT, 'node_modules', '.bin');
const CACHE_DIR = path.join(ROOT, '.cache', 'tfjs-node');
const BUILD_LOG = path.join(CACHE_DIR, 'build.log');

// The wheel whose libtensorflow we build against, and how its files map onto
// the names tfjs-node's install script / binding.gyp look for.
const WHEEL = { name: 'tensorflow-cpu', version: '2.21.0' };
const WHEEL_GLOB = /^tensorflow_cpu-2\.21\.0-.*\.whl$/;
// tfjs-node 4.22.0 hard-codes this version in scripts/deps-constants.js; its
// install.js skips the download iff deps/lib/libtensorflow.so.<it> exists.
const TFJS_LIBTF_VERSION = '2.9.1';
const WHEEL_LIBS = {
  'tensorflow/libtensorflow_cc.so.2': `libtensorflow.so.${TFJS_LIBTF_VERSION}`,
  'tensorflow/libtensorflow_framework.so.2': `libtensorflow_framework.so.${TFJS_LIBTF_VERSION}`,
};
const WHEEL_INCLUDE = 'tensorflow/include/';
// name -> target, relative to deps/lib. libtensorflow_cc.so.2 is the soname
// of the main library (and so what the built binding records as NEEDED);
// libtensorflow_framework.so.2 is what libtensorflow_cc.so.2 itself NEEDs.
const LIB_SYMLINKS = {
  'libtensorflow.so.2': `libtensorflow.so.${TFJS_LIBTF_VERSION}`,
  'libtensorflow.so': 'libtensorflow.so.2',
  'libtensorflow_cc.so.2': `libtensorflow.so.${TFJS_LIBTF_VERSION}`,
  'libtensorflow_framework.so.2': `libtensorflow_framework.so.${TFJS_LIBTF_VERSION}`,
  'libtensorflow_framework.so': 'libtensorflow_framework.so.2',
};

const FORCE = process.argv.includes('--force');
const REQUIRED = process.env.KJ_REQUIRE_TFJS_NODE === '1';

const log = (msg) => console.log(`${TAG} ${msg}`);

/** An error that says which step failed, for the final warning. */
class StepError extends Error {
  constructor(step, message, detail) {
    super(message);
    this.step = step;
    this.detail = detail;
  }
}

/** Runs a command synchronously, capturing its output (keeps npm ci quiet). */
function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...opts,
  });
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  return { ok: !res.error && res.status === 0, status: res.status, error: res.error, output };
}

/** "exit 1", or why the command could not run at all (e.g. spawn npm ENOENT). */
const why = (res) => (res.error ? res.error.message : `exit ${res.status}`);

const tail = (text, lines = 15) => text.trim().split('\n').slice(-lines).join('\n');

/**
 * The environment for child npm / node-gyp processes. When we run as a
 * lifecycle script the outer npm exports dozens of npm_* variables
 * (npm_command=ci, npm_lifecycle_event, config values...) that would make a
 * nested npm believe it is part of that `npm ci`. Drop them all, but keep the
 * few that only say where/how to reach the registry and caches.
 */
function cleanEnv(extra = {}) {
  const keep = new Set(['registry', 'cache', 'userconfig', 'globalconfig', 'cafile',
    'proxy', 'https_proxy', 'noproxy', 'strict_ssl', 'node_gyp']
    .map((k) => `npm_config_${k}`));
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !keep.has(k.toLowerCase())) continue;
    if (k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** npm's `omit` config of the outer install (e.g. `npm ci --omit=dev`). */
function outerOmit() {
  return (process.env.npm_config_omit ?? '').split(/[\s,]+/).filter(Boolean);
}

/**
 * Loads tfjs-node in a child process (a broken native addon can crash the
 * process, and we must not cache a failed require) and runs a tiny op.
 * Returns { ok, info } or { ok: false, reason }.
 */
function probe() {
  const code = `
    const tf = require(${JSON.stringify(PKG)});
    const out = Array.from(tf.tensor([1, 2]).square().dataSync());
    if (out.join() !== '1,4') throw new Error('wrong result ' + out);
    if (tf.getBackend() !== 'tensorflow') throw new Error('backend is ' + tf.getBackend());
    console.log('PROBE ' + JSON.stringify({
      backend: tf.getBackend(),
      libtensorflow: tf.backend().binding.TF_Version,
    }));`;
  // TF_CPP_MIN_LOG_LEVEL hides TensorFlow's C++ info chatter (CPU features,
  // oneDNN notices) that is noise for this check.
  const res = run(process.execPath, ['-e', code], {
    cwd: ROOT,
    env: cleanEnv({ TF_CPP_MIN_LOG_LEVEL: '2' }),
    timeout: 120_000,
  });
  const line = res.output.split('\n').find((l) => l.startsWith('PROBE '));
  if (res.ok && line) return { ok: true, info: JSON.parse(line.slice(6)) };
  const notInstalled = /Cannot find module '@tensorflow\/tfjs-node'/.test(res.output);
  // The first "SomeError: message" line is the useful part of a stack dump.
  const errorLine = res.output.split('\n').find((l) => /^\w*Error\b/.test(l.trim()));
  const reason = notInstalled ? 'not installed'
    : res.error ? res.error.message
      : (errorLine ?? tail(res.output, 1)).trim();
  return { ok: false, notInstalled, reason };
}

/** The tfjs-node version the project declares (optionalDependencies). */
function declaredVersion() {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const spec = pkg.optionalDependencies?.[PKG] ?? pkg.dependencies?.[PKG];
  if (!spec) throw new StepError('restore', `${PKG} is not declared in package.json`);
  return spec;
}

/** Every lockfile entry that is on disk must have the locked version. */
function checkAgainstLockfile(lock) {
  const wrong = [];
  for (const [rel, entry] of Object.entries(lock.packages ?? {})) {
    if (!rel.startsWith('node_modules/') || entry.link) continue;
    const manifest = path.join(ROOT, rel, 'package.json');
    if (!fs.existsSync(manifest)) continue; // e.g. other platforms' optional packages
    const { version } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    if (version !== entry.version) wrong.push(`${rel}@${version} (lockfile: ${entry.version})`);
  }
  if (!lock.packages?.[`node_modules/${PKG}`] || !fs.existsSync(path.join(PKG_DIR, 'package.json'))) {
    throw new StepError('restore', `${PKG} is missing after npm install`);
  }
  if (wrong.length) log(`note: versions differ from package-lock.json: ${wrong.join(', ')}`);
}

/**
 * Step 1: put tfjs-node and its dependency subtree back into node_modules.
 * --ignore-scripts: its install script would just fail on the download again.
 * --no-save: package.json / package-lock.json must stay untouched (checked,
 * and restored byte-for-byte if npm wrote them anyway).
 */
function restorePackage() {
  const spec = `${PKG}@${declaredVersion()}`;
  const files = ['package.json', 'package-lock.json'].map((f) => path.join(ROOT, f));
  const before = files.map((f) => (fs.existsSync(f) ? fs.readFileSync(f) : null));
  const lock = before[1] ? JSON.parse(before[1].toString('utf8')) : {};

  // Inside a lifecycle script npm_execpath is the running npm: use the same one.
  const npm = process.env.npm_execpath
    ? [process.execPath, process.env.npm_execpath]
    : ['npm'];
  const omit = outerOmit().map((o) => `--omit=${o}`);
  const args = [...npm.slice(1), 'install', '--no-save', '--ignore-scripts',
    '--no-audit', '--no-fund', '--loglevel=error', ...omit, spec];
  const res = run(npm[0], args, { cwd: ROOT, env: cleanEnv() });

  files.forEach((f, i) => {
    if (before[i] && !before[i].equals(fs.readFileSync(f))) {
      fs.writeFileSync(f, before[i]);
      log(`note: npm modified ${path.basename(f)}; restored the original`);
    }
  });
  if (!res.ok) {
    throw new StepError('restore', `npm install ${spec} failed (${why(res)})`, tail(res.output));
  }
  checkAgainstLockfile(lock);
}

/** First pip invocation that works, with the index URLs from its config. */
function findPip() {
  for (const cmd of [['python3', '-m', 'pip'], ['pip3'], ['pip'], ['python', '-m', 'pip']]) {
    const res = run(cmd[0], [...cmd.slice(1), 'config', 'list']);
    if (!res.ok) continue;
    // Lines look like: global.extra-index-url='file:///a/simple file:///b/simple'
    const urls = { index: [], extra: [] };
    for (const m of res.output.matchAll(/^[^=\n]*\.(extra-)?index-url='?([^'\n]*)'?$/gm)) {
      urls[m[1] ? 'extra' : 'index'].push(...m[2].split(/\s+/).filter(Boolean));
    }
    return { cmd, indexes: [...new Set([...urls.index, ...urls.extra])] };
  }
  return null;
}

/**
 * Step 2: the tensorflow-cpu wheel, cached under .cache/ so reruns (and every
 * later `npm ci`, which wipes node_modules) don't fetch it again.
 */
function getWheel() {
  const cached = () => (fs.existsSync(CACHE_DIR) ? fs.readdirSync(CACHE_DIR) : [])
    .filter((f) => WHEEL_GLOB.test(f)).map((f) => path.join(CACHE_DIR, f))[0];
  if (cached()) return cached();

  const pip = findPip();
  if (!pip) throw new StepError('wheel', 'pip not found (tried python3 -m pip, pip3, pip)');
  // Only the configured indexes: the default (pypi.org) is unreachable
  // offline and pip would sit in retries/timeouts before failing.
  if (!pip.indexes.length) {
    throw new StepError('wheel', 'no pip index configured (`pip config list` shows no index-url)');
  }
  const [first, ...rest] = pip.indexes;
  const tmp = fs.mkdtempSync(path.join(CACHE_DIR, 'download-'));
  try {
    log(`fetching ${WHEEL.name}==${WHEEL.version} wheel via pip from ${first}`);
    const res = run(pip.cmd[0], [...pip.cmd.slice(1), 'download', '--no-deps',
      '--only-binary=:all:', '--disable-pip-version-check', '--quiet',
      '--index-url', first, ...rest.flatMap((u) => ['--extra-index-url', u]),
      '-d', tmp, `${WHEEL.name}==${WHEEL.version}`]);
    const file = fs.readdirSync(tmp).find((f) => WHEEL_GLOB.test(f));
    if (!res.ok || !file) {
      throw new StepError('wheel', `pip download ${WHEEL.name}==${WHEEL.version} failed (${why(res)})`, tail(res.output));
    }
    // Move into place only when complete, so the cache never holds a partial file.
    fs.renameSync(path.join(tmp, file), path.join(CACHE_DIR, file));
    return path.join(CACHE_DIR, file);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Extracts just the two libraries and the headers, renamed into tfjs-node's
 * deps layout. Python's zipfile is used because python3 is always there when
 * pip is, while `unzip` is not installed on a plain Debian.
 */
const EXTRACT_PY = `
import os, shutil, sys, zipfile
whl, out, include, libs = sys.argv[1], sys.argv[2], sys.argv[3], dict(zip(sys.argv[4::2], sys.argv[5::2]))
found = set()
with zipfile.ZipFile(whl) as z:
    for info in z.infolist():
        name = info.filename
        if name in libs:
            dest = os.path.join(out, 'lib', libs[name]); found.add(name)
        elif name.startswith(include) and not name.endswith('/') and '..' not in name.split('/'):
            dest = os.path.join(out, 'include', name[len(include):]); found.add(include)
        else:
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(info) as src, open(dest, 'wb') as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
missing = (set(libs) | {include}) - found
if missing:
    sys.exit('wheel lacks: ' + ', '.join(sorted(missing)))
`;

/**
 * Step 3: stage libtensorflow into node_modules/@tensorflow/tfjs-node/deps.
 * Built in deps.staging and renamed at the end, so an interrupted run never
 * leaves a deps/lib/libtensorflow.so.2.9.1 that would make install.js skip
 * straight to a build against half-extracted files.
 */
function stageDeps(wheel) {
  const deps = path.join(PKG_DIR, 'deps');
  const staging = path.join(PKG_DIR, 'deps.staging');
  fs.rmSync(staging, { recursive: true, force: true });
  const python = ['python3', 'python'].find((p) => run(p, ['-c', 'import zipfile']).ok);
  if (!python) throw new StepError('extract', 'python3 not found (needed to unpack the wheel)');
  const res = run(python, ['-c', EXTRACT_PY, wheel, staging, WHEEL_INCLUDE,
    ...Object.entries(WHEEL_LIBS).flat()]);
  if (!res.ok) {
    fs.rmSync(staging, { recursive: true, force: true });
    // A corrupt cached wheel would fail the same way forever: drop it.
    if (/BadZipFile|wheel lacks/.test(res.output)) fs.rmSync(wheel, { force: true });
    throw new StepError('extract', `unpacking ${path.basename(wheel)} failed`, tail(res.output));
  }
  for (const [name, target] of Object.entries(LIB_SYMLINKS)) {
    fs.symlinkSync(target, path.join(staging, 'lib', name));
  }
  fs.rmSync(deps, { recursive: true, force: true });
  fs.renameSync(staging, deps);
}

/**
 * Step 4: tfjs-node's own install script. It sees the staged library, skips
 * its download and runs `node-pre-gyp install --fallback-to-build`; the
 * prebuilt-addon download fails offline, so node-gyp compiles the binding.
 */
function buildBinding() {
  // Drop any previous binding: after a failed build it must not survive and
  // be loaded against the libraries we just replaced.
  // (node-pre-gyp compiles in build-tmp-napi-v*/ and copies to lib/napi-v*/.)
  for (const dir of [PKG_DIR, path.join(PKG_DIR, 'lib')]) {
    for (const d of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      if (/^(build|build-tmp-napi-v\d+|napi-v\d+)$/.test(d)) fs.rmSync(path.join(dir, d), { recursive: true, force: true });
    }
  }
  const env = cleanEnv({
    // node-pre-gyp is found on PATH; node itself for its #!/usr/bin/env node.
    PATH: [BIN_DIR, path.dirname(process.execPath), process.env.PATH].join(path.delimiter),
    JOBS: 'max', // node-gyp: make -j<cores>
  });
  // Use the headers installed next to this node binary (e.g. /usr/include/node)
  // instead of letting node-gyp download them, which fails offline.
  const nodeDir = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(nodeDir, 'include', 'node', 'node.h'))) env.npm_config_nodedir = nodeDir;

  log('building the tfjs-node binding with node-gyp');
  const res = run(process.execPath, [path.join('scripts', 'install.js')], { cwd: PKG_DIR, env });
  fs.writeFileSync(BUILD_LOG, res.output);
  if (!res.ok) {
    throw new StepError('build', `tfjs-node's scripts/install.js failed (${why(res)}); full log: ${path.relative(ROOT, BUILD_LOG)}`, tail(res.output));
  }
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Serialises concurrent runs in one project (e.g. two `npm install`s, each
 * running this postinstall): both would rewrite tfjs-node's deps/ at once.
 * mkdir is atomic; a lock whose owner died is taken over.
 * Returns { release, waited }.
 */
function acquireLock() {
  const lock = path.join(CACHE_DIR, 'setup.lock');
  const pidFile = path.join(lock, 'pid');
  const deadline = Date.now() + 10 * 60_000;
  let waited = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(pidFile, String(process.pid));
      return { release: () => fs.rmSync(lock, { recursive: true, force: true }), waited };
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    let pid = NaN;
    try { pid = Number(fs.readFileSync(pidFile, 'utf8')); } catch { /* owner is writing it */ }
    const stale = Number.isInteger(pid) ? !isAlive(pid)
      : Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 10_000;
    if (stale) {
      fs.rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new StepError('lock', `another setup (pid ${pid}) has held ${path.relative(ROOT, lock)} for 10 minutes`);
    if (!waited) log(`another setup is running (pid ${pid}); waiting for it`);
    waited = true;
    sleep(1000);
  }
}

/** Loud, multi-line, impossible to miss in npm's output. */
function warnFailure(err) {
  const bar = '#'.repeat(78);
  const still = probe();
  const lines = [
    bar,
    'WARNING: the native TensorFlow backend (@tensorflow/tfjs-node) could not be set up.',
    `Failed step: ${err.step ?? 'unexpected error'} - ${err.message}`,
    ...(err.detail ? ['--- output (tail) ---', ...err.detail.split('\n'), '---'] : []),
    still.ok
      ? 'The previously built tfjs-node still loads, so nothing is lost; the rebuild did not happen.'
      : 'The service will FALL BACK to pure-JS @tensorflow/tfjs: training works but is MUCH slower.',
    'To retry:  npm run setup:tfjs-node',
    bar,
  ];
  for (const l of lines) console.error(`${TAG} ${l}`);
}

function main() {
  const started = Date.now();
  const current = probe();
  if (current.ok && !FORCE) {
    log(`tfjs-node already works (backend ${current.info.backend}, libtensorflow ${current.info.libtensorflow}); nothing to do`);
    return 0;
  }
  if (outerOmit().includes('optional')) {
    log('optional dependencies are omitted (--omit=optional); not setting up tfjs-node');
    return 0;
  }
  log(current.ok ? '--force: rebuilding tfjs-node' : `tfjs-node is unusable (${current.reason}); setting it up from the ${WHEEL.name} wheel`);

  let lock;
  try {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      throw new StepError('platform', `the offline fallback supports linux-x64 only (this is ${process.platform}-${process.arch})`);
    }
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    lock = acquireLock();
    if (lock.waited && !FORCE) {
      const now = probe();
      if (now.ok) {
        log(`tfjs-node now works (set up by the other run; libtensorflow ${now.info.libtensorflow})`);
        return 0;
      }
    }
    // Runs one step and logs one line with its duration; label may use its result.
    const timed = (label, fn) => {
      const t = Date.now();
      const out = fn();
      const text = typeof label === 'function' ? label(out) : label;
      log(`${text} (${((Date.now() - t) / 1000).toFixed(1)}s)`);
      return out;
    };
    timed(`restored ${PKG} from package-lock.json`, restorePackage);
    const wheel = timed((w) => `wheel: ${path.relative(ROOT, w)}`, getWheel);
    timed(`staged libtensorflow from ${path.basename(wheel)} into deps/`, () => stageDeps(wheel));
    timed('built the binding', buildBinding);
    const after = probe();
    if (!after.ok) throw new StepError('verify', `the built tfjs-node does not work: ${after.reason}`);
    log(`tfjs-node: ready (backend ${after.info.backend}, built against libtensorflow from ${WHEEL.name} ${WHEEL.version})`);
    log(`total ${Math.round((Date.now() - started) / 1000)}s`);
    return 0;
  } catch (err) {
    warnFailure(err);
    return REQUIRED ? 1 : 0;
  } finally {
    lock?.release();
  }
}

process.exitCode = main();
