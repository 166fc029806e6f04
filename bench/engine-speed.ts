/**
 * Steady-state training speed (samples/s, best epoch after the first) of the three workloads of
 * issue 6 through our engine. `node --import tsx bench/engine-speed.ts [seed_mlp|mlp784|cnn]`
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.ts';
import type { Callback } from '../src/engine/callbacks/callback.ts';
import { KerasModel } from '../src/engine/model.ts';
import { Trainer } from '../src/engine/trainer.ts';
import { resolveCompile } from '../src/spec/compile.ts';
import { checkGraph, normalizeModel } from '../src/spec/graph.ts';

export const WORKLOADS = {
  seed_mlp: {
    model: { sequential: [{ class_name: 'InputLayer', config: { shape: [32] } }, { class_name: 'Dense', config: { units: 64, activation: 'relu' } }, { class_name: 'Dense', config: { units: 64, activation: 'relu' } }, { class_name: 'Dense', config: { units: 10 } }] },
    compile: { optimizer: { class_name: 'Adam', config: { learning_rate: 0.001 } }, loss: { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true } }, metrics: ['accuracy'] },
    x: [10_000, 32], y: { classes: 10 }, batch: 32, epochs: 8,
  },
  mlp784: {
    model: { sequential: [{ class_name: 'InputLayer', config: { shape: [784] } }, { class_name: 'Dense', config: { units: 256, activation: 'relu' } }, { class_name: 'Dense', config: { units: 128, activation: 'relu' } }, { class_name: 'Dense', config: { units: 10 } }] },
    compile: { optimizer: 'adam', loss: 'mse' },
    x: [20_000, 784], y: { dims: 10 }, batch: 128, epochs: 4,
  },
  cnn: {
    model: { sequential: [{ class_name: 'InputLayer', config: { shape: [28, 28, 1] } }, { class_name: 'Conv2D', config: { filters: 32, kernel_size: 3, activation: 'relu' } }, { class_name: 'MaxPooling2D', config: {} }, { class_name: 'Conv2D', config: { filters: 64, kernel_size: 3, activation: 'relu' } }, { class_name: 'MaxPooling2D', config: {} }, { class_name: 'Flatten', config: {} }, { class_name: 'Dense', config: { units: 10 } }] },
    compile: { optimizer: 'adam', loss: 'mse' },
    x: [4096, 28, 28, 1], y: { dims: 10 }, batch: 64, epochs: 3,
  },
} as const;

class EpochTimer implements Callback {
  readonly seconds: number[] = [];
  private t0 = 0;
  onEpochBegin() {
    this.t0 = performance.now();
  }
  onEpochEnd() {
    this.seconds.push((performance.now() - this.t0) / 1000);
  }
}

export async function engineSamplesPerSecond(name: keyof typeof WORKLOADS): Promise<number> {
  const w = WORKLOADS[name];
  const graph = checkGraph(normalizeModel(w.model as any));
  const model = new KerasModel(graph);
  const trainer = new Trainer(model, resolveCompile(w.compile as any, graph.outputs));
  const n = w.x[0];
  const x = tf.randomUniform([...w.x]);
  const y = 'classes' in w.y ? tf.randomUniform([n], 0, w.y.classes, 'int32') : tf.randomUniform([n, w.y.dims]);
  const timer = new EpochTimer();
  await trainer.fit({ x: [x], y: [y] }, { batchSize: w.batch, epochs: w.epochs, callbacks: [timer] });
  tf.dispose([x, y]);
  trainer.dispose();
  model.dispose();
  return n / Math.min(...timer.seconds.slice(1));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const backend = await initBackend();
  const names = (process.argv[2] ? [process.argv[2]] : Object.keys(WORKLOADS)) as Array<keyof typeof WORKLOADS>;
  for (const name of names) console.log(`${name}: ${(await engineSamplesPerSecond(name)).toFixed(0)} samples/s (engine, ${backend})`);
}
