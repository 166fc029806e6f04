/**
 * An epoch's batches read window by window: a window is a set of row runs read at once (one
 * positioned read per run and array), a bounded number of windows is read ahead while the model
 * trains on the current one, so disk and compute overlap and memory stays a few windows.
 *
 * Shuffling (fit's shuffle=True), documented in docs/datasets.md:
 * - data in memory, or no more rows than one window holds: a permutation of all rows per epoch,
 *   the same permutation whatever the source, so small datasets train as they always did;
 * - larger data: the rows are cut in blocks (a 64th of a window each), the blocks are permuted,
 *   consecutive blocks of that order form the windows, and each window's rows are permuted again.
 *   Every row is seen exactly once an epoch; a batch mixes rows of 64 blocks from all over the data.
 * shuffle=False reads the rows in order, so a streamed fit is the in-memory one, batch for batch.
 */
import { rowCount, rowWidth, type ArrayRows, type HostValues, type Run } from './data-source.ts';

/** Bytes of all arrays' rows one window holds, unless a fit says otherwise. */
export const DEFAULT_WINDOW_BYTES = 16 * 1024 * 1024;
/** Blocks per window, when shuffling larger data. */
const BLOCKS_PER_WINDOW = 64;

export interface Window {
  runs: Run[];
  rows: number;
  /** Seed of the permutation of this window's rows; none reads them in order. */
  orderSeed?: number;
}

/** Seeded Fisher-Yates (mulberry32) so a job's shuffle order is reproducible from its seed. */
export function permutation(n: number, seed: number): Int32Array {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** Rows of these arrays that fit in windowBytes (at least one). */
export function windowRowsFor(arrays: readonly ArrayRows[], windowBytes = DEFAULT_WINDOW_BYTES): number {
  const rowBytes = arrays.reduce((n, a) => n + rowWidth(a) * 4, 0);
  return Math.max(1, Math.floor(windowBytes / Math.max(1, rowBytes)));
}

export interface EpochPlan {
  shuffle: boolean;
  /** The epoch's seed (the fit's seed mixed with the epoch). */
  seed: number;
  windowRows: number;
  /** Every array is in memory: one window, whatever its size. */
  inMemory: boolean;
}

/** The windows of one pass over n rows, in reading order. */
export function epochWindows(n: number, plan: EpochPlan): Window[] {
  if (n === 0) return [];
  if (plan.inMemory || n <= plan.windowRows) return [{ runs: [[0, n]], rows: n, orderSeed: plan.shuffle ? plan.seed : undefined }];
  const windows: Window[] = [];
  if (!plan.shuffle) {
    for (let begin = 0; begin < n; begin += plan.windowRows) {
      const rows = Math.min(plan.windowRows, n - begin);
      windows.push({ runs: [[begin, rows]], rows });
    }
    return windows;
  }
  const blockRows = Math.ceil(plan.windowRows / BLOCKS_PER_WINDOW);
  const blocksPerWindow = Math.max(1, Math.floor(plan.windowRows / blockRows));
  const blocks = permutation(Math.ceil(n / blockRows), plan.seed);
  for (let first = 0; first < blocks.length; first += blocksPerWindow) {
    const runs: Run[] = [];
    for (const b of blocks.subarray(first, first + blocksPerWindow)) runs.push([b * blockRows, Math.min(blockRows, n - b * blockRows)]);
    // A window's own seed, derived so no two windows (or epochs) share a permutation.
    windows.push({ runs, rows: runs.reduce((s, [, c]) => s + c, 0), orderSeed: Math.imul(plan.seed ^ 0x9e3779b9, 0x85ebca6b) + windows.length + 1 });
  }
  return windows;
}

/** An in-order pass over all rows (evaluate, predict, label checks). */
export const inOrder = (arrays: readonly ArrayRows[], windowBytes?: number): Window[] =>
  epochWindows(arrays.length ? rowCount(arrays[0]) : 0, { shuffle: false, seed: 0, windowRows: windowRowsFor(arrays, windowBytes), inMemory: arrays.every((a) => a.inMemory) });

const typed = (like: HostValues, length: number): HostValues => (like instanceof Int32Array ? new Int32Array(length) : new Float32Array(length));

interface Loaded {
  values: HostValues[];
  order?: Int32Array;
  rows: number;
  pos: number;
}

/**
 * Batches of batchSize rows (the last one smaller) of every array, in the windows' order: one
 * HostValues per array. A batch inside one unshuffled window is a view of it; others are copies.
 * Up to `readAhead` windows are read while the current one is consumed. Views are valid until the
 * next batch is asked for.
 */
export async function* batchesOf(arrays: readonly ArrayRows[], windows: readonly Window[], batchSize: number, readAhead = 2): AsyncGenerator<HostValues[]> {
  const widths = arrays.map(rowWidth);
  const pending: Array<Promise<HostValues[]>> = [];
  let next = 0;
  const fill = () => {
    while (pending.length <= readAhead && next < windows.length) {
      const { runs } = windows[next++];
      const read = Promise.all(arrays.map((a) => a.read(runs)));
      read.catch(() => {}); // awaited in turn; a failure is thrown then, not as an unhandled rejection
      pending.push(read);
    }
  };
  let taken = 0;
  const take = async (): Promise<Loaded> => {
    const w = windows[taken++];
    fill();
    const values = await pending.shift()!;
    fill();
    return { values, rows: w.rows, pos: 0, order: w.orderSeed === undefined ? undefined : permutation(w.rows, w.orderSeed) };
  };
  const total = windows.reduce((n, w) => n + w.rows, 0);
  try {
    fill();
    let cur: Loaded = { values: [], rows: 0, pos: 0 };
    for (let emitted = 0; emitted < total; ) {
      const size = Math.min(batchSize, total - emitted);
      if (cur.pos === cur.rows) cur = await take();
      if (!cur.order && cur.rows - cur.pos >= size) {
        const begin = cur.pos;
        cur.pos += size;
        emitted += size;
        yield cur.values.map((v, k) => v.subarray(begin * widths[k], (begin + size) * widths[k]));
        continue;
      }
      const out = cur.values.map((v, k) => typed(v, size * widths[k]));
      for (let filled = 0; filled < size; ) {
        if (cur.pos === cur.rows) cur = await take();
        const m = Math.min(size - filled, cur.rows - cur.pos);
        cur.values.forEach((src, k) => {
          const w = widths[k];
          const dst = out[k];
          for (let j = 0; j < m; j++) {
            const r = cur.order ? cur.order[cur.pos + j] : cur.pos + j;
            if (w <= 64) for (let t = 0, o = (filled + j) * w, i = r * w; t < w; t++) dst[o + t] = src[i + t];
            else dst.set(src.subarray(r * w, r * w + w), (filled + j) * w);
          }
        });
        filled += m;
        cur.pos += m;
      }
      emitted += size;
      yield out;
    }
  } finally {
    // A consumer that stops early (cancel, EarlyStopping) leaves reads in flight: let them end
    // before the caller closes the files they read.
    await Promise.allSettled(pending);
  }
}
