#!/usr/bin/env node
// Builds native/tf-graph (the graph-execution binding, see src/engine/graph/) with node-gyp,
// against the libtensorflow that tfjs-node uses (its deps/ directory: downloaded online, staged
// from the tensorflow-cpu wheel offline by setup-tfjs-node.mjs, which runs first).
//
// Without the binding the engine still trains, op by op and several times slower, so a failed
// build only warns, unless KJ_REQUIRE_TFJS_NODE=1 (CI), where it fails the install.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TAG = '[build-tf-graph]';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ADDON_DIR = path.join(ROOT, 'native', 'tf-graph');
const REQUIRED = process.env.KJ_REQUIRE_TFJS_NODE === '1';

function fail(message, detail = '') {
  console.error(`${TAG} WARNING: the graph-execution binding was not built: ${message}`);
  if (detail) console.error(detail.split('\n').slice(-25).map((l) => `${TAG}   ${l}`).join('\n'));
  console.error(`${TAG} Training still works, one kernel at a time (slower). To retry: npm run build:tf-graph`);
  process.exit(REQUIRED ? 1 : 0);
}

/** npm's own node-gyp: npm passes its path to scripts; otherwise it sits beside npm. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((c) => c && fs.existsSync(c));
}

let tfjsNode;
try {
  tfjsNode = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-node/package.json'));
} catch {
  fail('@tensorflow/tfjs-node is not installed');
}
if (!fs.existsSync(path.join(tfjsNode, 'deps', 'include', 'tensorflow', 'c', 'c_api.h'))) fail(`no TensorFlow headers under ${path.join(tfjsNode, 'deps')}`);
const gyp = nodeGyp();
if (!gyp) fail('node-gyp was not found (it ships with npm)');

const env = { ...process.env, JOBS: 'max' };
// The headers next to this node binary, instead of a download (which fails offline).
const nodeDir = path.resolve(path.dirname(process.execPath), '..');
if (fs.existsSync(path.join(nodeDir, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = nodeDir;
const started = Date.now();
const res = spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: ADDON_DIR, env, encoding: 'utf8' });
if (res.status !== 0) fail(`node-gyp exited with ${res.status ?? res.signal}`, `${res.stdout}\n${res.stderr}`);
console.log(`${TAG} built native/tf-graph in ${((Date.now() - started) / 1000).toFixed(1)} s`);
