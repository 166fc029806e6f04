/** The baseline: the same workloads through tfjs-layers' own model.fit (no parity with Keras). */
import * as tf from '@tensorflow/tfjs';
import { WORKLOADS } from './engine-speed.ts';

export async function tfjsFitSamplesPerSecond(name: keyof typeof WORKLOADS): Promise<number> {
  const w = WORKLOADS[name];
  const layers = w.model.sequential;
  const model = tf.sequential();
  const inputShape = [...(layers[0].config as unknown as { shape: readonly number[] }).shape];
  layers.slice(1).forEach((l, i) => {
    const cfg = l.config as Record<string, any>;
    const first = i === 0 ? { inputShape } : {};
    if (l.class_name === 'Dense') model.add(tf.layers.dense({ ...first, units: cfg.units, activation: cfg.activation ?? 'linear' }));
    else if (l.class_name === 'Conv2D') model.add(tf.layers.conv2d({ ...first, filters: cfg.filters, kernelSize: cfg.kernel_size, activation: cfg.activation }));
    else if (l.class_name === 'MaxPooling2D') model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    else if (l.class_name === 'Flatten') model.add(tf.layers.flatten());
  });
  const sparse = 'classes' in w.y;
  model.compile({ optimizer: tf.train.adam(0.001), loss: sparse ? 'sparseCategoricalCrossentropy' : 'meanSquaredError', metrics: sparse ? ['accuracy'] : [] });
  const n = w.x[0];
  const x = tf.randomUniform([...w.x]);
  const y = sparse ? tf.randomUniform([n], 0, 10, 'int32').cast('float32') : tf.randomUniform([n, 10]);
  const seconds: number[] = [];
  let t0 = 0;
  await model.fit(x, y, {
    batchSize: w.batch,
    epochs: w.epochs,
    verbose: 0,
    callbacks: { onEpochBegin: async () => void (t0 = performance.now()), onEpochEnd: async () => void seconds.push((performance.now() - t0) / 1000) },
  });
  tf.dispose([x, y]);
  model.dispose();
  return n / Math.min(...seconds.slice(1));
}
