/**
 * Everything that can be wrong with a Keras file for import, found before anything is stored:
 * the format, the zip, the architecture (translated, within the layer and parameter limits), and
 * every weight array against the layer it belongs to. Pure: bytes in, a translated model out, or a
 * SpecError naming the member, layer or option.
 */
import { fromKerasJson } from './from-keras-json.ts';
import type { LayerBudgets } from './h5-weights.ts';
import { detectKerasFormat, readKerasArchive, readLegacyArchive } from './keras-archive.ts';
import { KerasImportError, type KerasArchive } from './types.ts';
import type { CompileSpec, ModelSpec } from '../spec/schema.ts';
import { checkGraph, normalizeModel } from '../spec/graph.ts';
import { SpecError, fail } from '../spec/problem.ts';

export interface ImportLimits {
  maxLayers: number;
  maxParams: number;
  /** MODEL_IMPORT_MAX_BYTES: also the cap on what a .keras archive's members inflate to. */
  maxInflatedBytes: number;
}

export interface InspectedImport {
  format: 'keras' | 'h5';
  model: ModelSpec;
  compile?: CompileSpec;
  keras_version?: string;
  layers: number;
  params: number;
}

type Summary = ReturnType<typeof checkGraph>['summary'];

/** Each layer with parameters may read exactly as many values; the others read none. */
export function layerBudgets(summary: Summary): LayerBudgets {
  return Object.fromEntries(summary.layers.filter((l) => l.params > 0).map((l) => [l.name, l.params]));
}

function asSpecError(err: unknown, prefix: string): unknown {
  return err instanceof KerasImportError ? new SpecError(err.issues.map((i) => ({ pointer: `${prefix}${i.pointer}`, message: i.message }))) : err;
}

/** Every layer with parameters must find as many numbers in the file as the layer holds. */
function checkWeightCounts(archive: KerasArchive, summary: Summary, member: string): void {
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

export async function inspectKerasFile(bytes: Uint8Array, limits: ImportLimits): Promise<InspectedImport> {
  const format = detectKerasFormat(bytes);
  if (!format) fail('/file', 'is neither a .keras archive (zip) nor an HDF5 .h5 file');
  const configMember = format === 'keras' ? '/file/config.json' : '/file/model_config';
  let translated: ReturnType<typeof fromKerasJson> | undefined;
  let graph: ReturnType<typeof checkGraph> | undefined;
  let refused: unknown;
  // The architecture is translated and checked before any weight is read, so that each array's
  // shape can be held to its layer's parameter count; a refused architecture reads no weights.
  const budgetsFor = (config: Record<string, unknown>): LayerBudgets => {
    try {
      translated = fromKerasJson(config);
      graph = checkGraph(normalizeModel(translated.model));
      if (graph.layers.length > limits.maxLayers) fail('/file', `the model has ${graph.layers.length} layers; the limit is ${limits.maxLayers} (MAX_LAYERS)`);
      if (graph.summary.total_params > limits.maxParams) fail('/file', `the model has ${graph.summary.total_params} parameters; the limit is ${limits.maxParams} (MAX_PARAMS)`);
      return layerBudgets(graph.summary);
    } catch (err) {
      refused = asSpecError(err, configMember);
      return {};
    }
  };
  const read = format === 'keras' ? readKerasArchive(bytes, { maxUncompressedBytes: limits.maxInflatedBytes, budgetsFor }) : readLegacyArchive(bytes, { budgetsFor });
  const archive = await read.catch((err) => {
    throw refused ?? asSpecError(err, '/file');
  });
  if (refused) throw refused;
  if (!translated || !graph) throw new Error('the archive was read without its architecture being checked');
  checkWeightCounts(archive, graph.summary, format === 'keras' ? 'file/model.weights.h5' : 'file/model_weights');
  const version = archive.metadata.keras_version;
  return {
    format,
    model: translated.model,
    ...(translated.compile && { compile: translated.compile }),
    ...(typeof version === 'string' && { keras_version: version }),
    layers: graph.layers.length,
    params: graph.summary.total_params,
  };
}
