/**
 * `npm run keras-roundtrip [-- zoo names]`: trains models through the real service (API, queue,
 * worker), exports each as a .keras file, loads it in real Keras 3 (KERAS_PYTHON, else python3,
 * with tensorflow-cpu==2.21.0) and compares Keras's predictions with the service's. Also
 * re-imports each export and checks that it predicts the same. Then the same for every model of
 * the zoo (test/fixtures/zoo; or the names given), imported from Keras's file and fine-tuned by
 * the service before it is exported. Prints a table; exits 1 on any mismatch.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { materialize } from '../src/spec/arrays.ts';
import { startStack } from '../test/helpers/stack.ts';
import { importKeras, loadZooCase, predictProbe, probeInputs, runZooCase, zooNames } from '../test/helpers/zoo.ts';

const python = process.env.KERAS_PYTHON ?? 'python3';
const only = process.argv.slice(2);
const checker = fileURLToPath(new URL('./keras_load_check.py', import.meta.url));
const uniform = (shape: number[], seed: number) => ({ random: { kind: 'uniform', shape, seed } });
const randint = (shape: number[], high: number, seed: number) => ({ random: { kind: 'randint', shape, high, seed } });
const layer = (name: string, class_name: string, inbound: string[], config: Record<string, unknown> = {}) => ({ name, class_name, config, inbound });

/** Small versions of what users train: the tutorial's models, a CNN with BatchNorm, recurrent nets. */
const CASES = [
  {
    name: 'tutorial MLP (section 1)',
    model: { inputs: [{ name: 'digits', shape: [32] }], layers: [layer('dense_1', 'Dense', ['digits'], { units: 64, activation: 'relu' }), layer('dense_2', 'Dense', ['dense_1'], { units: 64, activation: 'relu' }), layer('predictions', 'Dense', ['dense_2'], { units: 10 })], outputs: ['predictions'] },
    compile: { optimizer: { class_name: 'RMSprop', config: { learning_rate: 0.001 } }, loss: { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true } }, metrics: ['accuracy'] },
    x: uniform([256, 32], 1), y: randint([256], 10, 2), probe: uniform([4, 32], 3),
  },
  {
    name: 'tutorial multi-input multi-output (sections 5/6)',
    model: {
      inputs: [{ name: 'img_input', shape: [16, 16, 3] }, { name: 'ts_input', shape: [12, 5] }],
      layers: [
        layer('conv2d', 'Conv2D', ['img_input'], { filters: 3, kernel_size: 3 }), layer('global_max_pooling2d', 'GlobalMaxPooling2D', ['conv2d']),
        layer('conv1d', 'Conv1D', ['ts_input'], { filters: 3, kernel_size: 3 }), layer('global_max_pooling1d', 'GlobalMaxPooling1D', ['conv1d']),
        layer('concatenate', 'Concatenate', ['global_max_pooling2d', 'global_max_pooling1d']),
        layer('score_output', 'Dense', ['concatenate'], { units: 1 }), layer('class_output', 'Dense', ['concatenate'], { units: 5 }),
      ],
      outputs: ['score_output', 'class_output'],
    },
    compile: { optimizer: { class_name: 'RMSprop', config: { learning_rate: 0.001 } }, loss: [{ class_name: 'MeanSquaredError' }, { class_name: 'CategoricalCrossentropy', config: { from_logits: true } }], loss_weights: [1, 0.5] },
    x: [uniform([64, 16, 16, 3], 4), uniform([64, 12, 5], 5)], y: [uniform([64, 1], 6), uniform([64, 5], 7)], probe: { img_input: uniform([3, 16, 16, 3], 8), ts_input: uniform([3, 12, 5], 9) },
  },
  {
    name: 'Sequential CNN with BatchNormalization',
    model: { sequential: [{ class_name: 'InputLayer', config: { shape: [12, 12, 1] } }, { class_name: 'Conv2D', config: { filters: 4, kernel_size: 3, activation: 'relu' } }, { class_name: 'BatchNormalization' }, { class_name: 'MaxPooling2D' }, { class_name: 'Flatten' }, { class_name: 'Dense', config: { units: 3, activation: 'softmax' } }] },
    compile: { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] },
    x: uniform([128, 12, 12, 1], 10), y: randint([128], 3, 11), probe: uniform([4, 12, 12, 1], 12),
  },
  {
    name: 'LSTM regression',
    model: { sequential: [{ class_name: 'InputLayer', config: { shape: [6, 3] } }, { class_name: 'LSTM', config: { units: 5 } }, { class_name: 'Dense', config: { units: 1 } }] },
    compile: { optimizer: { class_name: 'SGD', config: { learning_rate: 0.05, momentum: 0.9 } }, loss: 'mse' },
    x: uniform([96, 6, 3], 13), y: uniform([96, 1], 14), probe: uniform([4, 6, 3], 15),
  },
  {
    name: 'GRU (Keras 3 reset_after)',
    model: { sequential: [{ class_name: 'InputLayer', config: { shape: [5, 2] } }, { class_name: 'GRU', config: { units: 4, return_sequences: true } }, { class_name: 'GRU', config: { units: 3 } }, { class_name: 'Dense', config: { units: 2 } }] },
    compile: { optimizer: 'adam', loss: 'mae' },
    x: uniform([96, 5, 2], 16), y: uniform([96, 2], 17), probe: uniform([4, 5, 2], 18),
  },
];

async function main(): Promise<number> {
  const probe = spawnSync(python, ['-c', 'import keras, tensorflow'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.error(`${python} cannot import keras and tensorflow: set KERAS_PYTHON to a Python with tensorflow-cpu==2.21.0`);
    return 2;
  }
  // The real service in this process (API, queue on REDIS_URL under a throwaway prefix, a worker).
  const stack = await startStack();
  const base = stack.baseUrl;
  const dataDir = stack.config.dataDir;
  const call = async (url: string, init?: RequestInit) => {
    const res = await fetch(`${base}${url}`, init);
    if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
    return res;
  };
  const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const predict = async (modelId: string, x: unknown) => {
    const done = (await (await call(`/v1/models/${modelId}/predict?wait=120`, json({ x }))).json()) as any;
    if (done.state !== 'completed') throw new Error(`predict on ${modelId}: ${done.error?.message}`);
    return done.result.predictions as unknown[];
  };
  let failures = 0;
  let checked = 0;
  /** Keras loads the export and predicts `expected` from `inputs`; the re-import predicted within `reimportDiff`. */
  const report = (name: string, keras: Uint8Array, inputs: unknown, expected: unknown, reimportDiff: number, flatOutputs = false) => {
    const file = path.join(dataDir, `export-${checked}.keras`);
    const casePath = path.join(dataDir, `export-${checked++}.json`);
    writeFileSync(file, keras);
    writeFileSync(casePath, JSON.stringify({ inputs, expected, flat: flatOutputs }));
    const run = spawnSync(python, [checker, file, casePath, '--atol', '1e-5', '--rtol', '1e-4'], { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
    const result = JSON.parse(run.stdout.slice(run.stdout.indexOf('{')) || '{}');
    const ok = run.status === 0 && reimportDiff <= 1e-6;
    if (!ok) failures += 1;
    console.log(`${name.padEnd(48)}| ${run.status === 2 ? 'no ' : 'yes'.padEnd(11)} | ${String(result.max_abs_diff?.toExponential?.(2) ?? result.max_abs_diff).padEnd(22)} | ${reimportDiff.toExponential(2).padEnd(18)} | ${ok ? 'ok' : `MISMATCH ${JSON.stringify(result.problems ?? result.error ?? run.stderr.slice(-300))}`}`);
  };
  try {
    console.log('model                                           | Keras loads | max |Keras − service| | re-import max diff | result');
    console.log('------------------------------------------------|-------------|------------------------|--------------------|-------');
    for (const c of CASES) {
      const accepted = (await (await call('/v1/jobs', json({ type: 'fit', model: c.model, compile: c.compile, fit: { x: c.x, y: c.y, batch_size: 16, epochs: 3 } }))).json()) as any;
      let job: any;
      for (;;) {
        job = await (await call(`/v1/jobs/${accepted.id}`)).json();
        if (['completed', 'failed', 'cancelled'].includes(job.state)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (job.state !== 'completed') throw new Error(`${c.name}: training ${job.state}: ${job.error?.message}`);
      const predictions = await predict(job.model_id, c.probe);
      const keras = new Uint8Array(await (await call(`/v1/models/${job.model_id}/export?format=keras`)).arrayBuffer());
      const reimported = await importKeras(stack, keras, 'model.keras');
      if (!reimported.id) throw new Error(`${c.name}: the export does not re-import: ${reimported.error}`);
      report(c.name, keras, materializeProbe(c.probe), predictions.length === 1 ? predictions[0] : predictions, maxDiff(await predict(reimported.id, c.probe), predictions));
    }
    for (const name of zooNames().filter((n) => !only.length || only.includes(n))) {
      const c = loadZooCase(name);
      const run = await runZooCase(stack, c, { exported: true });
      if (!run.tuned) throw new Error(`zoo ${name}: ${run.importError ?? run.fitError}`);
      const reimported = await importKeras(stack, run.tuned.keras, c.file);
      if (!reimported.id) throw new Error(`zoo ${name}: the export does not re-import: ${reimported.error}`);
      const again = await predictProbe(stack, c, reimported.id);
      // Keras's outputs come back shaped; the comparison is of the flat values, one output at a time.
      report(`zoo ${name}`, run.tuned.keras, probeInputs(c), run.tuned.predicted, maxDiff(again, run.tuned.predicted), true);
    }
  } finally {
    await stack.close();
  }
  console.log(failures ? `${failures} model(s) did not round-trip` : `all ${checked} models round-trip: Keras predicts what the service predicts`);
  return failures ? 1 : 0;
}

function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v as number];
}

function maxDiff(a: unknown, b: unknown): number {
  const x = flat(a);
  const y = flat(b);
  return x.length !== y.length ? Infinity : Math.max(...x.map((v, i) => Math.abs(v - y[i])));
}

/** The probe's {random} arrays as the numbers the service used, from the service's own generator. */
function materializeProbe(probe: unknown): unknown {
  const one = (a: unknown) => {
    const host = materialize(a as Parameters<typeof materialize>[0]);
    return reshape(Array.from(host.values), host.shape);
  };
  return probe && typeof probe === 'object' && !('random' in probe) ? Object.fromEntries(Object.entries(probe).map(([k, v]) => [k, one(v)])) : one(probe);
}

function reshape(data: number[], shape: number[]): unknown {
  if (shape.length <= 1) return data;
  const step = data.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) => reshape(data.slice(i * step, (i + 1) * step), shape.slice(1)));
}

process.exit(await main());
