/**
 * Model and optimizer state as files: the model in the TensorFlow.js layers format (model.json +
 * weights.bin, loadable by tf.loadLayersModel), the optimizer's slots beside it, so training can
 * resume exactly where a checkpoint was taken.
 */
import * as tf from '@tensorflow/tfjs';
import type { KerasModel } from './model.ts';
import type { Optimizer, OptimizerState } from './optimizers.ts';

export type Files = Record<string, Uint8Array | string>;

export async function modelFiles(model: KerasModel): Promise<Files> {
  let files: Files = {};
  await model.symbolic.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData as ArrayBuffer;
      files = {
        'model.json': JSON.stringify({
          format: 'layers-model',
          generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
          convertedBy: 'keras-jobs',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        }),
        'weights.bin': new Uint8Array(weightData),
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return files;
}

export async function optimizerFiles(optimizer: Optimizer): Promise<Files> {
  const state = optimizer.getState();
  const entries = Object.entries(state.slots);
  const specs = entries.map(([name, t]) => ({ name, shape: t.shape, dtype: t.dtype }));
  const buffers = await Promise.all(entries.map(async ([, t]) => new Uint8Array((await t.data()).buffer.slice(0))));
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const bin = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    bin.set(b, offset);
    offset += b.byteLength;
  }
  const json = { class_name: optimizer.className, config: optimizer.config, iterations: state.iterations, learning_rate: state.learning_rate, extra: state.extra, slots: specs };
  return { 'optimizer.json': JSON.stringify(json), 'optimizer.bin': bin };
}

/** Inverse of optimizerFiles: slot tensors from the manifest and the binary blob. */
export function readOptimizerState(json: string, bin: Uint8Array): OptimizerState {
  const meta = JSON.parse(json) as { iterations: number; learning_rate: number; extra?: Record<string, unknown>; slots: Array<{ name: string; shape: number[]; dtype: 'float32' }> };
  const slots: Record<string, tf.Tensor> = {};
  let offset = 0;
  for (const spec of meta.slots) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(bin.buffer.slice(bin.byteOffset + offset, bin.byteOffset + offset + count * 4));
    slots[spec.name] = tf.tensor(values, spec.shape, spec.dtype);
    offset += count * 4;
  }
  return { iterations: meta.iterations, learning_rate: meta.learning_rate, extra: meta.extra, slots };
}

/** Loads weights saved by modelFiles (model.json manifest + weights.bin) into a model of the same architecture. */
export function loadModelWeights(model: KerasModel, modelJson: string, bin: Uint8Array): void {
  const manifest = JSON.parse(modelJson) as { weightsManifest: Array<{ weights: Array<{ name: string; shape: number[]; dtype: string }> }> };
  const byLayer: Record<string, tf.Tensor[]> = {};
  let offset = 0;
  for (const spec of manifest.weightsManifest.flatMap((g) => g.weights)) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = bin.buffer.slice(bin.byteOffset + offset, bin.byteOffset + offset + count * 4);
    const values = spec.dtype === 'int32' ? new Int32Array(bytes) : new Float32Array(bytes);
    const layer = spec.name.slice(0, spec.name.lastIndexOf('/'));
    (byLayer[layer] ??= []).push(tf.tensor(values, spec.shape, spec.dtype as 'float32'));
    offset += count * 4;
  }
  if (offset !== bin.byteLength) throw new Error(`weights.bin holds ${bin.byteLength} bytes but model.json describes ${offset}`);
  try {
    model.setWeights(byLayer);
  } finally {
    tf.dispose(Object.values(byLayer).flat());
  }
}
