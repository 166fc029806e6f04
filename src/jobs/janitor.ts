/**
 * Removes models and datasets past their TTL (sweepExpired), and files whose job is gone (sweepLeftovers): predictions of jobs whose record expired (results/<job>),
 * staged inline arrays (datasets/payload-<job>) and uploads waiting for an import
 * (imports/<job>.<format>, or <job>.upload while received and checked) of jobs that ended or
 * never made it into the queue (an API process that died between writing them and queueing the job). Workers run it now and then; anything
 * younger than `graceMs` is left alone, since a submit writes its files before its record.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { JobStore } from './job-store.ts';
import type { JobReferences } from './job-references.ts';
import type { ModelStore } from '../store/model-store.ts';
import type { DatasetStore } from '../datasets/dataset-store.ts';
import { BeingDeleted, InUse } from '../errors.ts';
import { TERMINAL_STATES } from './job-record.ts';
import { importsDir } from './import-model.ts';

export interface JanitorPaths {
  checkpointDir: string;
  datasetDir: string;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** Each kind of leftover: its folder, and the job id in an entry's name. */
const KINDS = [
  { name: 'result', dir: (p: JanitorPaths) => path.join(p.checkpointDir, 'results'), id: new RegExp(`^(${UUID})$`), whileEnded: true },
  { name: 'payload', dir: (p: JanitorPaths) => p.datasetDir, id: new RegExp(`^payload-(${UUID})$`), whileEnded: false },
  { name: 'import', dir: (p: JanitorPaths) => importsDir(p.checkpointDir), id: new RegExp(`^(${UUID})\\.(keras|h5|upload)$`), whileEnded: false },
] as const;

export async function sweepLeftovers(paths: JanitorPaths, jobs: JobStore, graceMs: number, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const kind of KINDS) {
    const dir = kind.dir(paths);
    const entries = (await fs.readdir(dir).catch(() => [] as string[])).map((name) => ({ name, id: kind.id.exec(name)?.[1] })).filter((e) => e.id);
    const records = await jobs.getMany(entries.map((e) => e.id!));
    for (const [i, { name }] of entries.entries()) {
      const record = records[i];
      // Results stay as long as their job's record; payloads and uploads only while it is queued or running.
      const needed = record && (kind.whileEnded || !TERMINAL_STATES.has(record.state));
      if (needed) continue;
      const file = path.join(dir, name);
      const stat = await fs.stat(file).catch(() => undefined);
      if (!stat || now - stat.mtimeMs < graceMs) continue;
      await fs.rm(file, { recursive: true, force: true });
      removed.push(`${kind.name} ${name}`);
    }
  }
  return removed;
}

/**
 * Removes the models and datasets whose TTL has passed, as a DELETE would: one that a queued or
 * running job uses stays, and goes at a sweep after that job has ended.
 */
export async function sweepExpired(stores: { models: ModelStore; datasets: DatasetStore }, references: JobReferences, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  const sweep = async (kind: 'model' | 'dataset', ids: string[], remove: (id: string) => Promise<boolean>) => {
    for (const id of ids) {
      try {
        if (await references.removeUnused(`${kind}:${id}`, () => remove(id))) removed.push(`${kind} ${id}`);
      } catch (err) {
        if (!(err instanceof InUse || err instanceof BeingDeleted)) throw err;
      }
    }
  };
  await sweep('model', await stores.models.expired(now), (id) => stores.models.remove(id));
  await sweep('dataset', await stores.datasets.expired(now), (id) => stores.datasets.remove(id));
  return removed;
}
