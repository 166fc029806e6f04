/** `kjobs download`: a trained model or one of its checkpoints, as the service's .tar.gz, onto disk. */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ApiError } from '../client/index.ts';
import type { Client } from './client.ts';
import { CliError } from './exit-codes.ts';
import type { Io } from './io.ts';

export interface DownloadOptions {
  checkpoint?: string;
  /** Target file; '-' is stdout. */
  output?: string;
}

export function defaultArchiveName(modelId: string, checkpoint?: string): string {
  // Names come from the command line: keep them to one plain file name in the working directory.
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `${safe(modelId)}${checkpoint ? `-${safe(checkpoint)}` : ''}.tar.gz`;
}

/** Streams the archive to disk; returns the path written and its size in bytes. */
export async function downloadModel(client: Client, modelId: string, options: DownloadOptions, io: Io): Promise<{ path: string; bytes: number } | undefined> {
  const query = options.checkpoint ? `?checkpoint=${encodeURIComponent(options.checkpoint)}` : '';
  const archive = `/v1/models/${encodeURIComponent(modelId)}/archive${query}`;
  const res = await client.fetch(archive);
  if (!res.ok) throw await ApiError.from(res);
  const body = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
  if (options.output === '-') {
    await pipeline(body, process.stdout as NodeJS.WritableStream, { end: false });
    return undefined;
  }
  const target = options.output ?? defaultArchiveName(modelId, options.checkpoint);
  // Written under a temporary name and renamed at the end, so a broken download never looks like a whole archive.
  const partial = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.part`);
  try {
    await pipeline(body, createWriteStream(partial));
    await fs.rename(partial, target);
  } catch (err) {
    await fs.rm(partial, { force: true });
    throw new CliError(`downloading ${client.baseUrl}${archive} to ${target} failed: ${(err as Error).message}`);
  }
  const { size } = await fs.stat(target);
  io.out.write(`${target} (${size} bytes)\n`);
  return { path: target, bytes: size };
}
