/**
 * Inline data out of Redis. A job's nested-JSON and base64 arrays above a small size are written
 * at submit to a dataset of the job's own (`payload-<job id>`, no tenant) and the queued job names
 * them as {dataset, array}, so the queue entry stays small. The worker reads them like any
 * dataset; the job's end removes them.
 */
import { isDataDict, isOneArray, materialize, type HostArray } from '../spec/arrays.ts';
import type { CheckedGraph } from '../spec/graph.ts';
import type { RunnableJob } from '../spec/check-job.ts';
import type { ArrayLike, Data } from '../spec/schema.ts';

export const payloadDatasetId = (jobId: string) => `payload-${jobId}`;

/** Data in the form it came in (one array, a list in model order, a dict by name), each array mapped. */
function mapData(data: Data, names: string[], at: string, fn: (a: ArrayLike, at: string) => ArrayLike, sampleWeight = false): Data {
  if (isDataDict(data)) return Object.fromEntries(Object.entries(data).map(([name, a]) => [name, fn(a, `${at}/${name}`)]));
  if (names.length === 1 || (sampleWeight && isOneArray(data))) return fn(data as ArrayLike, at);
  return (data as ArrayLike[]).map((a, i) => fn(a, `${at}/${i}`));
}

/**
 * The job with every inline array of more than `minNumbers` numbers replaced by a reference into
 * the payload dataset, and those arrays. Random and dataset arrays stay as they are.
 */
export function stagePayloads(job: RunnableJob, graph: CheckedGraph, jobId: string, minNumbers: number): { job: RunnableJob; arrays: Record<string, HostArray> } {
  const arrays: Record<string, HostArray> = {};
  const dataset = payloadDatasetId(jobId);
  const stage = (a: ArrayLike, at: string): ArrayLike => {
    const inline = Array.isArray(a) || (typeof a === 'object' && a !== null && 'b64' in a);
    if (!inline) return a;
    const host = materialize(a, at);
    if (host.values.length <= minNumbers) return a;
    const name = `a${Object.keys(arrays).length}`;
    arrays[name] = host;
    return { dataset, array: name };
  };
  const inputs = graph.inputs.map((i) => i.name);
  const outputs = graph.outputs;
  const xy = <T extends { x: Data; y?: Data; sample_weight?: Data }>(spec: T, at: string): T => ({
    ...spec,
    x: mapData(spec.x, inputs, `${at}/x`, stage),
    ...(spec.y !== undefined ? { y: mapData(spec.y, outputs, `${at}/y`, stage) } : {}),
    ...(spec.sample_weight !== undefined ? { sample_weight: mapData(spec.sample_weight, outputs, `${at}/sample_weight`, stage, true) } : {}),
  });
  let staged: RunnableJob;
  if (job.type === 'fit') {
    const fit = xy(job.fit, '/fit');
    if (job.fit.validation_data) fit.validation_data = xy(job.fit.validation_data, '/fit/validation_data');
    staged = { ...job, fit, ...(job.evaluate ? { evaluate: xy(job.evaluate, '/evaluate') } : {}), ...(job.predict ? { predict: xy(job.predict, '/predict') } : {}) };
  } else if (job.type === 'evaluate') {
    staged = { ...job, evaluate: xy(job.evaluate, '/evaluate') };
  } else {
    staged = { ...job, predict: xy(job.predict, '/predict') };
  }
  return { job: staged, arrays };
}
