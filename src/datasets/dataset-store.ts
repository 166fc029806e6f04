/**
 * Uploaded datasets on disk: `root/<id>/<name>.npy` per array (float32 or int32, C order) and
 * `root/<id>/meta.json`. An upload is streamed to temp files inside `root/.tmp-<id>/`, converted
 * there, and the folder is renamed into place only when every part was valid — a reader sees a
 * whole dataset or none, and a failed upload leaves nothing behind.
 *
 * Knows nothing about HTTP: the API saves and describes datasets, the workers read arrays (the
 * root is on the checkpoint volume they share).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { rowRange, type DType, type HostArray } from '../spec/arrays.ts';
import { BadArraySelection, BadMultipart, DatasetArrayNotFound, DatasetNotFound, DatasetTooLarge, InvalidDatasetFile } from './errors.ts';
import { fsyncDir, writeFileAtomic } from '../store/atomic.ts';
import { expiredUnder, readExpiry, writeExpiry } from '../store/expiry.ts';
import { NpyRows } from './npy-rows.ts';
import { NpyFileWriter } from './npy-writer.ts';
import { NpyDecoder, NpyError, parseNpyHeader, shapeText, writeNpy } from './npy.ts';

export interface DatasetArrayInfo {
  shape: number[];
  dtype: DType;
  /** Column names, for arrays that came from a CSV file. */
  columns?: string[];
}

export interface DatasetInfo {
  id: string;
  /** The API key tenant that uploaded it. */
  tenant?: string;
  created_at: string;
  /** Bytes of the stored arrays (.npy files, headers included). */
  bytes: number;
  arrays: Record<string, DatasetArrayInfo>;
}

export interface UploadPart {
  filename: string;
  file: NodeJS.ReadableStream;
}

export interface ReadArrayOptions {
  /** Python-style half-open slice of the first axis; negative indices count from the end. */
  rows?: [number, number];
  /** Along the last axis of a 2-D array: CSV column names or indices (negative from the end). */
  columns?: Array<string | number>;
}

export const DATASET_ID = /^[A-Za-z0-9-]{1,100}$/;
export const ARRAY_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/;
export const DATASET_EXTENSIONS = ['.npy', '.npz', '.csv', '.json'];

const MiB = 1024 * 1024;
/** JSON is parsed whole in memory; larger arrays belong in .npy/.npz. */
const JSON_MAX_BYTES = 64 * MiB;
/** Dimensions of a JSON array (numpy allows 64; the engine's inputs have at most 9). */
const JSON_MAX_DEPTH = 32;
const CSV_MAX_LINE = 1 * MiB;
/** zlib.crc32 arrived in Node 20.15; without it zip members are not CRC-checked (the .npy checks still apply). */
const crc32: ((data: Uint8Array, value?: number) => number) | undefined = typeof zlib.crc32 === 'function' ? zlib.crc32 : undefined;

/** Byte budgets of one upload: bytes received, and bytes the normalized arrays take on disk. */
class Budget {
  received = 0;
  stored = 0;
  constructor(readonly maxBytes: number) {}

  receive(n: number): void {
    this.received += n;
    if (this.received > this.maxBytes) throw new DatasetTooLarge(`The upload is larger than ${this.maxBytes} bytes (DATASET_MAX_BYTES)`);
  }

  store(n: number, file: string): void {
    this.stored += n;
    if (this.stored > this.maxBytes) {
      throw new DatasetTooLarge(`${file}: stored as float32/int32 the arrays would take more than ${this.maxBytes} bytes (DATASET_MAX_BYTES)`);
    }
  }
}

const isMissing = (err: unknown) => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

/** Errors of our own making pass through; a NpyError becomes a 422 naming the part. */
function asFileError(err: unknown, file: string, prefix = ''): unknown {
  if (err instanceof NpyError) return new InvalidDatasetFile(file, `${prefix}${err.message}`);
  return err;
}

/** Decodes a .npy byte stream into `dest` (normalized); returns its shape and dtype. */
async function convertNpyStream(source: AsyncIterable<Uint8Array>, dest: string, budget: Budget, label: string): Promise<DatasetArrayInfo & { bytes: number }> {
  const decoder = new NpyDecoder();
  let writer: NpyFileWriter | undefined;
  try {
    for await (const chunk of source) {
      const pieces = decoder.push(chunk);
      if (decoder.header && !writer) writer = await NpyFileWriter.open(dest, decoder.header.dtype, decoder.header.shape, decoder.header.shape.length, (n) => budget.store(n, label));
      for (const piece of pieces) await writer!.write(piece, true);
    }
    const header = decoder.finish();
    const w = writer!;
    writer = undefined;
    const bytes = await w.close(header.shape);
    return { shape: header.shape, dtype: header.dtype, bytes };
  } catch (err) {
    await writer?.abort();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// CSV: a header row of column names, then numbers.

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function splitCsvLine(line: string): string[] {
  return line.split(',').map((cell) => {
    const t = cell.trim();
    return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/""/g, '"').trim() : t;
  });
}

async function* lines(file: string, label: string): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineNo = 0;
  for await (const chunk of createReadStream(file)) {
    rest += decoder.write(chunk as Buffer);
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      yield rest.slice(0, nl).replace(/\r$/, '');
      rest = rest.slice(nl + 1);
      lineNo++;
    }
    if (rest.length > CSV_MAX_LINE) throw new InvalidDatasetFile(label, `line ${lineNo + 1} is longer than ${CSV_MAX_LINE} bytes`);
  }
  rest += decoder.end();
  if (rest.length) yield rest.replace(/\r$/, '');
}

async function convertCsv(file: string, dest: string, budget: Budget, label: string): Promise<DatasetArrayInfo & { bytes: number }> {
  let columns: string[] | null = null;
  let writer: NpyFileWriter | undefined;
  let rows = 0;
  let lineNo = 0;
  let row: Float32Array | undefined;
  try {
    for await (const raw of lines(file, label)) {
      lineNo++;
      let line = raw;
      if (lineNo === 1) line = line.replace(/^\uFEFF/, '');
      if (!line.trim()) continue;
      if (!columns) {
        // numpy.savetxt writes the header as a comment unless comments='' is given: accept both.
        const names = splitCsvLine(line.replace(/^#\s*/, ''));
        const empty = names.findIndex((n) => n === '');
        if (empty >= 0) throw new InvalidDatasetFile(label, `the header row (line ${lineNo}) has an empty column name at column ${empty}`);
        if (names.every((n) => NUMBER.test(n))) throw new InvalidDatasetFile(label, `the first row (line ${lineNo}) must name the columns (e.g. "a,b,c,label"), got numbers`);
        // Linear: a header of 100,000 columns must not cost 10^10 comparisons.
        const seen = new Set<string>();
        const dup = names.find((n) => seen.size === seen.add(n).size);
        if (dup !== undefined) throw new InvalidDatasetFile(label, `the header row names column "${dup}" twice`);
        columns = names;
        row = new Float32Array(names.length);
        writer = await NpyFileWriter.open(dest, 'float32', null, 2, (n) => budget.store(n, label));
        continue;
      }
      const cells = splitCsvLine(line);
      if (cells.length !== columns.length) {
        throw new InvalidDatasetFile(label, `row ${rows + 1} (line ${lineNo}) has ${cells.length} cells, the header has ${columns.length} columns`);
      }
      for (let c = 0; c < cells.length; c++) {
        const cell = cells[c];
        const where = `row ${rows + 1} (line ${lineNo}), column "${columns[c]}"`;
        if (!NUMBER.test(cell)) throw new InvalidDatasetFile(label, `${where}: ${cell === '' ? 'empty cell' : JSON.stringify(cell.slice(0, 50))} is not a number (every column must be numeric)`);
        const v = Math.fround(Number(cell));
        if (!Number.isFinite(v)) throw new InvalidDatasetFile(label, `${where}: ${cell} is outside the float32 range`);
        row![c] = v;
      }
      await writer!.write(row!, false);
      rows++;
    }
    if (!columns) throw new InvalidDatasetFile(label, 'the file is empty (expected a header row of column names, then rows of numbers)');
    if (rows === 0) throw new InvalidDatasetFile(label, 'the file has a header row but no data rows');
    const w = writer!;
    writer = undefined;
    const shape = [rows, columns.length];
    const bytes = await w.close(shape);
    return { shape, dtype: 'float32', columns, bytes };
  } catch (err) {
    await writer?.abort();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON: a nested, rectangular array of finite numbers.

function jsonArray(value: unknown, label: string): HostArray {
  if (!Array.isArray(value)) throw new InvalidDatasetFile(label, 'expected a (nested) JSON array of numbers at the top level');
  const shape: number[] = [];
  let cursor: unknown = value;
  while (Array.isArray(cursor)) {
    // Refused before the (recursive) walk below: nesting as deep as the call stack would crash it.
    if (shape.length === JSON_MAX_DEPTH) throw new InvalidDatasetFile(label, `lists nest more than ${JSON_MAX_DEPTH} levels deep; upload arrays of at most ${JSON_MAX_DEPTH} dimensions`);
    shape.push(cursor.length);
    if (cursor.length === 0) break;
    cursor = cursor[0];
  }
  const count = shape.reduce((x, y) => x * y, 1);
  const flat = new Float64Array(count);
  let n = 0;
  let ints = true;
  const walk = (node: unknown, depth: number, at: string): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number' || !Number.isFinite(node)) throw new InvalidDatasetFile(label, `at ${at || '/'}: expected a finite number, got ${JSON.stringify(node)?.slice(0, 50)}`);
      if (!Number.isInteger(node) || node < -(2 ** 31) || node > 2 ** 31 - 1) ints = false;
      flat[n++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new InvalidDatasetFile(label, `at ${at || '/'}: ragged array, expected a list of ${shape[depth]} items at depth ${depth} (shape ${shapeText(shape)})`);
    }
    for (let i = 0; i < node.length; i++) walk(node[i], depth + 1, `${at}/${i}`);
  };
  walk(value, 0, '');
  // Integers (in the int32 range) stay integers, like np.array([...]) gives an integer array.
  if (ints) return { shape, dtype: 'int32', values: Int32Array.from(flat) };
  const values = Float32Array.from(flat);
  const over = values.findIndex((v) => !Number.isFinite(v));
  if (over >= 0) throw new InvalidDatasetFile(label, `value ${flat[over]} (flat index ${over}) is outside the float32 range`);
  return { shape, dtype: 'float32', values };
}

async function convertJson(file: string, dest: string, budget: Budget, label: string): Promise<DatasetArrayInfo & { bytes: number }> {
  const { size } = await fs.stat(file);
  if (size > JSON_MAX_BYTES) throw new InvalidDatasetFile(label, `JSON arrays are limited to ${JSON_MAX_BYTES} bytes; upload larger arrays as .npy or .npz`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new InvalidDatasetFile(label, `not valid JSON: ${(err as Error).message}`);
  }
  const array = jsonArray(parsed, label);
  const writer = await NpyFileWriter.open(dest, array.dtype, array.shape, array.shape.length, (n) => budget.store(n, label));
  try {
    await writer.write(array.values, true);
  } catch (err) {
    await writer.abort();
    throw err;
  }
  const bytes = await writer.close(array.shape);
  return { shape: array.shape, dtype: array.dtype, bytes };
}

// ---------------------------------------------------------------------------------------------

function checkName(name: string, label: string, taken: Record<string, unknown>, what: string): void {
  if (!ARRAY_NAME.test(name)) {
    throw new InvalidDatasetFile(label, `${what} "${name}" is not a valid array name (it must match ${ARRAY_NAME.source}: a letter or _ first, then letters, digits, _ . -)`);
  }
  // As a key of a plain object "__proto__" would set the prototype instead of adding an array (and vanish).
  if (name === '__proto__') throw new InvalidDatasetFile(label, `${what} "${name}" is not a valid array name (it is reserved)`);
  if (Object.hasOwn(taken, name)) throw new InvalidDatasetFile(label, `${what} "${name}" is a duplicate: another part of this upload already holds an array named "${name}"`);
}

function baseName(filename: string): string {
  return filename.split(/[\\/]/).pop() ?? '';
}

export class DatasetStore {
  readonly root: string;
  readonly maxBytes: number;

  constructor(root: string, limits: { maxBytes: number }) {
    this.root = path.resolve(root);
    this.maxBytes = limits.maxBytes;
  }

  private dir(id: string): string {
    return path.join(this.root, id);
  }

  /**
   * Receives every part to disk, converts each, and publishes the dataset at once. Throws
   * InvalidDatasetFile (422), DatasetTooLarge (413) or the stream's own error; nothing is left behind.
   */
  async save(parts: AsyncIterable<UploadPart>, tenant?: string, ttlS?: number): Promise<DatasetInfo & { expires_at?: string }> {
    const id = randomUUID();
    const budget = new Budget(this.maxBytes);
    const arrays: Record<string, DatasetArrayInfo> = {};
    let bytes = 0;
    return this.publish(id, async (tmp) => {
      let n = 0;
      for await (const part of parts) {
        const label = part.filename;
        const file = baseName(part.filename);
        const ext = path.extname(file).toLowerCase();
        if (!DATASET_EXTENSIONS.includes(ext)) {
          (part.file as NodeJS.ReadableStream & { resume(): void }).resume();
          throw new InvalidDatasetFile(label, `unsupported file type "${ext || file}": upload .npy, .npz, .csv or .json files`);
        }
        const upload = path.join(tmp, `.upload-${n++}${ext}`);
        await this.receive(part, upload, budget);
        const stem = file.slice(0, file.length - ext.length);
        const added =
          ext === '.npz'
            ? await this.convertNpz(upload, tmp, budget, label, arrays)
            : await this.convertOne(ext, upload, tmp, stem, budget, label, arrays);
        for (const [name, info] of Object.entries(added)) {
          const { bytes: b, ...rest } = info;
          arrays[name] = rest;
          bytes += b;
        }
        await fs.rm(upload, { force: true });
      }
      if (n === 0) throw new InvalidDatasetFile('', 'no files: send one or more "file" parts (.npy, .npz, .csv, .json)');
      const info: DatasetInfo = { id, ...(tenant ? { tenant } : {}), created_at: new Date().toISOString(), bytes, arrays };
      const metaHandle = await fs.open(path.join(tmp, 'meta.json'), 'wx');
      try {
        await metaHandle.writeFile(JSON.stringify(info, null, 2));
        await metaHandle.sync();
      } finally {
        await metaHandle.close();
      }
      // Inside the folder before it is published: a dataset given a TTL never exists without it.
      const expiresAt = ttlS === undefined ? undefined : await writeExpiry(tmp, ttlS);
      await fsyncDir(tmp);
      return { ...info, ...(expiresAt ? { expires_at: expiresAt } : {}) };
    });
  }

  /**
   * Builds a dataset in a temp folder and renames it into place at once: readers see all of it or
   * none, and a failure leaves nothing behind.
   */
  private async publish<T>(id: string, build: (tmp: string) => Promise<T>): Promise<T> {
    const tmp = path.join(this.root, `.tmp-${id}`);
    await fs.mkdir(tmp, { recursive: true });
    try {
      const out = await build(tmp);
      await fs.rename(tmp, this.dir(id));
      await fsyncDir(this.root);
      return out;
    } catch (err) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /** Streams one part to disk, counting bytes against the budget of the whole request. */
  private async receive(part: UploadPart, dest: string, budget: Budget): Promise<void> {
    const tooLarge = () => new DatasetTooLarge(`${part.filename} is larger than ${budget.maxBytes} bytes (DATASET_MAX_BYTES)`);
    // busboy signals its fileSize limit with 'limit' and then only drops bytes: stop at once instead.
    part.file.once('limit', () => (part.file as NodeJS.ReadableStream & { destroy(err: Error): void }).destroy(tooLarge()));
    try {
      await pipeline(
        part.file,
        async function* (source: AsyncIterable<string | Buffer>) {
          for await (const chunk of source) {
            budget.receive(chunk.length);
            yield chunk;
          }
        },
        createWriteStream(dest, { flags: 'wx' }),
      );
    } catch (err) {
      // Disk errors are ours (500); anything else broke the incoming stream: a cut-off or malformed body.
      if (err instanceof DatasetTooLarge || (err as NodeJS.ErrnoException).syscall) throw err;
      throw new BadMultipart(`${part.filename}: ${(err as Error).message}`);
    }
    // @fastify/multipart (busboy) cuts a file at its fileSize limit and marks the stream truncated.
    if ((part.file as { truncated?: boolean }).truncated) throw tooLarge();
  }

  private async convertOne(ext: string, upload: string, tmp: string, name: string, budget: Budget, label: string, taken: Record<string, unknown>) {
    checkName(name, label, taken, 'the file name');
    const dest = path.join(tmp, `${name}.npy`);
    try {
      const info =
        ext === '.npy'
          ? await convertNpyStream(createReadStream(upload) as AsyncIterable<Buffer>, dest, budget, label)
          : ext === '.csv'
            ? await convertCsv(upload, dest, budget, label)
            : await convertJson(upload, dest, budget, label);
      return { [name]: info };
    } catch (err) {
      throw asFileError(err, label);
    }
  }

  /** Each `<name>.npy` member becomes an array `<name>`. Zip bombs are stopped by the declared sizes and again while inflating. */
  private async convertNpz(upload: string, tmp: string, budget: Budget, label: string, taken: Record<string, unknown>) {
    let zip: yauzl.ZipFile;
    try {
      // Sizes are checked below, against the declared ones and against maxBytes, while inflating.
      zip = await yauzl.openPromise(upload, { lazyEntries: true, autoClose: false, validateEntrySizes: false });
    } catch (err) {
      throw new InvalidDatasetFile(label, `not a valid .npz (zip) file: ${(err as Error).message}`);
    }
    try {
      const entries: yauzl.Entry[] = [];
      try {
        for await (const entry of zip.eachEntry()) entries.push(entry);
      } catch (err) {
        throw new InvalidDatasetFile(label, `not a valid .npz (zip) file: ${(err as Error).message}`);
      }
      if (entries.length === 0) throw new InvalidDatasetFile(label, 'the .npz holds no arrays');
      const names: Record<string, true> = { ...Object.fromEntries(Object.keys(taken).map((k) => [k, true as const])) };
      let declared = 0;
      for (const entry of entries) {
        const member = entry.fileName;
        if (!member.endsWith('.npy') || member.endsWith('/')) throw new InvalidDatasetFile(label, `member "${member}" is not a .npy file (an .npz holds only <name>.npy members)`);
        if (entry.isEncrypted()) throw new InvalidDatasetFile(label, `member "${member}" is encrypted`);
        if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
          throw new InvalidDatasetFile(label, `member "${member}" uses zip compression method ${entry.compressionMethod}; only stored (0) and deflated (8) are supported`);
        }
        const name = member.slice(0, -'.npy'.length);
        checkName(name, label, names, 'member');
        names[name] = true;
        declared += entry.uncompressedSize;
      }
      if (declared > budget.maxBytes) {
        throw new DatasetTooLarge(`${label}: its members would inflate to ${declared} bytes, more than ${budget.maxBytes} (DATASET_MAX_BYTES)`);
      }
      const out: Record<string, DatasetArrayInfo & { bytes: number }> = {};
      let inflated = 0;
      for (const entry of entries) {
        const member = entry.fileName;
        const name = member.slice(0, -'.npy'.length);
        const prefix = `member "${member}": `;
        try {
          const stream = await zip.openReadStreamPromise(entry);
          const counted = async function* () {
            let n = 0;
            let crc = 0;
            try {
              for await (const chunk of stream as AsyncIterable<Buffer>) {
                n += chunk.length;
                inflated += chunk.length;
                if (inflated > budget.maxBytes) throw new DatasetTooLarge(`${label}: inflates to more than ${budget.maxBytes} bytes (DATASET_MAX_BYTES)`);
                if (n > entry.uncompressedSize) {
                  throw new InvalidDatasetFile(label, `${prefix}inflates to more than the ${entry.uncompressedSize} bytes its zip header declares (a corrupt or malicious zip)`);
                }
                if (crc32) crc = crc32(chunk, crc);
                yield chunk;
              }
            } catch (err) {
              if (err instanceof InvalidDatasetFile || err instanceof DatasetTooLarge) throw err;
              throw new InvalidDatasetFile(label, `${prefix}cannot be read: ${(err as Error).message}`);
            } finally {
              stream.destroy();
            }
            if (n !== entry.uncompressedSize) throw new InvalidDatasetFile(label, `${prefix}inflates to ${n} bytes, its zip header declares ${entry.uncompressedSize}`);
            if (crc32 && crc >>> 0 !== entry.crc32 >>> 0) throw new InvalidDatasetFile(label, `${prefix}CRC-32 mismatch: the zip is corrupt`);
          };
          out[name] = await convertNpyStream(counted(), path.join(tmp, `${name}.npy`), budget, label);
        } catch (err) {
          throw asFileError(err, label, prefix);
        }
      }
      return out;
    } finally {
      zip.close();
    }
  }

  /** Ids of uploaded datasets (staged payloads and folders being written or removed left out). */
  private async uploadedIds(): Promise<string[]> {
    return (await fs.readdir(this.root).catch(() => [] as string[])).filter((n) => DATASET_ID.test(n) && !n.startsWith('payload-'));
  }

  /** Every tenant's uploaded datasets. */
  async list(): Promise<DatasetInfo[]> {
    const infos = await Promise.all((await this.uploadedIds()).map((id) => this.get(id).catch(() => null)));
    return infos.filter((i): i is DatasetInfo => i !== null && i.tenant !== undefined);
  }

  /** Sets the dataset's expiry ttlS seconds from now, or clears it (null); answers expires_at. */
  async setExpiry(id: string, ttlS: number | null): Promise<string | undefined> {
    if (!DATASET_ID.test(id)) throw new Error(`invalid dataset id "${id}"`);
    return writeExpiry(this.dir(id), ttlS);
  }

  async expiresAt(id: string): Promise<string | undefined> {
    return DATASET_ID.test(id) ? readExpiry(this.dir(id)) : undefined;
  }

  /** Uploaded datasets whose expiry has passed. */
  async expired(now = Date.now()): Promise<string[]> {
    return expiredUnder(this.root, await this.uploadedIds(), now);
  }

  /** The dataset if it belongs to the tenant; another tenant's dataset looks like none. */
  async getOwned(id: string, tenant: string): Promise<DatasetInfo | null> {
    const info = await this.get(id);
    return info && info.tenant === tenant ? info : null;
  }

  async get(id: string): Promise<DatasetInfo | null> {
    if (typeof id !== 'string' || !DATASET_ID.test(id)) return null;
    try {
      return JSON.parse(await fs.readFile(path.join(this.dir(id), 'meta.json'), 'utf8')) as DatasetInfo;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  /**
   * Stores arrays a job carried inline (see jobs/payloads.ts) as a dataset of no tenant: no API
   * route lists or reads it, the worker reads it like any dataset. Published at once, like save().
   */
  async stage(id: string, arrays: Record<string, HostArray>): Promise<DatasetInfo> {
    if (!DATASET_ID.test(id)) throw new Error(`invalid dataset id "${id}"`);
    return this.publish(id, async (tmp) => {
      const infos: Record<string, DatasetArrayInfo> = {};
      let bytes = 0;
      for (const [name, array] of Object.entries(arrays)) {
        const npy = writeNpy(array);
        await writeFileAtomic(path.join(tmp, `${name}.npy`), npy);
        infos[name] = { shape: array.shape, dtype: array.dtype };
        bytes += npy.length;
      }
      const info: DatasetInfo = { id, created_at: new Date().toISOString(), bytes, arrays: infos };
      await writeFileAtomic(path.join(tmp, 'meta.json'), JSON.stringify(info));
      return info;
    });
  }

  /** Removes a dataset; false when there was none. Moved aside first, so no reader sees it half deleted. */
  async remove(id: string): Promise<boolean> {
    if (typeof id !== 'string' || !DATASET_ID.test(id)) return false;
    const aside = path.join(this.root, `.old-${id}-${randomBytes(4).toString('hex')}`);
    try {
      await fs.rename(this.dir(id), aside);
    } catch (err) {
      if (isMissing(err)) return false;
      throw err;
    }
    await fs.rm(aside, { recursive: true, force: true });
    return true;
  }

  /**
   * One array, optionally a slice of its rows and/or a selection of its columns. Reads only the
   * rows asked for. Throws DatasetNotFound, DatasetArrayNotFound or BadArraySelection.
   */
  async readArray(id: string, name: string, options: ReadArrayOptions = {}): Promise<HostArray> {
    const rows = await this.openRows(id, name, options);
    try {
      const values = rows.shape[0] ? await rows.read([[0, rows.shape[0]]]) : rows.dtype === 'int32' ? new Int32Array(0) : new Float32Array(0);
      return { shape: rows.scalar ? [] : [...rows.shape], dtype: rows.dtype, values };
    } finally {
      await rows.close();
    }
  }

  /**
   * One array (with the same selections) opened for reading a few rows at a time, as a streamed
   * fit, evaluate or predict reads it; the caller closes it.
   */
  async openRows(id: string, name: string, options: ReadArrayOptions = {}): Promise<NpyRows> {
    const info = await this.get(id);
    if (!info) throw new DatasetNotFound(id);
    if (!Object.hasOwn(info.arrays, name)) throw new DatasetArrayNotFound(id, name, Object.keys(info.arrays).join(', '));
    const handle = await fs.open(path.join(this.dir(id), `${name}.npy`), 'r');
    try {
      const header = await readHeader(handle);
      const shape = header.shape;
      let [start, stop] = [0, shape[0] ?? 1];
      if (options.rows) {
        if (shape.length === 0) throw new BadArraySelection(`array "${name}" is a scalar (shape ()) and has no rows to slice`);
        [start, stop] = sliceBounds(options.rows, shape[0]);
      }
      const columns = options.columns ? columnIndices(options.columns, info.arrays[name].columns, shape, name) : undefined;
      return new NpyRows(handle, header.dtype, shape, header.dataOffset, start, stop - start, columns);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }
}

async function readHeader(handle: FileHandle) {
  let size = 256;
  for (;;) {
    const buf = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buf, 0, size, 0);
    const header = parseNpyHeader(buf.subarray(0, bytesRead));
    if (header) return header;
    if (bytesRead < size) throw new Error('stored .npy ends inside its header');
    size *= 4;
  }
}

function sliceBounds(rows: [number, number], length: number): [number, number] {
  if (!Array.isArray(rows) || rows.length !== 2 || !rows.every(Number.isInteger)) {
    throw new BadArraySelection(`rows must be [start, stop] integers, got ${JSON.stringify(rows)}`);
  }
  // As the checks at submit read it: Python's slice, clamped (a job accepted there must read the
  // same rows here); an empty slice is empty, as in Python.
  const [start, stop] = rowRange(rows, length);
  return [start, Math.max(start, stop)];
}

/** Stored column indices of a selection by CSV column name or index (negative from the end). */
function columnIndices(columns: Array<string | number>, names: string[] | undefined, shape: number[], name: string): number[] {
  if (shape.length !== 2) throw new BadArraySelection(`columns can only be selected from a 2-D array; "${name}" has shape ${shapeText(shape)}`);
  if (!Array.isArray(columns) || columns.length === 0) throw new BadArraySelection('columns must list at least one column name or index');
  const width = shape[1];
  const index = names ? new Map(names.map((n, i) => [n, i])) : undefined;
  return columns.map((c) => {
    if (typeof c === 'string') {
      if (!names || !index) throw new BadArraySelection(`array "${name}" has no column names (only arrays from CSV files do); select columns by index`);
      const i = index.get(c) ?? -1;
      if (i < 0) throw new BadArraySelection(`array "${name}" has no column "${c}" (it has: ${names.join(', ')})`);
      return i;
    }
    if (!Number.isInteger(c) || c < -width || c >= width) throw new BadArraySelection(`column index ${c} is out of range for array "${name}" of ${width} columns`);
    return c < 0 ? c + width : c;
  });
}
