/**
 * The NumPy .npy format (versions 1.0, 2.0 and 3.0), read into and written from HostArray.
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 *
 * Reading normalizes to the two dtypes the engine trains on: floats become float32 and integers
 * and booleans int32. Values that would change on the way (NaN/Infinity, float64 beyond the float32
 * range, int64 beyond the int32 range) are rejected, never silently altered. The decoder is
 * incremental, so an upload or a zip member is converted chunk by chunk and never held whole.
 */
import type { DType, HostArray } from '../spec/arrays.ts';

/** A file that is not a valid .npy, or holds what the service cannot train on. */
export class NpyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpyError';
  }
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
/** numpy itself refuses headers longer than 10000 bytes unless told otherwise; be a little more lenient. */
const MAX_HEADER_BYTES = 100_000;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Typed arrays use the host's byte order; .npy data here is little-endian.
  throw new Error('npy.ts assumes a little-endian host');
}

export interface NpyHeader {
  /** The dtype as written in the file, e.g. "<f8". */
  descr: string;
  shape: number[];
  /** Byte offset of the first data byte (magic + version + header length + header). */
  dataOffset: number;
  /** What the values become. */
  dtype: DType;
  /** Bytes per element in the file. */
  itemsize: number;
  /** Product of the shape. */
  count: number;
}

type Decode = (bytes: ArrayBuffer, firstIndex: number, where: (flatIndex: number) => string) => Float32Array | Int32Array;

interface Descr {
  itemsize: number;
  dtype: DType;
  decode: Decode;
}

function checkFinite(values: Float32Array, firstIndex: number, where: (i: number) => string, source?: Float64Array): Float32Array {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      const original = source ? source[i] : values[i];
      const why = Number.isFinite(original) ? `${original} is outside the float32 range` : `${original} is not a finite number`;
      throw new NpyError(`value at ${where(firstIndex + i)}: ${why} (NaN and Infinity are not accepted)`);
    }
  }
  return values;
}

function toInt32(src: ArrayLike<number>): Int32Array {
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i];
  return out;
}

/** Every dtype accepted, by the descr numpy writes for it (and the '|'/'<' spelling of 1-byte types). */
const DESCRS: Record<string, Descr> = {
  '<f4': { itemsize: 4, dtype: 'float32', decode: (b, first, where) => checkFinite(new Float32Array(b), first, where) },
  '<f8': {
    itemsize: 8,
    dtype: 'float32',
    decode: (b, first, where) => {
      const src = new Float64Array(b);
      return checkFinite(Float32Array.from(src), first, where, src);
    },
  },
  '<i4': { itemsize: 4, dtype: 'int32', decode: (b) => new Int32Array(b) },
  '<i8': {
    itemsize: 8,
    dtype: 'int32',
    decode: (b, first, where) => {
      const halves = new Int32Array(b);
      const out = new Int32Array(halves.length / 2);
      for (let i = 0; i < out.length; i++) {
        const lo = halves[2 * i];
        const hi = halves[2 * i + 1];
        // In range exactly when the high word is the sign extension of the low word.
        if (hi !== lo >> 31) {
          const value = new BigInt64Array(b, 8 * i, 1)[0];
          throw new NpyError(`value at ${where(first + i)}: ${value} is outside the int32 range [${INT32_MIN}, ${INT32_MAX}]`);
        }
        out[i] = lo;
      }
      return out;
    },
  },
  '<u4': {
    itemsize: 4,
    dtype: 'int32',
    decode: (b, first, where) => {
      const src = new Uint32Array(b);
      for (let i = 0; i < src.length; i++) {
        if (src[i] > INT32_MAX) throw new NpyError(`value at ${where(first + i)}: ${src[i]} is outside the int32 range [${INT32_MIN}, ${INT32_MAX}]`);
      }
      return new Int32Array(b);
    },
  },
  '<i2': { itemsize: 2, dtype: 'int32', decode: (b) => toInt32(new Int16Array(b)) },
  '<u2': { itemsize: 2, dtype: 'int32', decode: (b) => toInt32(new Uint16Array(b)) },
  '|i1': { itemsize: 1, dtype: 'int32', decode: (b) => toInt32(new Int8Array(b)) },
  '|u1': { itemsize: 1, dtype: 'int32', decode: (b) => toInt32(new Uint8Array(b)) },
  '|b1': {
    itemsize: 1,
    dtype: 'int32',
    decode: (b) => {
      const src = new Uint8Array(b);
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = src[i] ? 1 : 0;
      return out;
    },
  },
};
// Byte order means nothing for 1-byte types; numpy writes '|', other writers may not.
for (const t of ['i1', 'u1', 'b1']) for (const order of ['<', '>', '=']) DESCRS[order + t] = DESCRS['|' + t];

const ACCEPTED = "'<f4', '<f8', '<i8', '<i4', '<u4', '<i2', '<u2', '|i1', '|u1', '|b1'";

function describeUnsupported(descr: unknown): string {
  if (typeof descr !== 'string') return `structured dtypes (descr ${pyRepr(descr)}) are not supported; save each field as its own array`;
  const kind = descr.replace(/^[<>|=]/, '')[0];
  if (descr.startsWith('>')) {
    return `big-endian dtype '${descr}' is not supported; convert with arr.astype('<${descr.slice(1)}') before saving`;
  }
  if (kind === 'O') return `object arrays (descr '${descr}', pickled Python objects) are not supported`;
  if (kind === 'U' || kind === 'S' || kind === 'a') return `string arrays (descr '${descr}') are not supported; only numbers and booleans`;
  if (kind === 'c') return `complex arrays (descr '${descr}') are not supported`;
  if (kind === 'V') return `void/structured arrays (descr '${descr}') are not supported`;
  if (kind === 'M' || kind === 'm') return `datetime/timedelta arrays (descr '${descr}') are not supported`;
  return `dtype '${descr}' is not supported; accepted: ${ACCEPTED}`;
}

// ---------------------------------------------------------------------------------------------
// The header: a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (64, 32), }

class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
type PyDict = { [k: string]: PyValue };
type PyValue = string | number | boolean | null | PyValue[] | PyDict | PyTuple;

function pyRepr(v: unknown): string {
  if (v instanceof PyTuple) return v.items.length === 1 ? `(${pyRepr(v.items[0])},)` : `(${v.items.map(pyRepr).join(', ')})`;
  return JSON.stringify(v) ?? String(v);
}

/** A small parser for the Python literals numpy writes in .npy headers: dicts, tuples, lists, strings, ints, True/False/None. */
function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new NpyError(`unreadable .npy header (${what} at character ${i}): ${text.slice(0, 200)}`);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const value = (depth: number): PyValue => {
    if (depth > 20) fail('nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const dict: PyDict = Object.create(null);
      for (;;) {
        ws();
        if (text[i] === '}') {
          i++;
          return dict;
        }
        const key = value(depth + 1);
        if (typeof key !== 'string') fail('a dict key that is not a string');
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        dict[key as string] = value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail("expected ',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: PyValue[] = [];
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          return c === '(' ? new PyTuple(items) : items;
        }
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected ',' or '${close}'`);
      }
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('an unterminated string');
      const s = text.slice(i + 1, end);
      if (s.includes('\\')) fail('an escaped string');
      i = end + 1;
      return s;
    }
    const word = /^(-?\d+)L?|^(True|False|None)/.exec(text.slice(i, i + 40));
    if (!word) return fail('an unexpected token');
    i += word[0].length;
    if (word[1] !== undefined) return Number(word[1]);
    return word[2] === 'True' ? true : word[2] === 'False' ? false : null;
  };
  const result = value(0);
  ws();
  if (i !== text.length) fail('trailing characters');
  return result;
}

/**
 * Reads the preamble and header dict. Returns null when `buf` does not yet hold the whole header
 * (the caller reads more); throws NpyError when it never will be a valid .npy.
 */
export function parseNpyHeader(buf: Uint8Array): NpyHeader | null {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 6) {
    if (!MAGIC.subarray(0, b.length).equals(b)) throw new NpyError('not a .npy file (the magic string \\x93NUMPY is missing)');
    return null;
  }
  if (!b.subarray(0, 6).equals(MAGIC)) throw new NpyError('not a .npy file (the magic string \\x93NUMPY is missing)');
  if (b.length < 8) return null;
  const major = b[6];
  const minor = b[7];
  if (![1, 2, 3].includes(major) || minor !== 0) throw new NpyError(`unsupported .npy format version ${major}.${minor} (known: 1.0, 2.0, 3.0)`);
  const lengthBytes = major === 1 ? 2 : 4;
  if (b.length < 8 + lengthBytes) return null;
  const headerLength = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  if (headerLength > MAX_HEADER_BYTES) throw new NpyError(`.npy header of ${headerLength} bytes is longer than the ${MAX_HEADER_BYTES} accepted`);
  const dataOffset = 8 + lengthBytes + headerLength;
  if (b.length < dataOffset) return null;
  const text = b.subarray(8 + lengthBytes, dataOffset).toString(major === 3 ? 'utf8' : 'latin1').trim();
  const dict = parsePyLiteral(text);
  if (typeof dict !== 'object' || dict === null || Array.isArray(dict) || dict instanceof PyTuple) throw new NpyError('.npy header is not a dict');
  const { descr, fortran_order: fortran, shape } = dict;
  for (const key of ['descr', 'fortran_order', 'shape']) if (!(key in dict)) throw new NpyError(`.npy header has no '${key}'`);
  if (typeof fortran !== 'boolean') throw new NpyError(`.npy header 'fortran_order' must be True or False, got ${pyRepr(fortran)}`);
  if (fortran) throw new NpyError("Fortran-order arrays are not supported; save np.ascontiguousarray(arr) (C order) instead");
  if (!(shape instanceof PyTuple)) throw new NpyError(`.npy header 'shape' must be a tuple, got ${pyRepr(shape)}`);
  const dims = shape.items;
  if (!dims.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) throw new NpyError(`.npy header 'shape' must hold non-negative integers, got ${pyRepr(dims)}`);
  const info = typeof descr === 'string' && Object.hasOwn(DESCRS, descr) ? DESCRS[descr] : undefined;
  if (!info) throw new NpyError(describeUnsupported(descr));
  const count = (dims as number[]).reduce((x, y) => x * y, 1);
  if (!Number.isSafeInteger(count * info.itemsize)) throw new NpyError(`.npy shape ${shapeText(dims as number[])} is too large`);
  return { descr: descr as string, shape: dims as number[], dataOffset, dtype: info.dtype, itemsize: info.itemsize, count };
}

export function shapeText(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

function unravel(flat: number, shape: number[]): string {
  if (shape.length <= 1) return shape.length === 0 ? 'index ()' : `index ${flat}`;
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(flat % shape[d]);
    flat = Math.floor(flat / shape[d]);
  }
  return `index [${idx.join(', ')}]`;
}

/**
 * Decodes a .npy incrementally: push() the bytes as they arrive, get converted pieces back,
 * finish() checks the data ended exactly where the header's shape says.
 */
export class NpyDecoder {
  header: NpyHeader | null = null;
  private head: Buffer = Buffer.alloc(0);
  private carry: Buffer = Buffer.alloc(0);
  private dataBytes = 0;
  private decoded = 0;

  push(chunk: Uint8Array): Array<Float32Array | Int32Array> {
    let data: Buffer;
    if (!this.header) {
      this.head = Buffer.concat([this.head, chunk]);
      const header = parseNpyHeader(this.head);
      if (!header) {
        if (this.head.length > MAX_HEADER_BYTES + 12) throw new NpyError('.npy header is too long');
        return [];
      }
      this.header = header;
      data = this.head.subarray(header.dataOffset);
      this.head = Buffer.alloc(0);
    } else {
      data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
    const h = this.header;
    const expected = h.count * h.itemsize;
    this.dataBytes += data.length;
    if (this.dataBytes > expected) {
      throw new NpyError(`holds more data than its header says: shape ${shapeText(h.shape)} of '${h.descr}' is ${expected} bytes, the file has more`);
    }
    if (this.carry.length) data = Buffer.concat([this.carry, data]);
    const whole = data.length - (data.length % h.itemsize);
    this.carry = Buffer.from(data.subarray(whole));
    if (whole === 0) return [];
    // An aligned copy: typed-array views need an offset that is a multiple of the item size.
    const aligned = new ArrayBuffer(whole);
    new Uint8Array(aligned).set(data.subarray(0, whole));
    const first = this.decoded;
    this.decoded += whole / h.itemsize;
    return [DESCRS[h.descr].decode(aligned, first, (i) => unravel(i, h.shape))];
  }

  finish(): NpyHeader {
    if (!this.header) throw new NpyError(this.head.length === 0 ? 'the file is empty' : 'the file ends inside the .npy header');
    const h = this.header;
    const expected = h.count * h.itemsize;
    if (this.dataBytes !== expected) {
      throw new NpyError(`truncated: shape ${shapeText(h.shape)} of '${h.descr}' needs ${expected} bytes of data, the file has ${this.dataBytes}`);
    }
    return h;
  }
}

/** The values as nested arrays of the shape (what tf.Tensor.arraySync() gives). */
export function nestedValues({ shape, values }: HostArray): unknown {
  if (shape.length === 0) return values[0];
  let level: unknown[] = Array.from(values);
  for (let d = shape.length - 1; d > 0; d--) {
    const n = shape[d];
    const next: unknown[] = [];
    for (let i = 0; i < level.length; i += n) next.push(level.slice(i, i + n));
    level = next;
  }
  return level;
}

/** Parses a whole .npy held in memory. */
export function parseNpy(bytes: Uint8Array): HostArray {
  const decoder = new NpyDecoder();
  const pieces = decoder.push(bytes);
  const h = decoder.finish();
  const values = h.dtype === 'int32' ? new Int32Array(h.count) : new Float32Array(h.count);
  let at = 0;
  for (const p of pieces) {
    values.set(p, at);
    at += p.length;
  }
  return { shape: h.shape, dtype: h.dtype, values };
}

/**
 * A version 1.0 header (version 2.0 if the dict would not fit 65535 bytes) for C-order float32 or
 * int32 data, padded with spaces so the data starts at a multiple of 64 bytes — and at least at
 * `minDataOffset`, which lets a writer reserve room before it knows the final shape.
 */
export function npyHeader(shape: number[], dtype: DType, minDataOffset = 0): Buffer {
  const descr = dtype === 'float32' ? '<f4' : '<i4';
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText(shape)}, }`;
  for (const major of [1, 2]) {
    const pre = major === 1 ? 10 : 12;
    let total = pre + dict.length + 1; // + '\n'
    total = Math.max(Math.ceil(total / 64) * 64, Math.ceil(minDataOffset / 64) * 64);
    const headerLength = total - pre;
    if (major === 1 && headerLength > 0xffff) continue;
    const out = Buffer.alloc(total, 0x20);
    MAGIC.copy(out, 0);
    out[6] = major;
    out[7] = 0;
    if (major === 1) out.writeUInt16LE(headerLength, 8);
    else out.writeUInt32LE(headerLength, 8);
    out.write(dict, pre, 'latin1');
    out[total - 1] = 0x0a;
    return out;
  }
  throw new Error('unreachable');
}

/** A HostArray as a .npy file ('<f4' or '<i4', C order), as numpy.save writes it. */
export function writeNpy(array: HostArray): Buffer {
  const count = array.shape.reduce((x, y) => x * y, 1);
  if (array.values.length !== count) throw new Error(`writeNpy: shape ${shapeText(array.shape)} needs ${count} values, got ${array.values.length}`);
  const expectInt = array.dtype === 'int32';
  if (expectInt !== array.values instanceof Int32Array) throw new Error(`writeNpy: dtype ${array.dtype} does not match a ${array.values.constructor.name}`);
  const header = npyHeader(array.shape, array.dtype);
  const data = Buffer.from(array.values.buffer, array.values.byteOffset, array.values.byteLength);
  return Buffer.concat([header, data]);
}
