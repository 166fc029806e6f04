/**
 * A stored .npy array read a few rows at a time (positioned reads on one open file), so training
 * on it holds only the windows it reads. A row selection is an offset; a column selection is
 * applied to each read. The file stays open until close(): a dataset removed meanwhile (which the
 * API refuses while a job holds it) is still read whole.
 */
import type { FileHandle } from 'node:fs/promises';
import type { DType } from '../spec/arrays.ts';
import type { ArrayRows, HostValues, Run } from '../engine/data-source.ts';

export class NpyRows implements ArrayRows {
  readonly inMemory = false;
  readonly shape: readonly number[];
  /** A 0-d array, read as one row of one value. */
  readonly scalar: boolean;
  /** Values per stored row (before a column selection). */
  private readonly storedWidth: number;

  /**
   * @param start the first stored row this array's row 0 is
   * @param columns stored column indices to keep, in order (2-D arrays only)
   */
  constructor(
    private readonly handle: FileHandle,
    readonly dtype: DType,
    storedShape: readonly number[],
    private readonly dataOffset: number,
    private readonly start: number,
    rows: number,
    private readonly columns?: readonly number[],
  ) {
    this.scalar = storedShape.length === 0;
    this.storedWidth = storedShape.slice(1).reduce((x, y) => x * y, 1);
    this.shape = columns ? [rows, columns.length] : [rows, ...storedShape.slice(1)];
  }

  async read(runs: readonly Run[]): Promise<HostValues> {
    const rows = runs.reduce((n, [, c]) => n + c, 0);
    const rowBytes = this.storedWidth * 4;
    const bytes = new Uint8Array(rows * rowBytes);
    let at = 0;
    await Promise.all(
      runs.map(([begin, count]) => {
        const into = at;
        at += count * rowBytes;
        return this.readFully(bytes, into, count * rowBytes, this.dataOffset + (this.start + begin) * rowBytes);
      }),
    );
    const values = this.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
    return this.columns ? this.pick(values, rows) : values;
  }

  private async readFully(into: Uint8Array, offset: number, length: number, position: number): Promise<void> {
    for (let done = 0; done < length; ) {
      const { bytesRead } = await this.handle.read(into, offset + done, length - done, position + done);
      if (bytesRead === 0) throw new Error(`a stored .npy array ends before its row ${this.start + Math.floor((position + done - this.dataOffset) / (this.storedWidth * 4))}`);
      done += bytesRead;
    }
  }

  private pick(values: HostValues, rows: number): HostValues {
    const cols = this.columns!;
    const out = this.dtype === 'int32' ? new Int32Array(rows * cols.length) : new Float32Array(rows * cols.length);
    for (let r = 0; r < rows; r++) for (let j = 0; j < cols.length; j++) out[r * cols.length + j] = values[r * this.storedWidth + cols[j]];
    return out;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
