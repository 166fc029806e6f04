import { fail } from './problem.ts';

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
  /**
   * Numbers in one sample's activations: every tensor the graph makes, summed (a dimension left None
   * counts as 1). The default admits every keras.applications model at its own input size (the largest,
   * EfficientNetB7 at 600×600, makes 1.05e9); a deployment sizes it to its workers' memory.
   */
  maxSampleActivations: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxLayers: 2000,
  maxParams: 400_000_000,
  maxArrayElements: 100_000_000,
  maxEpochSamples: 10_000_000_000,
  maxBatchSize: 65_536,
  maxSampleActivations: 1_500_000_000,
};

/** JSON nesting deeper than this is refused before any walk over it (nested arrays have rank <= 8). */
export const MAX_NESTING = 32;

/** Iterative, so a hostile 100k-deep body cannot overflow the stack here either. */
export function nestingDepth(root: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (!node || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_NESTING) return deepest;
    const children = Array.isArray(node) ? node : Object.values(node);
    // Numbers are most of a big body: only containers go on the stack.
    for (const child of children) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Refuses bodies nested deeper than MAX_NESTING, before anything recursive (even JSON.stringify) walks them. */
export function checkNesting(body: unknown): void {
  const depth = nestingDepth(body);
  if (depth > MAX_NESTING) fail('', `JSON nesting is ${depth} deep; the limit is ${MAX_NESTING}`);
}
