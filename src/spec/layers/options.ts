/**
 * Honour or refuse: one check of a layer config, shared by the spec checks and the Keras import.
 * A key is accepted if the layer's Keras config has it; a value is accepted if the engine carries
 * it out (the layer's `honours`) or it is Keras's default. Everything else names the key.
 */
import { activationName, ACTIVATIONS } from '../activations.ts';
import { initializerProblem } from '../initializers.ts';
import { parseRegularizer } from '../regularizers.ts';
import { dtypeProblem, type Cfg, type LayerDef, type OptionRule } from './layer-def.ts';

const COMMON_KEYS = ['name', 'trainable', 'dtype'];

/** Structural equality of JSON values; a number equals a list of that number (Keras tuples). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && Array.isArray(b)) return b.every((x) => x === a);
  if (typeof b === 'number' && Array.isArray(a)) return a.every((x) => x === b);
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && sameValue((a as Cfg)[k], (b as Cfg)[k]));
}

/** Every key a layer's config may hold. */
export function acceptedKeys(def: LayerDef): string[] {
  return [...COMMON_KEYS, ...Object.keys(def.keras), ...(def.ignored ?? [])];
}

/** Checks the values of named Keras objects (activations, initializers, regularizers). */
function namedValueProblem(key: string, value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (key === 'activation' || key === 'recurrent_activation') {
    return activationName(value) ? undefined : `unknown activation ${JSON.stringify(value)}; supported: ${ACTIVATIONS.join(', ')}`;
  }
  if (key.endsWith('_initializer')) return initializerProblem(value);
  if (key.endsWith('_regularizer')) {
    const r = parseRegularizer(value);
    return 'error' in r ? r.error : undefined;
  }
  return undefined;
}

/** A class's options as its registry entry declares them: Keras's defaults, and what is carried out. */
export interface DeclaredOptions {
  keras: Cfg;
  honours: Record<string, OptionRule>;
}

/**
 * Honour or refuse for one option of any registered class (layer, loss, metric, optimizer,
 * callback): unknown keys, keys not carried out at other than Keras's default, and values a
 * rule refuses each come back as a message naming the key.
 */
export function declaredOptionProblem(cls: string, def: DeclaredOptions, key: string, value: unknown, cfg: Cfg, extraKeys: string[] = []): string | undefined {
  if (!Object.hasOwn(def.keras, key)) return `${cls} has no option "${key}"; it accepts ${[...extraKeys, ...Object.keys(def.keras)].join(', ') || 'no options'}`;
  const rule = Object.hasOwn(def.honours, key) ? def.honours[key] : undefined;
  if (rule === undefined) {
    if (value === null || value === undefined || sameValue(value, def.keras[key])) return undefined;
    return `${cls} option "${key}" = ${JSON.stringify(value)} is not implemented by the service; only Keras's default ${JSON.stringify(def.keras[key])} is`;
  }
  if (rule === true || value === null || value === undefined) return undefined;
  const problem = rule(value, cfg);
  return problem ? `${cls} option "${key}" = ${JSON.stringify(value)}: ${problem}` : undefined;
}

/** Why this option value is refused, or undefined when the engine carries it out. */
export function layerOptionProblem(def: LayerDef, key: string, value: unknown, cfg: Cfg): string | undefined {
  if (key === 'dtype') return dtypeProblem(value);
  if (COMMON_KEYS.includes(key) || def.ignored?.includes(key)) return undefined;
  const named = Object.hasOwn(def.honours, key) ? namedValueProblem(key, value) : undefined;
  if (named) return `${def.class_name}: ${named}`;
  return declaredOptionProblem(def.class_name, def, key, value, cfg, COMMON_KEYS);
}

/** The first refused option of a config as [key, message], or undefined. */
export function layerConfigProblem(def: LayerDef, cfg: Cfg): [string, string] | undefined {
  for (const [key, value] of Object.entries(cfg)) {
    const problem = layerOptionProblem(def, key, value, cfg);
    if (problem) return [key, problem];
  }
  return undefined;
}
