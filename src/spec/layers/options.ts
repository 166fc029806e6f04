/**
 * Honour or refuse: one check of a layer config, shared by the spec checks and the Keras import.
 * A key is accepted if the layer's Keras config has it; a value is accepted if the engine carries
 * it out (the layer's `honours`) or it is Keras's default. Everything else names the key.
 */
import { activationName, ACTIVATIONS } from '../activations.ts';
import { initializerProblem } from '../initializers.ts';
import { parseRegularizer } from '../regularizers.ts';
import { dtypeProblem, type Cfg, type LayerDef } from './layer-def.ts';

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

/** Why this option value is refused, or undefined when the engine carries it out. */
export function layerOptionProblem(def: LayerDef, key: string, value: unknown, cfg: Cfg): string | undefined {
  const cls = def.class_name;
  if (key === 'dtype') return dtypeProblem(value);
  if (COMMON_KEYS.includes(key) || def.ignored?.includes(key)) return undefined;
  if (!Object.hasOwn(def.keras, key)) {
    const keys = Object.keys(def.keras);
    return `${cls} has no option "${key}"; it accepts ${[...COMMON_KEYS, ...keys].join(', ')}`;
  }
  const rule = Object.hasOwn(def.honours, key) ? def.honours[key] : undefined;
  if (rule === undefined) {
    const keras = def.keras[key];
    if (value === null || value === undefined || sameValue(value, keras)) return undefined;
    return `${cls} option "${key}" = ${JSON.stringify(value)} is not implemented by the service's engine; only Keras's default ${JSON.stringify(keras)} is`;
  }
  const named = namedValueProblem(key, value);
  if (named) return `${cls}: ${named}`;
  if (rule === true || value === null || value === undefined) return undefined;
  const problem = rule(value, cfg);
  return problem ? `${cls} option "${key}" = ${JSON.stringify(value)}: ${problem}` : undefined;
}

/** The first refused option of a config as [key, message], or undefined. */
export function layerConfigProblem(def: LayerDef, cfg: Cfg): [string, string] | undefined {
  for (const [key, value] of Object.entries(cfg)) {
    const problem = layerOptionProblem(def, key, value, cfg);
    if (problem) return [key, problem];
  }
  return undefined;
}
