/**
 * Atomic writes: content goes to a temp name in the same directory, is fsynced, then renamed into
 * place and the directory fsynced — a reader sees the old version or the new one, never half.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeSynced(file: string, data: Uint8Array | string): Promise<void> {
  const handle = await fs.open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const tempNameFor = (file: string) => path.join(path.dirname(file), `.tmp-${path.basename(file)}-${randomBytes(4).toString('hex')}`);

export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = tempNameFor(file);
  try {
    await writeSynced(tmp, data);
    await fs.rename(tmp, file);
    await fsyncDir(dir);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** Writes a whole directory of files and swaps it into place; an existing directory is replaced. */
export async function writeDirAtomic(finalDir: string, files: Record<string, Uint8Array | string>): Promise<void> {
  const parent = path.dirname(finalDir);
  await fs.mkdir(parent, { recursive: true });
  const tag = randomBytes(4).toString('hex');
  const tmp = path.join(parent, `.tmp-${path.basename(finalDir)}-${tag}`);
  const old = path.join(parent, `.old-${path.basename(finalDir)}-${tag}`);
  try {
    await fs.mkdir(tmp);
    for (const [name, data] of Object.entries(files)) await writeSynced(path.join(tmp, name), data);
    await fsyncDir(tmp);
    const replacing = await fs.stat(finalDir).then(() => true, () => false);
    if (replacing) await fs.rename(finalDir, old);
    await fs.rename(tmp, finalDir);
    await fsyncDir(parent);
    if (replacing) await fs.rm(old, { recursive: true, force: true });
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Temp names never count as content. */
export const isTempName = (name: string) => name.startsWith('.tmp-') || name.startsWith('.old-');

/** A file written in parts by its caller: under a temp name (the caller fsyncs it), renamed into place by commit(). */
export interface Draft {
  file: string;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export async function draftFile(file: string): Promise<Draft> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true });
  const tmp = tempNameFor(file);
  return {
    file: tmp,
    async commit() {
      await fs.rename(tmp, file);
      await fsyncDir(dir);
    },
    discard: () => fs.rm(tmp, { force: true }),
  };
}
