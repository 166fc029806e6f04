/**
 * Accepting a Keras file for import: everything that can be wrong with it is found here, before
 * anything is stored (422 naming the member, layer or option), then a worker builds the model.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { abbreviateSpec } from '../spec/abbreviate.ts';
import type { FastifyBaseLogger } from 'fastify';
import { QueueUnavailable } from '../errors.ts';
import { fromKerasJson } from '../keras/from-keras-json.ts';
import { detectKerasFormat, readKerasArchive, readLegacyArchive } from '../keras/keras-archive.ts';
import { KerasImportError, type KerasArchive } from '../keras/types.ts';
import type { Services } from '../plugins/services.ts';
import { checkGraph, normalizeModel } from '../spec/graph.ts';
import { SpecError, fail } from '../spec/problem.ts';
import { writeFileAtomic } from '../store/atomic.ts';
import type { JobRecord } from './job-record.ts';
import type { ImportJob } from './queue.ts';

/** Where uploads wait for a worker: on the checkpoint volume, which every worker shares. */
export function importsDir(checkpointDir: string): string {
  return path.join(checkpointDir, 'imports');
}

function asSpecError(err: unknown, prefix: string): unknown {
  return err instanceof KerasImportError ? new SpecError(err.issues.map((i) => ({ pointer: `${prefix}${i.pointer}`, message: i.message }))) : err;
}

/** Every layer with parameters must find as many numbers in the file as the layer holds. */
function checkWeightCounts(archive: KerasArchive, summary: ReturnType<typeof checkGraph>['summary'], member: string): void {
  const issues = [];
  for (const layer of summary.layers) {
    if (layer.params === 0) continue;
    const arrays = archive.weights[layer.name];
    const count = arrays?.reduce((n, a) => n + a.data.length, 0) ?? 0;
    if (count !== layer.params) {
      issues.push({
        pointer: `/${member}/${layer.name}`,
        message: arrays ? `layer "${layer.name}" (${layer.class_name}) needs ${layer.params} weights; the file has ${count} (arrays ${arrays.map((a) => `[${a.shape}]`).join(', ')})` : `layer "${layer.name}" (${layer.class_name}) has no weights in the file`,
      });
    }
  }
  if (issues.length) throw new SpecError(issues);
}

export async function acceptImport(services: Services, tenant: string, upload: { bytes: Uint8Array; filename: string }, log: FastifyBaseLogger): Promise<JobRecord> {
  const format = detectKerasFormat(upload.bytes);
  if (!format) fail('/file', 'is neither a .keras archive (zip) nor an HDF5 .h5 file');
  const member = format === 'keras' ? 'model.weights.h5' : 'model_weights';
  const archive = await (format === 'keras' ? readKerasArchive(upload.bytes) : readLegacyArchive(upload.bytes)).catch((err) => {
    throw asSpecError(err, '/file');
  });
  let translated: ReturnType<typeof fromKerasJson>;
  try {
    translated = fromKerasJson(archive.config);
  } catch (err) {
    throw asSpecError(err, format === 'keras' ? '/file/config.json' : '/file/model_config');
  }
  const graph = checkGraph(normalizeModel(translated.model));
  const { maxLayers, maxParams } = services.config.limits;
  if (graph.layers.length > maxLayers) fail('/file', `the model has ${graph.layers.length} layers; the limit is ${maxLayers} (MAX_LAYERS)`);
  if (graph.summary.total_params > maxParams) fail('/file', `the model has ${graph.summary.total_params} parameters; the limit is ${maxParams} (MAX_PARAMS)`);
  checkWeightCounts(archive, graph.summary, `file/${member}`);

  await services.quotas.checkDisk(tenant);
  const id = randomUUID();
  const modelId = randomUUID();
  const staged = path.join(importsDir(services.config.checkpointDir), `${id}.${format}`);
  await fs.mkdir(path.dirname(staged), { recursive: true });
  await writeFileAtomic(staged, upload.bytes);
  const job: ImportJob = {
    type: 'import',
    model: translated.model,
    compile: translated.compile,
    format,
    upload: staged,
    filename: upload.filename,
    keras_version: typeof archive.metadata.keras_version === 'string' ? archive.metadata.keras_version : undefined,
  };
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
  log.info({ jobId: id, modelId, format, layers: graph.layers.length, params: graph.summary.total_params }, 'import queued');
  return record;
}
