/**
 * A sweep's hyperparameters as KerasTuner defines them (keras_tuner.HyperParameters: Choice, Int,
 * Float, Boolean, with conditions on a parent's values), and the mappings every search algorithm
 * shares: a value from a probability in [0, 1) and back (KerasTuner's prob_to_value /
 * value_to_prob), the grid of a hyperparameter, which ones are active given the others.
 * Pure: no Redis, no HTTP.
 */

export type Sampling = 'linear' | 'log';

interface Conditional {
  /** Active only when the parent hyperparameter takes one of these values (KerasTuner's conditional_scope). */
  parent?: { name: string; values: unknown[] };
}
export interface ChoiceHp extends Conditional {
  type: 'choice';
  values: Array<string | number | boolean>;
}
export interface IntHp extends Conditional {
  type: 'int';
  min: number;
  max: number;
  step?: number;
  sampling?: Sampling;
}
export interface FloatHp extends Conditional {
  type: 'float';
  min: number;
  max: number;
  step?: number;
  sampling?: Sampling;
}
export interface BooleanHp extends Conditional {
  type: 'boolean';
}
export type Hyperparameter = ChoiceHp | IntHp | FloatHp | BooleanHp;
/** Names in declaration order: a parent is declared before its children. */
export type SearchSpace = Record<string, Hyperparameter>;
export type HpValue = string | number | boolean;
export type HpValues = Record<string, HpValue>;

/** A problem with a search space: the JSON pointer under search_space and what is wrong. */
export interface SpaceIssue {
  pointer: string;
  message: string;
}

/** Everything wrong with a search space (empty when it is usable). */
export function checkSearchSpace(space: SearchSpace): SpaceIssue[] {
  const issues: SpaceIssue[] = [];
  const seen = new Set<string>();
  for (const [name, hp] of Object.entries(space)) {
    const at = `/search_space/${name}`;
    const bad = (key: string, message: string) => issues.push({ pointer: `${at}${key}`, message });
    if (hp.type === 'choice') {
      if (!hp.values.length) bad('/values', 'lists no values');
      if (new Set(hp.values.map((v) => JSON.stringify(v))).size !== hp.values.length) bad('/values', 'lists a value twice');
      const kinds = new Set(hp.values.map((v) => typeof v));
      if (kinds.size > 1) bad('/values', 'mixes types (KerasTuner requires one type per Choice)');
    } else if (hp.type === 'int' || hp.type === 'float') {
      if (hp.type === 'int' && !Number.isInteger(hp.min)) bad('/min', 'must be an integer');
      if (hp.type === 'int' && !Number.isInteger(hp.max)) bad('/max', 'must be an integer');
      if (!(hp.max > hp.min)) bad('/max', `must be greater than min (${hp.min})`);
      if (hp.sampling === 'log' && !(hp.min > 0)) bad('/min', 'must be > 0 for log sampling');
      if (hp.step !== undefined) {
        if (!(hp.step > 0) || (hp.type === 'int' && !Number.isInteger(hp.step))) bad('/step', 'must be a positive number (an integer for int)');
        if (hp.sampling === 'log' && !(hp.step > 1)) bad('/step', 'with log sampling is a factor and must be > 1');
      }
    }
    if (hp.parent) {
      if (!seen.has(hp.parent.name)) bad('/parent/name', `"${hp.parent.name}" is not a hyperparameter declared before "${name}"`);
      if (!hp.parent.values.length) bad('/parent/values', 'lists no values');
    }
    seen.add(name);
  }
  if (!seen.size) issues.push({ pointer: '/search_space', message: 'declares no hyperparameters' });
  return issues;
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Whether hp is active given the values chosen so far (its parent's, and the parent's own activity). */
export function isActive(hp: Hyperparameter, values: HpValues): boolean {
  if (!hp.parent) return true;
  if (!Object.hasOwn(values, hp.parent.name)) return false;
  return hp.parent.values.some((v) => sameValue(v, values[hp.parent!.name]));
}

/** KerasTuner's number of values of a stepped range (linear: by adding step; log: by multiplying). */
function steppedCount(hp: IntHp | FloatHp): number {
  const step = hp.step ?? 1;
  if (hp.sampling === 'log') return Math.floor(Math.log(hp.max / hp.min) / Math.log(step) + 1e-9) + 1;
  return Math.floor((hp.max - hp.min) / step + 1e-9) + 1;
}

function steppedValue(hp: IntHp | FloatHp, index: number): number {
  const step = hp.step ?? 1;
  const v = hp.sampling === 'log' ? hp.min * step ** index : hp.min + index * step;
  return hp.type === 'int' ? Math.round(v) : v;
}

/** Every value a grid search tries, in KerasTuner's order; undefined for a continuous float. */
export function gridValues(hp: Hyperparameter): HpValue[] | undefined {
  if (hp.type === 'choice') return hp.values;
  if (hp.type === 'boolean') return [false, true];
  if (hp.type === 'float' && hp.step === undefined) return undefined;
  return Array.from({ length: steppedCount(hp) }, (_, i) => steppedValue(hp, i));
}

const indexOf = (prob: number, n: number) => Math.min(n - 1, Math.max(0, Math.floor(prob * n)));

/** KerasTuner's prob_to_value: the value at probability prob in [0, 1). */
export function fromUnit(hp: Hyperparameter, prob: number): HpValue {
  if (hp.type === 'choice') return hp.values[indexOf(prob, hp.values.length)];
  if (hp.type === 'boolean') return prob >= 0.5;
  if (hp.type === 'int' || hp.step !== undefined) return steppedValue(hp, indexOf(prob, steppedCount(hp)));
  return hp.sampling === 'log' ? hp.min * (hp.max / hp.min) ** prob : hp.min + prob * (hp.max - hp.min);
}

/** KerasTuner's value_to_prob: where value lies in [0, 1) (the middle of its bucket for discrete ones). */
export function toUnit(hp: Hyperparameter, value: HpValue): number {
  const bucket = (index: number, n: number) => (index + 0.5) / n;
  if (hp.type === 'choice') return bucket(Math.max(0, hp.values.findIndex((v) => sameValue(v, value))), hp.values.length);
  if (hp.type === 'boolean') return value ? 0.75 : 0.25;
  const v = Number(value);
  if (hp.type === 'int' || hp.step !== undefined) {
    const step = hp.step ?? 1;
    const index = hp.sampling === 'log' ? Math.round(Math.log(v / hp.min) / Math.log(step)) : Math.round((v - hp.min) / step);
    return bucket(index, steppedCount(hp));
  }
  return hp.sampling === 'log' ? Math.log(v / hp.min) / Math.log(hp.max / hp.min) : (v - hp.min) / (hp.max - hp.min);
}

/** mulberry32: the sweep's random stream, reproducible from its seed. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values for the active hyperparameters, each from `prob(name)`, in declaration order. */
export function valuesFrom(space: SearchSpace, prob: (name: string) => number): HpValues {
  const values: HpValues = {};
  for (const [name, hp] of Object.entries(space)) if (isActive(hp, values)) values[name] = fromUnit(hp, prob(name));
  return values;
}

/** A random point of the space (inactive hyperparameters left out). */
export const randomValues = (space: SearchSpace, random: () => number): HpValues => valuesFrom(space, () => random());

/**
 * The grid: every combination of the active hyperparameters' values, in KerasTuner's order (the
 * last declared varies fastest). A child appears only under the parent values that activate it.
 */
export function gridPoints(space: SearchSpace): HpValues[] {
  const names = Object.keys(space);
  const out: HpValues[] = [];
  const walk = (i: number, values: HpValues) => {
    if (i === names.length) {
      out.push({ ...values });
      return;
    }
    const hp = space[names[i]];
    if (!isActive(hp, values)) return walk(i + 1, values);
    for (const v of gridValues(hp)!) {
      values[names[i]] = v;
      walk(i + 1, values);
    }
    delete values[names[i]];
  };
  walk(0, {});
  return out;
}

/** A stable key of a point, to tell tried points apart. */
export const pointKey = (values: HpValues) => JSON.stringify(Object.keys(values).sort().map((k) => [k, values[k]]));

/** Where the base spec says {"$hp": name}: every such placeholder, by JSON pointer. */
export function placeholders(base: unknown): Array<{ pointer: string; name: unknown }> {
  const out: Array<{ pointer: string; name: unknown }> = [];
  const stack: Array<[unknown, string]> = [[base, '']];
  while (stack.length) {
    const [node, at] = stack.pop()!;
    if (!node || typeof node !== 'object') continue;
    if (!Array.isArray(node) && Object.keys(node).length === 1 && Object.hasOwn(node, '$hp')) {
      out.push({ pointer: at, name: (node as { $hp: unknown }).$hp });
      continue;
    }
    for (const [k, v] of Object.entries(node)) stack.push([v, `${at}/${k}`]);
  }
  return out;
}

/**
 * The base spec with each {"$hp": name} replaced by the trial's value. An inactive hyperparameter's
 * placeholder takes its first grid value (KerasTuner's default for a parameter out of scope).
 */
export function substitute(base: unknown, space: SearchSpace, values: HpValues): unknown {
  const valueOf = (name: string): HpValue => {
    if (Object.hasOwn(values, name)) return values[name];
    const hp = space[name];
    return gridValues(hp)?.[0] ?? (hp as FloatHp).min;
  };
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!node || typeof node !== 'object') return node;
    if (Object.keys(node).length === 1 && Object.hasOwn(node, '$hp')) return valueOf(String((node as { $hp: unknown }).$hp));
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
  };
  return walk(base);
}
