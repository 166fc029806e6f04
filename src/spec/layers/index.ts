/**
 * The layer registry: every layer class the service knows, one registration line each. Adding a
 * layer is one module (see layer-def.ts for what it declares) and its line here.
 */
import { Activation, Dropout } from './core.ts';
import { Conv1D, Conv2D } from './conv.ts';
import { Dense } from './dense.ts';
import { Embedding } from './embedding.ts';
import { Add, Average, Concatenate, Maximum, Minimum, Multiply } from './merging.ts';
import { BatchNormalization, LayerNormalization } from './normalization.ts';
import { AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D } from './pooling.ts';
import { Flatten, Reshape } from './reshaping.ts';
import { GRU, LSTM, SimpleRNN } from './recurrent.ts';
import type { LayerDef } from './layer-def.ts';

export * from './layer-def.ts';
export { acceptedKeys, declaredOptionProblem, layerConfigProblem, layerOptionProblem, sameValue, type DeclaredOptions } from './options.ts';

export const LAYERS: Record<string, LayerDef> = {};
/** Other names users write → the class name. */
export const LAYER_ALIASES: Record<string, string> = {};

function register(def: LayerDef): void {
  LAYERS[def.class_name] = def;
  for (const alias of def.aliases ?? []) LAYER_ALIASES[alias] = def.class_name;
}

register(Dense);
register(Conv1D);
register(Conv2D);
register(MaxPooling1D);
register(MaxPooling2D);
register(AveragePooling1D);
register(AveragePooling2D);
register(GlobalMaxPooling1D);
register(GlobalMaxPooling2D);
register(GlobalAveragePooling1D);
register(GlobalAveragePooling2D);
register(Flatten);
register(Reshape);
register(Dropout);
register(Activation);
register(BatchNormalization);
register(LayerNormalization);
register(Concatenate);
register(Add);
register(Multiply);
register(Average);
register(Maximum);
register(Minimum);
register(Embedding);
register(SimpleRNN);
register(LSTM);
register(GRU);

/** The class a name stands for (an alias or the class itself), or undefined. */
export function canonicalLayerClass(name: string): string {
  return Object.hasOwn(LAYER_ALIASES, name) ? LAYER_ALIASES[name] : name;
}

/** The registered layer of a class name or alias; own entries only ("constructor" finds nothing). */
export function layerDef(name: string): LayerDef | undefined {
  const cls = canonicalLayerClass(name);
  return Object.hasOwn(LAYERS, cls) ? LAYERS[cls] : undefined;
}
