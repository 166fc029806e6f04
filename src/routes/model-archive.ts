import fs from 'node:fs/promises';
import type { FastifyReply } from 'fastify';
import * as tar from 'tar';
import { CheckpointNotFound } from '../errors.ts';
import type { ModelStore } from '../store/model-store.ts';

/** The final model (or a checkpoint) as one .tar.gz in the TensorFlow.js layers format, streamed. */
export async function sendModelArchive(reply: FastifyReply, store: ModelStore, id: string, checkpoint: string | undefined) {
  const dir = await store.filesDir(id, checkpoint);
  if (!dir) throw new CheckpointNotFound(id, checkpoint ?? 'final');
  const names = (await fs.readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  const filename = `${id}${checkpoint ? `-${checkpoint}` : ''}.tar.gz`;
  return reply
    .type('application/gzip')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .send(tar.c({ gzip: true, cwd: dir, portable: true }, names) as unknown as string);
}
