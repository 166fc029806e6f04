/**
 * The layer registry: every layer class the service knows, one registration line each. Adding a
 * layer is one module (see layer-def.ts for what it declares) and its line here.
 */
import { AdditiveAttention, Attention, MultiHeadAttention } from './attention.ts';
import { ELU, LeakyReLU, PReLU, ReLU, Softmax } from './activation-layers.ts';
import { Activation, Dropout } from './core.ts';
import { Conv1D, Conv2D } from './conv.ts';
import { Conv1DTranspose, Conv2DTranspose, DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D } from './conv-variants.ts';
import { Dense } from './dense.ts';
import { Embedding } from './embedding.ts';
import { Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract } from './merging.ts';
import { CenterCrop, Resizing } from './image.ts';
import { BatchNormalization, GroupNormalization, LayerNormalization, UnitNormalization } from './normalization.ts';
import { AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D } from './pooling.ts';
import { Normalization, Rescaling } from './preprocessing.ts';
import { Cropping1D, Cropping2D, Flatten, Permute, RepeatVector, Reshape, UpSampling1D, UpSampling2D, ZeroPadding1D, ZeroPadding2D } from './reshaping.ts';
import { GRU, LSTM, SimpleRNN } from './recurrent.ts';
import { ActivityRegularization, AlphaDropout, GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D } from './regularization.ts';
import { Bidirectional, makeTimeDistributed } from './wrappers.ts';
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
register(DepthwiseConv1D);
register(DepthwiseConv2D);
register(SeparableConv1D);
register(SeparableConv2D);
register(Conv1DTranspose);
register(Conv2DTranspose);
register(ZeroPadding1D);
register(ZeroPadding2D);
register(Cropping1D);
register(Cropping2D);
register(UpSampling1D);
register(UpSampling2D);
register(Permute);
register(RepeatVector);
register(ReLU);
register(LeakyReLU);
register(PReLU);
register(ELU);
register(Softmax);
register(Subtract);
register(Rescaling);
register(Normalization);
register(MultiHeadAttention);
register(Bidirectional);
register(SpatialDropout1D);
register(SpatialDropout2D);
register(GaussianNoise);
register(GaussianDropout);
register(AlphaDropout);
register(ActivityRegularization);
register(UnitNormalization);
register(GroupNormalization);
register(Dot);
register(CenterCrop);
register(Resizing);
register(Attention);
register(AdditiveAttention);
// The registry's own lookup: TimeDistributed wraps any registered layer of one input.
register(makeTimeDistributed(layerDef));

/** The class a name stands for (an alias or the class itself), or undefined. */
export function canonicalLayerClass(name: string): string {
  return Object.hasOwn(LAYER_ALIASES, name) ? LAYER_ALIASES[name] : name;
}

/** The registered layer of a class name or alias; own entries only ("constructor" finds nothing). */
export function layerDef(name: string): LayerDef | undefined {
  const cls = canonicalLayerClass(name);
  return Object.hasOwn(LAYERS, cls) ? LAYERS[cls] : undefined;
}
