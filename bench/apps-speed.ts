/**
 * keras.applications training speed, ours against Keras's in the same run: MobileNetV2 (alpha
 * 0.35, 32x32) and ResNet50 (32x32), batch 32, Adam, random data. Keras (bench/keras_apps_speed.py)
 * builds each model, saves the .keras file and times its own fit; the service imports that file
 * over HTTP and trains it as a fit job (API, queue, worker, trainer child); both figures are
 * steady-state samples/s (best epoch after the first).
 *
 * `node --import tsx bench/apps-speed.ts [mobilenet_v2|resnet50]` (KERAS_PYTHON, else python3).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack } from '../test/helpers/stack.ts';
import { fitSamplesPerSecond } from './service-speed.ts';

export const APPS = { mobilenet_v2: { steps: 20 }, resnet50: { steps: 8 } } as const;
const BATCH = 32;
const EPOCHS = 3;

export interface AppSpeed {
  service: number | null;
  keras: number | null;
  note?: string;
}

export async function appSamplesPerSecond(name: keyof typeof APPS): Promise<AppSpeed> {
  const python = process.env.KERAS_PYTHON ?? 'python3';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kj-apps-'));
  const file = path.join(dir, `${name}.keras`);
  const steps = APPS[name].steps;
  try {
    const script = fileURLToPath(new URL('./keras_apps_speed.py', import.meta.url));
    const kerasRun = (env: Record<string, string>) =>
      spawnSync(python, [script, name, file, String(BATCH), String(steps), String(EPOCHS)], { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', ...env } });
    let run = kerasRun({});
    let note: string | undefined;
    // Where oneDNN's convolution setup divides by zero (see workers/trainer-client.ts), Keras dies
    // too; the service then trains without oneDNN, and so does Keras here.
    if (run.signal === 'SIGFPE') {
      run = kerasRun({ TF_ENABLE_ONEDNN_OPTS: '0' });
      note = 'oneDNN kernels off on both sides: with them, Keras and the first trainer die of SIGFPE on this CPU';
    }
    if (run.status !== 0 || !fs.existsSync(file)) return { service: null, keras: null, note: `Keras (${python}) could not train ${name}: ${run.signal ?? run.stderr.split('\n').slice(-3).join(' ')}` };
    const keras = JSON.parse(run.stdout.trim().split('\n').at(-1)!).samples_per_s as number;
    const stack = await startStack();
    try {
      const form = new FormData();
      form.append('file', new Blob([fs.readFileSync(file)]), `${name}.keras`);
      const res = await fetch(`${stack.baseUrl}/v1/models/import`, { method: 'POST', body: form });
      const imported = (await res.json()) as { id?: string; detail?: string };
      if (res.status !== 201) return { service: null, keras, note: `import refused: ${imported.detail}` };
      const n = BATCH * steps;
      const spec = {
        type: 'fit',
        initial_model: { model_id: imported.id },
        compile: { optimizer: 'adam', loss: { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true } } },
        fit: { x: { random: { kind: 'uniform', shape: [n, 32, 32, 3], seed: 1 } }, y: { random: { kind: 'randint', shape: [n], high: 10, seed: 2 } }, batch_size: BATCH, epochs: EPOCHS },
      };
      return { service: await fitSamplesPerSecond(stack.baseUrl, spec, n), keras, ...(note ? { note } : {}) };
    } finally {
      await stack.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const name of (process.argv[2] ? [process.argv[2]] : Object.keys(APPS)) as Array<keyof typeof APPS>) {
    const r = await appSamplesPerSecond(name);
    console.log(`${name}: service ${r.service?.toFixed(1) ?? '—'} samples/s, Keras ${r.keras?.toFixed(1) ?? '—'} samples/s${r.note ? ` (${r.note})` : ''}`);
  }
}
