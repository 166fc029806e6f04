import type { ModelLookup, StoredModel } from '../spec/check-job.ts';
import { historyAt, type ModelStore } from '../store/model-store.ts';

/** What job checks need to know of a stored model, read from its folder. */
export function modelLookup(store: ModelStore, tenant: string): ModelLookup {
  return async (modelId: string): Promise<StoredModel | undefined> => {
    const info = await store.readOwned(modelId, tenant);
    if (!info) return undefined;
    const checkpoints: StoredModel['checkpoints'] = {};
    // Models trained before history.json kept their history in info.json.
    const history = info.history ?? (await store.readHistory(modelId));
    for (const c of await store.listCheckpoints(modelId)) checkpoints[c.name] = { epoch: c.epoch, history: historyAt(c, history), weights_only: c.weights_only };
    return { id: modelId, spec: info.spec, epochs_run: info.status === 'trained' || info.status === 'imported' ? info.epochs_run : undefined, history, checkpoints };
  };
}
