/**
 * Caps on what one job may ask for, checked at submit time so a hostile or mistaken spec is
 * answered with the limit instead of tying up a worker. Each has an env var (see config).
 */
export interface Limits {
  maxLayers: number;
  maxParams: number;
  /** Numbers in one array (x, y, ...), whatever form it comes in. */
  maxArrayElements: number;
  /** epochs × training samples. */
  maxEpochSamples: number;
  maxBatchSize: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxLayers: 500,
  maxParams: 50_000_000,
  maxArrayElements: 100_000_000,
  maxEpochSamples: 10_000_000_000,
  maxBatchSize: 65_536,
};

/** JSON nesting deeper than this is refused before any walk over it (nested arrays have rank <= 8). */
export const MAX_NESTING = 32;
