/**
 * Accepting a Keras file for import: everything that can be wrong with it is found before the job
 * is queued (422 naming the member, layer or option), then a worker builds the model.
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { abbreviateSpec } from '../spec/abbreviate.ts';
import type { FastifyBaseLogger } from 'fastify';
import { ImportTooLarge, QueueUnavailable } from '../errors.ts';
import { BadMultipart } from '../datasets/errors.ts';
import type { Services } from '../plugins/services.ts';
import type { JobRecord } from './job-record.ts';
import type { ImportJob } from './queue.ts';

/** Where uploads wait for a worker: on the checkpoint volume, which every worker shares. */
export function importsDir(checkpointDir: string): string {
  return path.join(checkpointDir, 'imports');
}

/** The uploaded file as @fastify/multipart hands it over: busboy marks a file cut at its size limit. */
export interface IncomingFile {
  file: Readable & { truncated?: boolean };
  filename: string;
}

/**
 * Streams an upload to `imports/<id>.upload` (the API never holds the file in memory). Over
 * MODEL_IMPORT_MAX_BYTES it is 413 and nothing is left behind.
 */
export async function receiveImport(services: Services, tenant: string, part: IncomingFile): Promise<{ id: string; file: string; filename: string }> {
  await services.quotas.checkDisk(tenant);
  const id = randomUUID();
  const file = path.join(importsDir(services.config.checkpointDir), `${id}.upload`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tooLarge = () => new ImportTooLarge(services.config.importMaxBytes);
  // busboy signals its fileSize limit with 'limit' and then only drops bytes: stop at once instead.
  part.file.once('limit', () => part.file.destroy(tooLarge()));
  try {
    await pipeline(part.file, createWriteStream(file, { flags: 'wx' }));
    if (part.file.truncated) throw tooLarge();
  } catch (err) {
    await fs.rm(file, { force: true });
    // Disk errors are ours (500); anything else broke the incoming stream: a cut-off or malformed body.
    if (err instanceof ImportTooLarge || (err as NodeJS.ErrnoException).syscall) throw err;
    throw new BadMultipart(`${part.filename}: ${(err as Error).message}`);
  }
  return { id, file, filename: path.basename(part.filename || 'model') };
}

/**
 * An upload streamed to `imports/<id>.upload`, checked in a child process (a refused file is
 * removed), then renamed to `<id>.<format>` for the worker.
 */
export async function acceptImport(services: Services, tenant: string, upload: { id: string; file: string; filename: string }, log: FastifyBaseLogger, ttlS?: number): Promise<JobRecord> {
  const { limits, importMaxBytes } = services.config;
  const { id, file } = upload;
  let inspected: Awaited<ReturnType<typeof services.importInspector.inspect>>;
  try {
    inspected = await services.importInspector.inspect(tenant, file, { maxLayers: limits.maxLayers, maxParams: limits.maxParams, maxInflatedBytes: importMaxBytes });
  } catch (err) {
    await fs.rm(file, { force: true });
    throw err;
  }
  const { format, model, compile, keras_version, layers, params } = inspected;
  const modelId = randomUUID();
  const staged = path.join(importsDir(services.config.checkpointDir), `${id}.${format}`);
  await fs.rename(file, staged);
  const job: ImportJob = { type: 'import', model, compile, format, upload: staged, filename: upload.filename, keras_version, ...(ttlS ? { ttl_s: ttlS } : {}) };
  const record: JobRecord = { id, type: 'import', state: 'queued', created_at: new Date().toISOString(), progress: { epoch: 0, epochs: 0 }, history: {}, attempts: 0, tenant, model_id: modelId };
  await services.references.hold(id, tenant, [`model:${modelId}`]);
  const { upload: _path, ...shown } = job;
  await services.jobs.create(record, abbreviateSpec(shown));
  try {
    await services.events.append(id, 'state', { state: 'queued' });
    await services.queue.add('import', { jobId: id, tenant, modelId, job }, { jobId: id });
  } catch (err) {
    await Promise.allSettled([services.jobs.remove(id, tenant), services.events.remove(id), fs.rm(staged, { force: true }), services.references.release(id)]);
    throw new QueueUnavailable((err as Error).message);
  }
  log.info({ jobId: id, modelId, format, layers, params }, 'import queued');
  return record;
}
