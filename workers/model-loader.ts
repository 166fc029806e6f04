/**
 * Loads a stored model (its final weights or one checkpoint) back into the engine, with its
 * optimizer state when training is to continue. A small LRU keeps recently used models warm, so
 * a predict on a model just used costs the forward pass, not a reload.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { OptimizerState } from '../src/engine/optimizers.ts';
import { KerasModel } from '../src/engine/model.ts';
import { loadModelWeights, readOptimizerState } from '../src/engine/serialize.ts';
import { Trainer } from '../src/engine/trainer.ts';
import { resolveCompile } from '../src/spec/compile.ts';
import { checkGraph, normalizeModel } from '../src/spec/graph.ts';
import type { ModelStore } from '../src/store/model-store.ts';
import type { CompileSpec } from '../src/spec/schema.ts';

/**
 * An imported model without a compile_config can still predict; the trainer needs some compile
 * to exist, and this one is never used to train or evaluate (the API refuses those jobs).
 */
const PREDICT_ONLY: CompileSpec = { optimizer: 'sgd', loss: 'mean_squared_error' };

export interface LoadedModel {
  model: KerasModel;
  trainer: Trainer;
}

function filesDir(store: ModelStore, modelId: string, checkpoint?: string): string {
  return checkpoint === undefined ? path.join(store.dir(modelId), 'final') : path.join(store.dir(modelId), 'checkpoints', checkpoint);
}

export async function loadModel(store: ModelStore, modelId: string, checkpoint?: string): Promise<LoadedModel> {
  const info = await store.readInfo(modelId);
  if (!info) throw new Error(`model "${modelId}" does not exist (deleted?)`);
  const dir = filesDir(store, modelId, checkpoint);
  const graph = checkGraph(normalizeModel(info.spec.model));
  const model = new KerasModel(graph);
  try {
    loadModelWeights(model, await fs.readFile(path.join(dir, 'model.json'), 'utf8'), await fs.readFile(path.join(dir, 'weights.bin')));
    return { model, trainer: new Trainer(model, resolveCompile(info.spec.compile ?? PREDICT_ONLY, graph.outputs)) };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

export async function loadOptimizerState(store: ModelStore, modelId: string, checkpoint?: string): Promise<OptimizerState> {
  const dir = filesDir(store, modelId, checkpoint);
  return readOptimizerState(await fs.readFile(path.join(dir, 'optimizer.json'), 'utf8'), await fs.readFile(path.join(dir, 'optimizer.bin')));
}

export class ModelCache {
  private readonly entries = new Map<string, LoadedModel>();
  constructor(private readonly store: ModelStore, private readonly capacity: number) {}

  async get(modelId: string, checkpoint?: string): Promise<LoadedModel> {
    const key = `${modelId}@${checkpoint ?? ''}`;
    const hit = this.entries.get(key);
    if (hit) {
      // Re-insert: Map order is the recency order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const loaded = await loadModel(this.store, modelId, checkpoint);
    this.entries.set(key, loaded);
    while (this.entries.size > this.capacity) {
      const [oldest, entry] = this.entries.entries().next().value as [string, LoadedModel];
      this.entries.delete(oldest);
      entry.trainer.dispose();
      entry.model.dispose();
    }
    return loaded;
  }

  get size(): number {
    return this.entries.size;
  }
}
