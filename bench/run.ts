/**
 * `npm run bench [-- --json FILE]`: the three workloads of issue 6 through (a) our engine,
 * (b) bare tfjs-layers model.fit, (c) Keras when a Python with TensorFlow is available
 * (KERAS_PYTHON, else python3), and (d) the whole service (HTTP + queue + worker), side by side
 * in steady-state samples/s (best epoch after the first). Then two keras.applications trained
 * from Keras's own .keras files, the service against Keras (bench/apps-speed.ts).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../src/engine/backend.ts';
import { WORKLOADS, engineSamplesPerSecond } from './engine-speed.ts';
import { APPS, appSamplesPerSecond, type AppSpeed } from './apps-speed.ts';
import { serviceSamplesPerSecond } from './service-speed.ts';
import { tfjsFitSamplesPerSecond } from './tfjs-fit-speed.ts';

type Name = keyof typeof WORKLOADS;
const names = Object.keys(WORKLOADS) as Name[];
const jsonAt = process.argv.indexOf('--json');
const jsonFile = jsonAt > 0 ? process.argv[jsonAt + 1] : undefined;

function keras(): Record<string, number> | string {
  const python = process.env.KERAS_PYTHON ?? 'python3';
  const probe = spawnSync(python, ['-c', 'import keras, tensorflow'], { encoding: 'utf8' });
  if (probe.status !== 0) return `no Keras: ${python} cannot import keras and tensorflow (set KERAS_PYTHON to a Python with tensorflow-cpu==2.21.0)`;
  const script = fileURLToPath(new URL('./keras_speed.py', import.meta.url));
  const run = spawnSync(python, [script], { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
  if (run.status !== 0) return `Keras run failed: ${run.stderr.split('\n').slice(-3).join(' ')}`;
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!);
}

const backend = await initBackend();
const results: Record<string, { engine: number | null; tfjs_fit: number | null; keras: number | null; service: number | null }> = {};
for (const name of names) {
  results[name] = { engine: await engineSamplesPerSecond(name), tfjs_fit: await tfjsFitSamplesPerSecond(name), keras: null, service: null };
}
for (const name of names) results[name].service = await serviceSamplesPerSecond(name).catch((err) => (console.error(`service ${name}: ${err.message}`), null));
const k = keras();
if (typeof k === 'string') console.log(k);
else for (const name of names) results[name].keras = k[name] ?? null;

const fmt = (v: number | null) => (v === null ? '—' : v.toFixed(0)).padStart(8);
const ratio = (a: number | null, b: number | null) => (a === null || b === null ? '—' : `${(a / b).toFixed(2)}×`).padStart(7);
console.log(`backend ${backend}; samples/s, best epoch after the first`);
console.log(`${'workload'.padEnd(10)} ${'engine'.padStart(8)} ${'tfjs fit'.padStart(8)} ${'Keras'.padStart(8)} ${'service'.padStart(8)}  engine/Keras  service/engine`);
for (const name of names) {
  const r = results[name];
  console.log(`${name.padEnd(10)} ${fmt(r.engine)} ${fmt(r.tfjs_fit)} ${fmt(r.keras)} ${fmt(r.service)}  ${ratio(r.engine, r.keras).padStart(12)}  ${ratio(r.service, r.engine).padStart(14)}`);
}
const apps: Record<string, AppSpeed> = {};
for (const name of Object.keys(APPS) as Array<keyof typeof APPS>) apps[name] = await appSamplesPerSecond(name);
console.log(`keras.applications at 32x32, batch 32, Adam: the service trains Keras's .keras file`);
console.log(`${'model'.padEnd(24)} ${'service'.padStart(8)} ${'Keras'.padStart(8)}  service/Keras`);
for (const [name, r] of Object.entries(apps)) {
  console.log(`${(name === 'mobilenet_v2' ? 'MobileNetV2 (alpha 0.35)' : 'ResNet50').padEnd(24)} ${fmt(r.service)} ${fmt(r.keras)}  ${ratio(r.service, r.keras).padStart(13)}${r.note ? `   ${r.note}` : ''}`);
}
if (jsonFile) fs.writeFileSync(jsonFile, JSON.stringify({ ...results, applications: apps }, null, 2));
process.exit(0);
