/**
 * Keras files as bytes: Keras 3 `.keras` archives (a zip of config.json, metadata.json and
 * model.weights.h5), legacy `.h5` model files, and our own stored models (TensorFlow.js layers
 * format) turned into Keras weights. HDF5 itself is in h5-weights.ts.
 */
import { Buffer } from 'node:buffer';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { h5Ready, hasHdf5Signature, readKeras3WeightsH5, readLegacyH5, writeKeras3WeightsH5, type KerasLayerRef, type LayerBudgets } from './h5-weights.ts';
import { KERAS_FLOAT_OPTIONS } from './to-keras-json.ts';
import { KerasImportError, type KerasArchive, type KerasArray, type KerasIssue, type KerasWeights } from './types.ts';
import { MODEL_CLASSES } from '../spec/graph.ts';

export type { KerasLayerRef } from './h5-weights.ts';

/** The Keras release whose .keras layout writeKerasArchive reproduces (checked with keras.saving.load_model). */
export const KERAS_VERSION = '3.15.1';
export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 2 * 1024 ** 3;

export interface ReadArchiveOptions {
  /** Cap on the inflated size of the members read (config.json, metadata.json, model.weights.h5). */
  maxUncompressedBytes?: number;
  /**
   * Given the model config, how many values each top-level layer may read; layers left out are not
   * read. Without it every weight in the file is read.
   */
  budgetsFor?: (config: Record<string, unknown>) => LayerBudgets;
}

export interface WriteArchiveInput {
  /** config.json: {module, class_name: 'Functional' | 'Sequential', config: {name, layers, ...}, ...}. */
  config: object;
  /** Merged over {keras_version, date_saved}. */
  metadata?: object;
  weights: KerasWeights;
  /** The model's layers in order; the config's own layers list, when it has one, decides the HDF5 groups. */
  layers: KerasLayerRef[];
}

const CONFIG = 'config.json';
const METADATA = 'metadata.json';
const WEIGHTS = 'model.weights.h5';

export function detectKerasFormat(bytes: Uint8Array): 'keras' | 'h5' | undefined {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return 'keras';
  return hasHdf5Signature(bytes) ? 'h5' : undefined;
}

const fail = (pointer: string, message: string): never => {
  throw new KerasImportError([{ pointer, message }]);
};

/**
 * Top-level layers of a Sequential or Functional config, in order: Keras 3 keeps the name in
 * layers[i].config.name (and, for Functional, also layers[i].name); tf.keras 2 the same.
 */
export function kerasLayersOf(config: unknown, at = ''): KerasLayerRef[] {
  const inner = (config as { config?: { layers?: unknown } } | null)?.config;
  const layers = inner && typeof inner === 'object' ? inner.layers : undefined;
  if (!Array.isArray(layers)) {
    const cls = (config as { class_name?: unknown } | null)?.class_name;
    return fail(`${at}/config/layers`, `is missing: only Sequential and Functional models can be read${typeof cls === 'string' ? ` (this one is ${cls})` : ''}`);
  }
  const issues: KerasIssue[] = [];
  const out: KerasLayerRef[] = [];
  layers.forEach((l: any, i) => {
    const name = l?.config?.name ?? l?.name;
    if (typeof l?.class_name !== 'string') issues.push({ pointer: `${at}/config/layers/${i}/class_name`, message: 'is missing' });
    else if (typeof name !== 'string' || !name) issues.push({ pointer: `${at}/config/layers/${i}/config/name`, message: 'is missing' });
    else if (MODEL_CLASSES.has(l.class_name) && Array.isArray(l.config?.layers)) out.push({ name, class_name: l.class_name, layers: modelLayers(l, kerasLayersOf(l, `${at}/config/layers/${i}`)) });
    else out.push({ name, class_name: l.class_name });
  });
  if (issues.length) throw new KerasImportError(issues);
  return out;
}

/** The layers Keras's model.layers lists, which name the weight groups: a Sequential's leaves out its InputLayer. */
function modelLayers(config: unknown, layers: KerasLayerRef[]): KerasLayerRef[] {
  const sequential = (config as { class_name?: unknown }).class_name === 'Sequential';
  return sequential && layers[0]?.class_name === 'InputLayer' ? layers.slice(1) : layers;
}

function parseJsonMember(bytes: Uint8Array, member: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail(`/${member}`, 'is not UTF-8 text');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail(`/${member}`, `is not valid JSON: ${(err as Error).message}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(`/${member}`, 'is not a JSON object');
  return value as Record<string, unknown>;
}

/** zlib.crc32 arrived in Node 20.15; without it members are not CRC-checked (HDF5 and JSON parsing still are). */
const crc32: ((data: Uint8Array, value?: number) => number) | undefined = typeof zlib.crc32 === 'function' ? zlib.crc32 : undefined;

/** Inflates one member, never past what its header declares (yauzl checks that too). */
async function readMember(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Uint8Array> {
  const at = `/${entry.fileName}`;
  const out = new Uint8Array(entry.uncompressedSize);
  let n = 0;
  let crc = 0;
  try {
    const stream = await zip.openReadStreamPromise(entry);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (n + chunk.length > out.length) {
        stream.destroy();
        fail(at, `inflates to more than the ${entry.uncompressedSize} bytes its zip header declares (a corrupt or malicious zip)`);
      }
      out.set(chunk, n);
      n += chunk.length;
      if (crc32) crc = crc32(chunk, crc);
    }
  } catch (err) {
    if (err instanceof KerasImportError) throw err;
    fail(at, `cannot be read from the zip: ${(err as Error).message}`);
  }
  if (n !== out.length) fail(at, `inflates to ${n} bytes, its zip header declares ${entry.uncompressedSize}`);
  if (crc32 && crc >>> 0 !== entry.crc32 >>> 0) fail(at, 'CRC-32 mismatch: the zip is corrupt');
  return out;
}

/** The members of a .keras zip that matter, inflated, after checking what their headers declare. */
async function unzipMembers(bytes: Uint8Array, maxBytes: number): Promise<Map<string, Uint8Array>> {
  if (detectKerasFormat(bytes) !== 'keras') {
    fail('', hasHdf5Signature(bytes) ? 'is an HDF5 (.h5) file, not a .keras archive' : 'is not a .keras archive (not a zip file)');
  }
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { lazyEntries: true, autoClose: false });
  } catch (err) {
    return fail('', `is not a valid .keras archive (zip): ${(err as Error).message}`);
  }
  try {
    const entries = new Map<string, yauzl.Entry>();
    const issues: KerasIssue[] = [];
    try {
      for await (const entry of zip.eachEntry()) {
        if (entries.has(entry.fileName)) issues.push({ pointer: `/${entry.fileName}`, message: 'appears twice in the zip' });
        entries.set(entry.fileName, entry);
      }
    } catch (err) {
      fail('', `is not a valid .keras archive (zip): ${(err as Error).message}`);
    }
    if (!entries.has(CONFIG)) issues.push({ pointer: `/${CONFIG}`, message: 'is missing: a .keras archive holds config.json, metadata.json and model.weights.h5' });
    if (!entries.has(WEIGHTS)) {
      const npz = entries.has('model.weights.npz');
      issues.push({ pointer: `/${WEIGHTS}`, message: npz ? 'is missing: weights saved as model.weights.npz are not supported; save with the default HDF5 weights' : 'is missing: a .keras archive holds config.json, metadata.json and model.weights.h5' });
    }
    const wanted = [METADATA, CONFIG, WEIGHTS].flatMap((name) => entries.get(name) ?? []);
    for (const entry of wanted) {
      if (entry.isEncrypted()) issues.push({ pointer: `/${entry.fileName}`, message: 'is encrypted' });
      else if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        issues.push({ pointer: `/${entry.fileName}`, message: `uses zip compression method ${entry.compressionMethod}; only stored (0) and deflated (8) are supported` });
      }
    }
    if (issues.length) throw new KerasImportError(issues);
    const declared = wanted.reduce((n, e) => n + e.uncompressedSize, 0);
    if (declared > maxBytes) {
      fail('', `its members would inflate to ${declared} bytes, more than the limit of ${maxBytes} bytes (a zip bomb, or a model too large to import)`);
    }
    const out = new Map<string, Uint8Array>();
    for (const entry of wanted) out.set(entry.fileName, await readMember(zip, entry));
    return out;
  } finally {
    zip.close();
  }
}

/** A Keras 3 `.keras` archive, parsed; its weights per top-level layer (optimizer state is skipped). */
export async function readKerasArchive(bytes: Uint8Array, options: ReadArchiveOptions = {}): Promise<KerasArchive> {
  const members = await unzipMembers(bytes, options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES);
  const config = parseJsonMember(members.get(CONFIG)!, CONFIG);
  // Keras itself never reads metadata.json; an archive without it still loads.
  const metadata = members.has(METADATA) ? parseJsonMember(members.get(METADATA)!, METADATA) : {};
  const layers = modelLayers(config, kerasLayersOf(config, `/${CONFIG}`));
  await h5Ready();
  const weights = readKeras3WeightsH5(members.get(WEIGHTS)!, layers, `/${WEIGHTS}`, options.budgetsFor?.(config));
  return { config, metadata, weights };
}

/** A legacy `.h5` model file (tf.keras 2, or Keras 3's model.save('x.h5')) as an archive. */
export async function readLegacyArchive(bytes: Uint8Array, options: Pick<ReadArchiveOptions, 'budgetsFor'> = {}): Promise<KerasArchive> {
  if (!hasHdf5Signature(bytes)) fail('', detectKerasFormat(bytes) === 'keras' ? 'is a .keras archive (zip), not an HDF5 .h5 file' : 'is not an HDF5 (.h5) file');
  await h5Ready();
  const { budgetsFor } = options;
  const legacy = readLegacyH5(bytes, '', budgetsFor && ((config) => (config && typeof config === 'object' && !Array.isArray(config) ? budgetsFor(config as Record<string, unknown>) : {})));
  if (legacy.modelConfig === undefined) fail('/model_config', 'is missing: this .h5 holds weights only (save_weights); the architecture is needed too (model.save)');
  const config = legacy.modelConfig;
  if (!config || typeof config !== 'object' || Array.isArray(config)) return fail('/model_config', 'is not a JSON object');
  const metadata: Record<string, unknown> = { ...(legacy.kerasVersion && { keras_version: legacy.kerasVersion }), ...(legacy.backend && { backend: legacy.backend }) };
  if (legacy.trainingConfig !== undefined) metadata.training_config = legacy.trainingConfig;
  return { config: config as Record<string, unknown>, metadata, weights: legacy.weights };
}

/** datetime.now().strftime("%Y-%m-%d@%H:%M:%S"), as Keras stamps metadata.json (local time). */
function kerasDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}@${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** repr(float) where it differs from JavaScript: below 1e-4 Python writes 1e-05, JavaScript 0.00001 (and 1e-7 for 1e-07). */
function pythonNumber(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity';
  if (n === 0 || Number.isInteger(n) || Math.abs(n) >= 1e-4) return String(n);
  const [mantissa, exponent] = n.toExponential().split('e');
  const e = Number(exponent);
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/**
 * JSON as Python's json.dumps writes it (", " and ": " separators, non-ASCII escaped, floats as
 * repr), so our config.json reads like Keras's own. JavaScript cannot tell 1.0 from 1: options
 * Keras holds as floats (KERAS_FLOAT_OPTIONS) are written 1.0, because Keras 3 refuses an int
 * learning_rate; other whole numbers stay integers.
 */
export function pythonJson(value: unknown, key?: string): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) && key !== undefined && KERAS_FLOAT_OPTIONS.has(key) ? value.toFixed(1) : pythonNumber(value);
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => pythonJson(v, key)).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v, k)}`).join(', ')}}`;
  }
  throw new Error(`pythonJson: cannot write a ${typeof value}`);
}

/** yazl's DOS timestamps are local time; Python's zf.open(name, 'w') leaves the ZipInfo default 1980-01-01. */
const ZIP_EPOCH = () => new Date(1980, 0, 1, 0, 0, 0);

/**
 * A `.keras` archive as Keras 3 writes it: metadata.json, config.json, model.weights.h5 in that
 * order, stored uncompressed (Keras's zipfile default), mode 0600. The weight groups follow the
 * config's layers (so a Functional's InputLayers get their empty groups, as Keras writes them).
 */
export async function writeKerasArchive(archive: WriteArchiveInput): Promise<Uint8Array> {
  const { config, weights } = archive;
  // Keras finds weights by the config's layers, so those decide the groups; the caller's list only
  // stands in for a config without a layers list (which Keras could not rebuild anyway).
  const inner = (config as { config?: { layers?: unknown; name?: unknown } }).config;
  const layers = Array.isArray(inner?.layers) ? modelLayers(config, kerasLayersOf(config)) : archive.layers;
  await h5Ready();
  const h5 = writeKeras3WeightsH5(weights, layers, { modelName: typeof inner?.name === 'string' ? inner.name : undefined });
  const metadata = { keras_version: KERAS_VERSION, date_saved: kerasDate(new Date()), ...archive.metadata };

  const zip = new yazl.ZipFile();
  const options = { compress: false, mode: 0o600, forceDosTimestamp: true };
  zip.addBuffer(Buffer.from(pythonJson(metadata)), METADATA, { ...options, mtime: ZIP_EPOCH() });
  zip.addBuffer(Buffer.from(pythonJson(config)), CONFIG, { ...options, mtime: ZIP_EPOCH() });
  // Keras writes the weights with writestr(name, ...), which stamps the current time.
  zip.addBuffer(Buffer.from(h5.buffer, h5.byteOffset, h5.byteLength), WEIGHTS, { ...options, mtime: new Date() });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

/**
 * Weights of a model stored by the engine (model.json + weights.bin, see engine/serialize.ts) per
 * top-level layer. tfjs names each weight "<layer>/<weight>" (deeper for nested scopes) and lists
 * all trainable weights before all non-trainable ones; grouping by layer in manifest order gives
 * each layer's weights in its getWeights() order, which for our layers is Keras's get_weights().
 */
export function readWeightsFromTfjs(modelJson: string, weightsBin: Uint8Array, layerNames: string[]): KerasWeights {
  const parsed = JSON.parse(modelJson) as { weightsManifest?: Array<{ weights?: TfjsWeightSpec[] }> };
  if (!Array.isArray(parsed.weightsManifest)) throw new Error('model.json has no weightsManifest');
  const specs = parsed.weightsManifest.flatMap((g) => g.weights ?? []);
  // Longest names first, so "dense_1" wins over "dense" for "dense_1/kernel" (the "/" settles it anyway).
  const candidates = [...layerNames].sort((a, b) => b.length - a.length);
  const byLayer = new Map<string, KerasArray[]>();
  let offset = 0;
  for (const spec of specs) {
    if (spec.quantization) throw new Error(`model.json: weight ${spec.name} is quantized; only float32 weights are supported`);
    if (spec.dtype !== 'float32' && spec.dtype !== 'int32') throw new Error(`model.json: weight ${spec.name} has dtype ${spec.dtype}; expected float32`);
    const layer = candidates.find((n) => spec.name.startsWith(`${n}/`));
    if (layer === undefined) throw new Error(`model.json: weight ${spec.name} belongs to none of the layers ${layerNames.join(', ')}`);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const end = offset + count * 4;
    if (end > weightsBin.byteLength) throw new Error(`weights.bin holds ${weightsBin.byteLength} bytes, fewer than model.json describes (at ${spec.name})`);
    // A copy: the slice may not be 4-byte aligned, and the caller's buffer may be reused.
    const raw = weightsBin.buffer.slice(weightsBin.byteOffset + offset, weightsBin.byteOffset + end);
    const data = spec.dtype === 'int32' ? Float32Array.from(new Int32Array(raw)) : new Float32Array(raw);
    let list = byLayer.get(layer);
    if (!list) byLayer.set(layer, (list = []));
    list.push({ shape: [...spec.shape], data });
    offset = end;
  }
  if (offset !== weightsBin.byteLength) throw new Error(`weights.bin holds ${weightsBin.byteLength} bytes but model.json describes ${offset}`);
  const weights: KerasWeights = {};
  for (const name of layerNames) {
    const list = byLayer.get(name);
    if (list) weights[name] = list;
  }
  return weights;
}
