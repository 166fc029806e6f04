/**
 * Trained models and checkpoints on disk, one folder per model under CHECKPOINT_DIR:
 *   models/<id>/info.json                  what GET /v1/models/<id> describes
 *   models/<id>/final/                     model.json + weights.bin (TensorFlow.js layers format)
 *   models/<id>/checkpoints/<name>/        model.json, weights.bin, optimizer.json/.bin, state.json
 *   models/<id>/history.json               the training history, once per model: a checkpoint's
 *                                          state.json says how many values of each key were its own
 *   models/<id>/expires.json               when it may be removed (ttl_s), if ever
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { draftFile, isTempName, writeDirAtomic, writeFileAtomic, type Draft } from './atomic.ts';
import { expiredUnder, readExpiry, writeExpiry } from './expiry.ts';

export interface CheckpointInfo {
  name: string;
  epoch: number;
  /** Set for ModelCheckpoint saves: the monitored quantity and its value. */
  monitor?: string;
  value?: number;
  weights_only?: boolean;
  /** How many values of each history key the model had when this checkpoint was written (epoch checkpoints). */
  history_lengths?: Record<string, number>;
  /** The history itself, in checkpoints written before history.json existed. */
  history?: History;
  files: Array<{ name: string; bytes: number }>;
}

export type History = Record<string, number[]>;

/** The resumable checkpoint written after each epoch (0-based epoch → epoch-0001, ...). */
export const epochCheckpointName = (epoch: number) => `epoch-${String(epoch + 1).padStart(4, '0')}`;
const EPOCH_CHECKPOINT = /^epoch-\d+$/;

/** A `.old-<name>-<tag>` folder of writeDirAtomic: the name it replaced. */
const OLD_COPY = /^\.old-(.+)-[0-9a-f]{8}$/;

const SAFE_ID = /^[A-Za-z0-9_-]{1,100}$/;
/** A checkpoint name is one path segment: no separators, no dot-dot, no NUL. */
const SAFE_NAME = /^(?!\.)[A-Za-z0-9_.=+-]{1,200}$/;

export function isSafeCheckpointName(name: string): boolean {
  return SAFE_NAME.test(name) && !name.includes('..');
}

/** A disk problem becomes an error that says what could not be written, and where. */
async function writing<T>(what: string, root: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const hint = e.code === 'ENOSPC' ? ' (the disk is full)' : e.code === 'EACCES' || e.code === 'EROFS' || e.code === 'EPERM' ? ' (not writable)' : '';
    throw new Error(`could not write ${what} under CHECKPOINT_DIR (${root})${hint}: ${e.code ?? ''} ${e.message}`.trim());
  }
}

const exists = (p: string) => fs.stat(p).then(() => true, () => false);

/**
 * Bytes of the files under a folder (0 if there is none). A training job renames and prunes
 * checkpoints meanwhile: a file gone since the listing counts 0.
 */
export async function bytesUnder(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (entry.isFile()) total += (await fs.stat(path.join(entry.parentPath, entry.name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

export const lengthsOf = (history: History): Record<string, number> => Object.fromEntries(Object.entries(history).map(([k, v]) => [k, v.length]));

/**
 * The history as it was at a checkpoint: the model's history cut to the checkpoint's lengths.
 * Checkpoints written before history.json existed carry their own copy.
 */
export function historyAt(state: { history?: History; history_lengths?: Record<string, number> }, modelHistory: History): History {
  if (state.history) return state.history;
  return Object.fromEntries(Object.entries(state.history_lengths ?? {}).map(([k, n]) => [k, (modelHistory[k] ?? []).slice(0, n)]));
}

export class ModelStore {
  constructor(readonly root: string) {}

  dir(modelId: string): string {
    if (!SAFE_ID.test(modelId)) throw new Error(`invalid model id "${modelId}"`);
    return path.join(this.root, 'models', modelId);
  }

  /** Result files of a job (predictions as .npy), outside any model: results/<job id>/<name>. */
  /** Written batch by batch (predictions), seen by readers only once committed. */
  async draftResult(jobId: string, name: string): Promise<Draft> {
    if (!SAFE_ID.test(jobId) || !isSafeCheckpointName(name)) throw new Error(`invalid result file ${jobId}/${name}`);
    return draftFile(path.join(this.root, 'results', jobId, name));
  }

  async resultFile(jobId: string, name: string): Promise<string | undefined> {
    if (!SAFE_ID.test(jobId) || !isSafeCheckpointName(name)) return undefined;
    const file = path.join(this.root, 'results', jobId, name);
    return (await fs.stat(file).then((s) => s.isFile(), () => false)) ? file : undefined;
  }

  /**
   * Removes what interrupted atomic writes left in a model's folder (a process killed mid-write
   * leaves its temp directory). Only for a model no one else is writing: a job's new owner.
   */
  async removeInterruptedWrites(modelId: string): Promise<string[]> {
    const removed: string[] = [];
    for (const dir of [this.dir(modelId), path.join(this.dir(modelId), 'checkpoints')]) {
      for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
        if (!isTempName(name)) continue;
        // Killed between a replacing write's two renames: the old copy is all there is of that name.
        const replaced = OLD_COPY.exec(name)?.[1];
        if (replaced && !(await exists(path.join(dir, replaced)))) {
          await fs.rename(path.join(dir, name), path.join(dir, replaced));
          removed.push(`${name} (restored as ${replaced})`);
          continue;
        }
        await fs.rm(path.join(dir, name), { recursive: true, force: true });
        removed.push(name);
      }
    }
    return removed;
  }

  /** The newest epoch checkpoint (written after every epoch): where a crashed fit resumes, with its history. */
  async latestEpochCheckpoint(modelId: string): Promise<{ name: string; state: Record<string, any> } | undefined> {
    const names = (await this.checkpointNames(modelId)).filter((n) => EPOCH_CHECKPOINT.test(n)).sort();
    const last = names.at(-1);
    if (!last) return undefined;
    const state = JSON.parse(await fs.readFile(path.join(this.dir(modelId), 'checkpoints', last, 'state.json'), 'utf8'));
    return { name: last, state: { ...state, history: historyAt(state, await this.readHistory(modelId)) } };
  }

  /** The whole training history of the model so far; written before the checkpoint of each epoch. */
  async writeHistory(modelId: string, history: History): Promise<void> {
    await writing(`model ${modelId}'s history.json`, this.root, () => writeFileAtomic(path.join(this.dir(modelId), 'history.json'), JSON.stringify(history)));
  }

  async readHistory(modelId: string): Promise<History> {
    return JSON.parse(await fs.readFile(path.join(this.dir(modelId), 'history.json'), 'utf8').catch(() => '{}'));
  }

  /**
   * Removes the epoch checkpoints not named in `keep` (retention after each epoch), nor `spared`.
   * Renamed aside first, so no reader sees one half deleted.
   */
  async pruneEpochCheckpoints(modelId: string, keep: ReadonlySet<string>, spared: (name: string) => Promise<boolean> = async () => false): Promise<string[]> {
    const base = path.join(this.dir(modelId), 'checkpoints');
    const doomed: string[] = [];
    for (const name of await this.checkpointNames(modelId)) if (EPOCH_CHECKPOINT.test(name) && !keep.has(name) && !(await spared(name))) doomed.push(name);
    for (const name of doomed) {
      const aside = path.join(base, `.tmp-${name}-pruned`);
      await fs.rename(path.join(base, name), aside);
      await fs.rm(aside, { recursive: true, force: true });
    }
    return doomed;
  }

  private async ids(): Promise<string[]> {
    return (await fs.readdir(path.join(this.root, 'models')).catch(() => [] as string[])).filter((n) => SAFE_ID.test(n));
  }

  /** Every model's info, newest first. */
  async list(): Promise<Array<Record<string, any>>> {
    const infos = await Promise.all((await this.ids()).map((id) => this.readInfo(id)));
    return infos.filter((i): i is Record<string, any> => !!i).sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  }

  /** Sets the model's expiry ttlS seconds from now, or clears it (null); answers expires_at. */
  async setExpiry(modelId: string, ttlS: number | null): Promise<string | undefined> {
    return writeExpiry(this.dir(modelId), ttlS);
  }

  async expiresAt(modelId: string): Promise<string | undefined> {
    return readExpiry(this.dir(modelId));
  }

  /** Models whose expiry has passed. */
  async expired(now = Date.now()): Promise<string[]> {
    return expiredUnder(path.join(this.root, 'models'), await this.ids(), now);
  }

  async sizeOnDisk(modelId: string): Promise<number> {
    return bytesUnder(this.dir(modelId));
  }

  /** Bytes of a job's result files (0 when it has none). */
  async resultBytes(jobId: string): Promise<number> {
    return SAFE_ID.test(jobId) ? bytesUnder(path.join(this.root, 'results', jobId)) : 0;
  }

  async remove(modelId: string): Promise<boolean> {
    if (!SAFE_ID.test(modelId) || !(await this.readInfo(modelId))) return false;
    // Rename first so readers never see a half-deleted model, then delete.
    const doomed = path.join(this.root, 'models', `.deleted-${modelId}`);
    await fs.rename(this.dir(modelId), doomed);
    await fs.rm(doomed, { recursive: true, force: true });
    return true;
  }

  /** The folder holding the final model or one checkpoint, if it exists. */
  async filesDir(modelId: string, checkpoint?: string): Promise<string | undefined> {
    if (checkpoint !== undefined && !isSafeCheckpointName(checkpoint)) return undefined;
    const dir = checkpoint === undefined ? path.join(this.dir(modelId), 'final') : path.join(this.dir(modelId), 'checkpoints', checkpoint);
    return (await fs.stat(dir).then((s) => s.isDirectory(), () => false)) ? dir : undefined;
  }

  /** A model's info if it belongs to the tenant; another tenant's model looks like no model. */
  async readOwned(modelId: string, tenant: string): Promise<Record<string, any> | undefined> {
    const info = await this.readInfo(modelId);
    return info && info.tenant === tenant ? info : undefined;
  }

  async writeInfo(modelId: string, info: unknown): Promise<void> {
    await writing(`model ${modelId}'s info.json`, this.root, () => writeFileAtomic(path.join(this.dir(modelId), 'info.json'), JSON.stringify(info, null, 2)));
  }

  async readInfo(modelId: string): Promise<Record<string, any> | undefined> {
    if (!SAFE_ID.test(modelId)) return undefined;
    try {
      return JSON.parse(await fs.readFile(path.join(this.dir(modelId), 'info.json'), 'utf8'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
  }

  async writeFinal(modelId: string, files: Record<string, Uint8Array | string>): Promise<void> {
    await writing(`model ${modelId}'s final weights`, this.root, () => writeDirAtomic(path.join(this.dir(modelId), 'final'), files));
  }

  async writeCheckpoint(modelId: string, name: string, files: Record<string, Uint8Array | string>): Promise<void> {
    if (!isSafeCheckpointName(name)) throw new Error(`checkpoint name "${name}" must be a single file name (letters, digits, _ . = + -)`);
    await writing(`checkpoint ${name} of model ${modelId}`, this.root, () => writeDirAtomic(path.join(this.dir(modelId), 'checkpoints', name), files));
  }

  /** Files a callback writes (CSVLogger) go to artifacts/ in the model's folder. */
  async writeArtifact(modelId: string, filename: string, content: string): Promise<void> {
    if (!isSafeCheckpointName(filename)) throw new Error(`artifact name "${filename}" must be a single file name`);
    await writeFileAtomic(path.join(this.dir(modelId), 'artifacts', filename), content);
  }

  async listArtifacts(modelId: string) {
    return this.filesOf(path.join(this.dir(modelId), 'artifacts'));
  }

  private async filesOf(dir: string): Promise<Array<{ name: string; bytes: number }>> {
    const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => !isTempName(n)).sort();
    return Promise.all(names.map(async (name) => ({ name, bytes: (await fs.stat(path.join(dir, name))).size })));
  }

  private async checkpointNames(modelId: string): Promise<string[]> {
    return (await fs.readdir(path.join(this.dir(modelId), 'checkpoints')).catch(() => [] as string[])).filter((n) => !isTempName(n));
  }

  async listCheckpoints(modelId: string): Promise<CheckpointInfo[]> {
    const base = path.join(this.dir(modelId), 'checkpoints');
    const out: CheckpointInfo[] = [];
    for (const name of await this.checkpointNames(modelId)) {
      const state = JSON.parse(await fs.readFile(path.join(base, name, 'state.json'), 'utf8').catch(() => '{}'));
      out.push({
        name,
        epoch: state.epoch ?? -1,
        monitor: state.monitor,
        value: state.value,
        weights_only: state.weights_only,
        history_lengths: state.history_lengths,
        history: state.history,
        files: await this.filesOf(path.join(base, name)),
      });
    }
    return out.sort((a, b) => a.epoch - b.epoch || a.name.localeCompare(b.name));
  }

  async listFinal(modelId: string) {
    return this.filesOf(path.join(this.dir(modelId), 'final'));
  }

  /**
   * Resolves a downloadable file: `final/<file>` or `checkpoints/<name>/<file>`. Only names that
   * exist in a listing resolve, so no request path can reach outside the model's folder.
   */
  async resolveFile(modelId: string, relative: string): Promise<string | undefined> {
    const parts = relative.split('/');
    let dir: string;
    let file: string;
    if (parts.length === 2 && (parts[0] === 'final' || parts[0] === 'artifacts')) {
      dir = path.join(this.dir(modelId), parts[0]);
      file = parts[1];
    } else if (parts.length === 3 && parts[0] === 'checkpoints' && isSafeCheckpointName(parts[1])) {
      dir = path.join(this.dir(modelId), 'checkpoints', parts[1]);
      file = parts[2];
    } else {
      return undefined;
    }
    const files = await this.filesOf(dir);
    return files.some((f) => f.name === file) ? path.join(dir, file) : undefined;
  }
}
