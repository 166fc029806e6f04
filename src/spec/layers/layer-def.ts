/**
 * What one Keras layer is to this service, declared once: its Keras 3 config keys and defaults,
 * which options the engine carries out (every other key is accepted only at Keras's default),
 * output shape, weights in Keras order, whether the graph step can hold it, and how the engine
 * builds it. Spec checks, the Keras import and export, the trainer and the OpenAPI text read it.
 *
 * The module loads no TensorFlow: `build` receives the tfjs namespace and the engine's helpers
 * from the engine (src/engine/layers.ts), so the API validates specs without loading it.
 */
import type * as TF from '@tensorflow/tfjs';

export type Cfg = Record<string, any>;
export type Shape = Array<number | null>;

/** Marks a Keras config key without a default (units, filters, ...). */
export const REQUIRED = undefined;

export class ShapeError extends Error {
  constructor(message: string, readonly key?: string) {
    super(message);
  }
}

/** One variable a layer creates, as Keras 3 names it; `cell` for recurrent layers' cell scope. */
export interface WeightSpec {
  name: string;
  shape: number[];
  trainable: boolean;
  cell?: string;
}

/**
 * How the engine treats an option: `true` carries out every value the key's type allows; a
 * function returns why a value is not carried out (refused at submit), or undefined.
 */
export type OptionRule = true | ((value: any, cfg: Cfg) => string | undefined);

/** What the engine hands a layer's builder: tfjs and the shared translation of Keras options. */
export interface BuildContext {
  tf: typeof TF;
  /** name and trainable, for every tfjs layer constructor. */
  common: Cfg;
  /** The input shape with the batch dimension, as the symbolic model sees it. */
  inputShape: Shape;
  /** A Keras activation name → the tfjs activation identifier the engine registered for it. */
  activation(value: unknown, fallback?: string): any;
  /** Keras initializer and regularizer options → tfjs's camelCase constructor args. */
  weightArgs(cfg: Cfg): any;
  /** The listed Keras keys that are present, renamed to tfjs's camelCase. */
  pick(cfg: Cfg, keys: string[]): any;
  /** The input shapes of every inbound tensor, with the batch dimension. */
  inputShapes: Shape[];
  /**
   * A constant the op layer's call uses (per-channel scales, resize weights): made on first use,
   * kept for the layer's life and disposed with it, rather than uploaded again every batch.
   */
  constant(make: () => TF.Tensor): () => TF.Tensor;
  /** A layer of the engine's own: the call over its inputs and variables (see OpLayerArgs). */
  op(args: Omit<OpLayerArgs, 'outputShape'> & Partial<Pick<OpLayerArgs, 'outputShape'>>): TF.layers.Layer;
  /** A registered layer built from its class and config (a wrapper's inner layer), for an input of inputShape. */
  part(layer: { class_name: string; config: Cfg; name: string }, inputShape: Shape): TF.layers.Layer;
  /** A layer made of parts (see part): their weights in order, and a call over them. */
  composite(parts: TF.layers.Layer[], partShapes: Shape[], call: (inputs: TF.Tensor[], kwargs: Cfg) => TF.Tensor | TF.Tensor[]): TF.layers.Layer;
  /** The engine's own layers where tfjs lacks Keras's behaviour. */
  custom: {
    KerasGRU: new (args: any) => TF.layers.Layer;
    /**
     * A dropout mask of `shape`: 0 with probability `rate`, else 1 / (1 - rate), drawn by
     * TensorFlow's generator where it can (a graph node that draws anew every run).
     */
    dropoutMask(shape: number[], rate: number): TF.Tensor;
    /**
     * Uniform [0, 1) or standard normal draws of `shape` for a noise layer's training pass, from
     * TensorFlow's generator where it can (a graph node that draws anew every run), else tfjs's.
     */
    random(kind: 'uniform' | 'normal', shape: number[]): TF.Tensor;
    /** params[indices] (an Embedding's lookup) as one graph-traceable kernel, or undefined. */
    gather(params: TF.Tensor, indices: TF.Tensor): TF.Tensor | undefined;
  };
}

/** A layer of the engine's own (engine/op-layer.ts): variables in Keras order and a call over them. */
export interface OpLayerArgs {
  weights?: Array<{ name: string; shape: number[]; trainable?: boolean; initializer?: unknown; regularizer?: unknown }>;
  /** inputs: every inbound tensor; weights: the variables' values, in the order above. */
  call(inputs: TF.Tensor[], weights: TF.Tensor[], kwargs: Cfg): TF.Tensor | TF.Tensor[];
  /** Output shape(s) with the batch dimension; by default the LayerDef's outputShape/outputs. */
  outputShape(inputs: Shape[]): Shape | Shape[];
}

export type GraphSupport = 'training' | 'inference';

export interface LayerDef {
  class_name: string;
  /** Other names Keras users write (Convolution2D, MaxPool2D, ...). */
  aliases?: string[];
  /** get_config() of a fresh Keras 3 layer after name, trainable and dtype, in Keras's key order. */
  keras: Cfg;
  /** Our defaults of keys Keras 3 has none for (AveragePooling's pool_size). */
  defaults?: Cfg;
  /** Keys Keras 3 still takes and ignores (deprecated shape hints): accepted, never exported. */
  ignored?: string[];
  /** Its get_config() holds name and dtype (as a string) but no trainable: SpatialDropout's own, whose constructor takes no trainable. */
  bareConfig?: boolean;
  /** Keras records build_config {input_shape} for this layer. */
  build_config: boolean;
  /** The call() defaults Keras records as an inbound node's kwargs. */
  call_kwargs?: Cfg;
  /** The options the engine carries out; see OptionRule. Keys of `keras` not here: Keras's default only. */
  honours: Record<string, OptionRule>;
  /** Inbound tensors: exactly one, or two or more. */
  arity: 1 | 'many';
  /** Keras calls it with one tensor per positional argument (mha(query, value)), not one list. */
  positionalInputs?: boolean;
  /** Its build_config names each input's shape (shapes_dict) instead of one input_shape. */
  buildShapeNames?: string[];
  /** Output shape without the batch dimension, from the input shapes without it. */
  outputShape(cfg: Cfg, inputs: Shape[]): Shape;
  /** Every output of a layer with several (an RNN's return_state): [output, ...states]. */
  outputs?(cfg: Cfg, inputs: Shape[]): Shape[];
  /**
   * Call keyword arguments that take tensors (initial_state), each checked against the tensors'
   * shapes: the problem, or undefined. Other keyword arguments are refused.
   */
  callArgs?: Record<string, (cfg: Cfg, inputs: Shape[], tensors: Shape[]) => string | undefined>;
  /**
   * The L1/L2 activity regularizer Keras applies to the layer's output (ActivityRegularization):
   * the penalty of each batch's output, over the batch size, joins the loss in training and evaluation.
   */
  activityRegularizer?(cfg: Cfg): { l1: number; l2: number } | undefined;
  /** Variables in get_weights() order; parameter counts are their sizes. */
  weights?(cfg: Cfg, inputs: Shape[]): WeightSpec[];
  /**
   * Keras masks (Embedding mask_zero): 'makes' one, 'passes' it on unchanged to output 0, or
   * 'consumes' it (an RNN's masked steps keep their state; pooling averages the real steps).
   * Layers without it refuse a masked input, rather than compute as if there were no mask.
   */
  mask?(cfg: Cfg): 'makes' | 'passes' | 'consumes' | undefined;
  /** The layer's call computes with a mask it is given (kwargs.mask): RNNs, masked pooling. */
  takesMask?: boolean;
  /**
   * Which forward passes the graph step can trace: 'training' (also inference) when the layer is a
   * pure function of inputs and weights; 'inference' when training draws random numbers on the host.
   * A wrapper's depends on the layer it wraps.
   */
  graph: GraphSupport | ((cfg: Cfg) => GraphSupport);
  build(cfg: Cfg, ctx: BuildContext): TF.layers.Layer;
}

// ----------------------------------------------------------------------------- shape helpers

export function tuple(value: unknown, n: number, key: string, fallback?: number[]): number[] {
  if (value === undefined || value === null) {
    if (fallback) return fallback;
    throw new ShapeError(`${key} is required`, key);
  }
  const list = typeof value === 'number' ? Array(n).fill(value) : value;
  if (!Array.isArray(list) || list.length !== n || !list.every((v) => Number.isInteger(v) && v > 0)) {
    throw new ShapeError(`${key} must be a positive integer or a list of ${n} positive integers`, key);
  }
  return list as number[];
}

export function positiveInt(value: unknown, key: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new ShapeError(`${key} must be a positive integer`, key);
  return value as number;
}

export function padding(value: unknown, allowed: string[]): string {
  const p = value ?? 'valid';
  if (typeof p !== 'string' || !allowed.includes(p)) throw new ShapeError(`padding must be one of ${allowed.join(', ')}`, 'padding');
  return p;
}

export function rank(inputs: Shape[], r: number, what: string): Shape {
  const s = inputs[0];
  if (s.length !== r) throw new ShapeError(`expects input of rank ${r + 1} ${what}, got shape (None, ${s.map(String).join(', ')})`);
  return s;
}

export function known(dim: number | null | undefined, what: string): number {
  if (dim === null || dim === undefined) throw new ShapeError(`${what} must be known (not None)`);
  return dim;
}

/** keras.src.utils.naming.to_snake_case: "BatchNormalization" → "batch_normalization", "Conv2D" → "conv2d". */
export function kerasSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

export const useBias = (cfg: Cfg) => cfg.use_bias !== false;

/** The initializer object Keras writes for a class at its defaults (configs filled by the export). */
export const init = (class_name: string): { class_name: string; config: Cfg } => ({ class_name, config: {} });

// ----------------------------------------------------------------------------- option rules

const show = (v: unknown) => JSON.stringify(v);

/** Only these values are carried out. */
export const oneOf =
  (...values: unknown[]): OptionRule =>
  (v) =>
    values.some((x) => JSON.stringify(x) === JSON.stringify(v)) ? undefined : `only ${values.map(show).join(' or ')} ${values.length > 1 ? 'are' : 'is'} supported`;

export const CHANNELS_LAST_ONLY: OptionRule = (v) =>
  v === null || v === 'channels_last' ? undefined : 'only "channels_last" is supported (TensorFlow\'s CPU kernels need channels-last data)';

/** The dtype every layer computes in: float32 only (a dtype policy object naming float32 counts). */
export function dtypeProblem(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const name = typeof value === 'string' ? value : (value as { config?: { name?: unknown } })?.config?.name;
  return name === 'float32' ? undefined : `dtype ${show(value)} is not supported; the service computes in float32`;
}
