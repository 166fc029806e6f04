/**
 * The worker's half of POST /v1/models/import: the API checked and translated the Keras file;
 * here its weights go into an engine model, which is stored like a trained one (so evaluate,
 * predict, export and fine-tuning with initial_model all find what they expect).
 */
import fs from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.ts';
import { KerasModel } from '../src/engine/model.ts';
import { modelFiles, optimizerFiles } from '../src/engine/serialize.ts';
import { Trainer } from '../src/engine/trainer.ts';
import type { ImportJob } from '../src/jobs/queue.ts';
import { layerBudgets } from '../src/keras/inspect-import.ts';
import { readKerasArchive, readLegacyArchive } from '../src/keras/keras-archive.ts';
import type { KerasWeights } from '../src/keras/types.ts';
import { resolveCompile } from '../src/spec/compile.ts';
import { checkGraph, normalizeModel } from '../src/spec/graph.ts';
import type { ModelStore } from '../src/store/model-store.ts';
import type { Emit, JobInput, JobResult } from './run-job.ts';

function tensorsOf(weights: KerasWeights, layers: Iterable<string>): Record<string, tf.Tensor[]> {
  const out: Record<string, tf.Tensor[]> = {};
  for (const name of layers) {
    const arrays = weights[name];
    if (arrays?.length) out[name] = arrays.map((a) => tf.tensor(a.data, a.shape, 'float32'));
  }
  return out;
}

export async function runImport(modelId: string, input: JobInput, job: ImportJob, store: ModelStore, emit: Emit): Promise<JobResult> {
  const backend = await initBackend();
  const bytes = new Uint8Array(await fs.readFile(job.upload));
  const graph = checkGraph(normalizeModel(job.model));
  // The API checked this file; the worker still reads no more than each layer's parameters.
  const budgetsFor = () => layerBudgets(graph.summary);
  const archive = job.format === 'keras' ? await readKerasArchive(bytes, { budgetsFor }) : await readLegacyArchive(bytes, { budgetsFor });
  const model = new KerasModel(graph);
  const trainer = job.compile ? new Trainer(model, resolveCompile(job.compile, graph.outputs)) : undefined;
  const tensors = tensorsOf(archive.weights, model.layers.keys());
  try {
    const missing = [...model.layers].filter(([name, layer]) => layer.getWeights().length > 0 && !tensors[name]).map(([name]) => name);
    if (missing.length) throw new Error(`the file has no weights for layer(s) ${missing.join(', ')}`);
    model.setWeights(tensors);
    // A fresh optimizer: fine-tuning starts its state anew (the file's optimizer variables are not read).
    await store.writeFinal(modelId, { ...(await modelFiles(model)), ...(trainer ? await optimizerFiles(trainer.optimizer) : {}) });
    // Before info.json makes the model visible: an imported model given a TTL never exists without it.
    if (job.ttl_s) await store.setExpiry(modelId, job.ttl_s);
    const now = new Date().toISOString();
    await store.writeInfo(modelId, {
      id: modelId,
      tenant: input.tenant,
      job_id: input.jobId,
      created_at: now,
      trained_at: now,
      status: 'imported',
      backend,
      imported: { format: job.format, filename: job.filename, keras_version: job.keras_version ?? null },
      spec: { model: job.model, compile: job.compile ?? null },
      summary: graph.summary,
      epochs_run: 0,
      history: {},
    });
    emit('imported', { model_id: modelId, format: job.format, layers: graph.layers.length, params: graph.summary.total_params });
    return { backend, model_id: modelId, result: {} };
  } finally {
    tf.dispose(Object.values(tensors).flat());
    trainer?.dispose();
    model.dispose();
    await fs.rm(job.upload, { force: true });
  }
}
