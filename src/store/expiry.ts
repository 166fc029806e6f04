/**
 * When a stored model or dataset may be removed: `expires.json` in its folder. A file of its own, so
 * setting a TTL never races a worker rewriting the model's info.json. The janitor (jobs/janitor.ts)
 * removes what has expired unless a queued or running job uses it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic.ts';

const FILE = 'expires.json';

/** The expiry of the thing stored in `dir`, as an ISO time, if it has one. */
export async function readExpiry(dir: string): Promise<string | undefined> {
  const text = await fs.readFile(path.join(dir, FILE), 'utf8').catch(() => undefined);
  const at = text === undefined ? undefined : (JSON.parse(text) as { expires_at?: unknown }).expires_at;
  return typeof at === 'string' ? at : undefined;
}

/** Sets (`ttlS` seconds from now) or clears (null) the expiry; answers the new expires_at. */
export async function writeExpiry(dir: string, ttlS: number | null, now = Date.now()): Promise<string | undefined> {
  if (ttlS === null) {
    await fs.rm(path.join(dir, FILE), { force: true });
    return undefined;
  }
  const expiresAt = new Date(now + ttlS * 1000).toISOString();
  await writeFileAtomic(path.join(dir, FILE), JSON.stringify({ expires_at: expiresAt }));
  return expiresAt;
}

/** Of the folders named `ids` under `root`, those whose expiry has passed. */
export async function expiredUnder(root: string, ids: string[], now = Date.now()): Promise<string[]> {
  const at = await Promise.all(ids.map((id) => readExpiry(path.join(root, id))));
  return ids.filter((_, i) => at[i] !== undefined && Date.parse(at[i]!) <= now);
}
