/** The parity fixture format recorded from Keras (see test/fixtures/parity/README.md). */
import fs from 'node:fs/promises';

export interface Tolerance {
  rtol: number;
  atol: number;
}

export interface ParityCase {
  name: string;
  spec: {
    model: any;
    compile: any;
    fit: null | {
      batch_size?: number;
      epochs?: number;
      initial_epoch?: number;
      shuffle?: boolean;
      validation_data?: { x: any; y: any; sample_weight?: any };
      validation_split?: number;
      class_weight?: Record<string, number>;
      sample_weight?: any;
      callbacks?: Array<{ class_name: string; config?: Record<string, unknown> }>;
    };
    evaluate?: { batch_size?: number; data: { x: any; y: any; sample_weight?: any } };
    predict?: { batch_size?: number; num_samples?: number; data: { x: any } };
  };
  initial_weights: Record<string, unknown[]>;
  data: { x?: any; y?: any; sample_weight?: any; validation?: { x: any; y: any }; test?: { x: any; y: any } };
  expected: {
    history?: Record<string, number[]>;
    history_keys?: string[];
    epochs_run?: number;
    optimizer_iterations?: number;
    lr_per_epoch?: number[];
    lr_after_fit?: number;
    stopped_epoch?: number;
    final_weights?: Record<string, unknown[]>;
    evaluate?: Record<string, number>;
    evaluate_keys?: string[];
    predict?: unknown;
  };
  tolerance: { default: Tolerance } & Partial<Record<'history' | 'final_weights' | 'evaluate' | 'predict', Tolerance>>;
}

/** Resolves {"$ref": "#/a/b"} JSON pointers against the case itself. */
function resolveRefs(node: unknown, root: unknown): unknown {
  if (Array.isArray(node)) return node.map((n) => resolveRefs(n, root));
  if (node && typeof node === 'object') {
    const ref = (node as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith('#/')) {
      return ref
        .slice(2)
        .split('/')
        .reduce<any>((at, key) => at?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], root);
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveRefs(v, root)]));
  }
  return node;
}

export async function loadCase(file: string): Promise<ParityCase> {
  const raw = JSON.parse(await fs.readFile(file, 'utf8'));
  return { ...raw, spec: resolveRefs(raw.spec, raw) } as ParityCase;
}
