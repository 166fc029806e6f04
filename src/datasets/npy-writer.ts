/**
 * A C-order .npy written in chunks, for arrays too large to build in memory first: uploads being
 * normalized, and predictions written batch by batch. The header can wait for the shape (CSV rows
 * and predictions are counted while written): room for any shape of the rank is kept before the data.
 */
import fs, { type FileHandle } from 'node:fs/promises';
import type { DType } from '../spec/arrays.ts';
import { npyHeader, shapeText } from './npy.ts';

const WRITE_CHUNK = 1024 * 1024;

/** Writes a C-order .npy in chunks; the header can wait for the shape (CSV rows are counted while read). */
export class NpyFileWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private position: number;
  private dataBytes = 0;

  private constructor(
    private readonly handle: FileHandle,
    private readonly dtype: DType,
    private readonly headerBytes: number,
    private readonly count: (bytes: number) => void,
  ) {
    this.position = headerBytes;
  }

  /** With a shape, the header is sized for it; with `null`, room is kept for any shape of that rank. */
  static async open(file: string, dtype: DType, shape: number[] | null, rank: number, count: (bytes: number) => void = () => {}): Promise<NpyFileWriter> {
    const headerBytes = npyHeader(shape ?? new Array(rank).fill(Number.MAX_SAFE_INTEGER), dtype).length;
    count(shape ? headerBytes + shape.reduce((x, y) => x * y, 1) * 4 : headerBytes);
    const handle = await fs.open(file, 'wx');
    return new NpyFileWriter(handle, dtype, headerBytes, count);
  }

  /** `counted`: the bytes were counted when the writer was opened with the final shape. */
  async write(values: Float32Array | Int32Array, counted = false): Promise<void> {
    if (!counted) this.count(values.byteLength);
    // Copy: the caller may reuse its array.
    this.pending.push(Buffer.from(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)));
    this.pendingBytes += values.byteLength;
    if (this.pendingBytes >= WRITE_CHUNK) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.pendingBytes) return;
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.write(data, 0, data.length, this.position);
    this.position += data.length;
    this.dataBytes += data.length;
  }

  /** Writes the header for the final shape, fsyncs and closes; returns the file size. */
  async close(shape: number[]): Promise<number> {
    try {
      await this.flush();
      const count = shape.reduce((x, y) => x * y, 1);
      if (count * 4 !== this.dataBytes) throw new Error(`internal: ${this.dataBytes} bytes written for shape ${shapeText(shape)}`);
      const header = npyHeader(shape, this.dtype, this.headerBytes);
      if (header.length !== this.headerBytes) throw new Error('internal: .npy header outgrew its reserved room');
      await this.handle.write(header, 0, header.length, 0);
      await this.handle.sync();
      return this.headerBytes + this.dataBytes;
    } finally {
      await this.handle.close();
    }
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => {});
  }
}

