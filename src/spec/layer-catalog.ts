/**
 * What the service knows about each Keras layer without loading TensorFlow: accepted config keys,
 * Keras defaults, output shape and parameter count. The API checks graphs with it at submit time;
 * the engine builds the same layers with tfjs.
 */
export type Shape = Array<number | null>;

export interface LayerInfo {
  /** Config keys accepted besides the common ones (name, trainable, dtype). */
  keys: string[];
  /** Keys without a Keras default. */
  required?: string[];
  /** Number of inbound tensors: exact count, or 'many' (two or more). */
  arity: 1 | 'many';
  outputShape(cfg: Record<string, any>, inputs: Shape[]): Shape;
  /** [trainable, non-trainable] parameter counts. */
  params?(cfg: Record<string, any>, inputs: Shape[]): [number, number];
}

export class ShapeError extends Error {
  constructor(message: string, readonly key?: string) {
    super(message);
  }
}

const COMMON_KEYS = ['name', 'trainable', 'dtype'];
// activity_regularizer and constraints are not implemented, so they are not accepted either.
const INIT_KEYS = ['kernel_initializer', 'bias_initializer', 'kernel_regularizer', 'bias_regularizer'];

function tuple(value: unknown, n: number, key: string, fallback?: number[]): number[] {
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

function positiveInt(value: unknown, key: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new ShapeError(`${key} must be a positive integer`, key);
  return value as number;
}

function padding(value: unknown, allowed: string[]): string {
  const p = value ?? 'valid';
  if (typeof p !== 'string' || !allowed.includes(p)) throw new ShapeError(`padding must be one of ${allowed.join(', ')}`, 'padding');
  return p;
}

function rank(inputs: Shape[], r: number, what: string): Shape {
  const s = inputs[0];
  if (s.length !== r) throw new ShapeError(`expects input of rank ${r + 1} ${what}, got shape (None, ${s.map(String).join(', ')})`);
  return s;
}

function known(dim: number | null, what: string): number {
  if (dim === null) throw new ShapeError(`${what} must be known (not None)`);
  return dim;
}

/** Keras conv_output_length. */
function convLength(len: number | null, k: number, pad: string, stride: number, dilation = 1): number | null {
  if (len === null) return null;
  const dilated = (k - 1) * dilation + 1;
  const out = pad === 'valid' ? len - dilated + 1 : len;
  if (out <= 0) throw new ShapeError(`input dimension ${len} is smaller than the kernel/pool size ${dilated}`);
  return Math.floor((out + stride - 1) / stride);
}

function poolLength(len: number | null, pool: number, pad: string, stride: number): number | null {
  if (len === null) return null;
  if (pad === 'same') return Math.floor((len + stride - 1) / stride);
  if (len < pool) throw new ShapeError(`input dimension ${len} is smaller than pool_size ${pool}`);
  return Math.floor((len - pool) / stride) + 1;
}

const useBias = (cfg: Record<string, any>) => cfg.use_bias !== false;

function conv(dims: 1 | 2): LayerInfo {
  return {
    keys: ['filters', 'kernel_size', 'strides', 'padding', 'dilation_rate', 'activation', 'use_bias', 'data_format', 'groups', ...INIT_KEYS],
    required: ['filters', 'kernel_size'],
    arity: 1,
    outputShape(cfg, inputs) {
      const s = rank(inputs, dims + 1, dims === 1 ? '(batch, steps, channels)' : '(batch, height, width, channels)');
      if (cfg.data_format && cfg.data_format !== 'channels_last') throw new ShapeError('only data_format "channels_last" is supported', 'data_format');
      const filters = positiveInt(cfg.filters, 'filters');
      const k = tuple(cfg.kernel_size, dims, 'kernel_size');
      const st = tuple(cfg.strides, dims, 'strides', Array(dims).fill(1));
      const dl = tuple(cfg.dilation_rate, dims, 'dilation_rate', Array(dims).fill(1));
      const pad = padding(cfg.padding, dims === 1 ? ['valid', 'same', 'causal'] : ['valid', 'same']);
      known(s[dims], 'the channel dimension');
      return [...k.map((kk, i) => convLength(s[i], kk, pad, st[i], dl[i])), filters];
    },
    params(cfg, inputs) {
      const inCh = inputs[0][dims] as number;
      const k = tuple(cfg.kernel_size, dims, 'kernel_size').reduce((a, b) => a * b, 1);
      return [k * inCh * cfg.filters + (useBias(cfg) ? cfg.filters : 0), 0];
    },
  };
}

function pool(dims: 1 | 2): LayerInfo {
  return {
    keys: ['pool_size', 'strides', 'padding', 'data_format'],
    arity: 1,
    outputShape(cfg, inputs) {
      const s = rank(inputs, dims + 1, dims === 1 ? '(batch, steps, channels)' : '(batch, height, width, channels)');
      const p = tuple(cfg.pool_size, dims, 'pool_size', Array(dims).fill(2));
      const st = tuple(cfg.strides, dims, 'strides', p);
      const pad = padding(cfg.padding, ['valid', 'same']);
      return [...p.map((pp, i) => poolLength(s[i], pp, pad, st[i])), s[dims]];
    },
  };
}

function globalPool(dims: 1 | 2): LayerInfo {
  return {
    keys: ['data_format', 'keepdims'],
    arity: 1,
    outputShape(cfg, inputs) {
      const s = rank(inputs, dims + 1, dims === 1 ? '(batch, steps, channels)' : '(batch, height, width, channels)');
      return cfg.keepdims ? [...Array(dims).fill(1), s[dims]] : [s[dims]];
    },
  };
}

function identity(keys: string[], required: string[] = []): LayerInfo {
  return { keys, required, arity: 1, outputShape: (_cfg, inputs) => inputs[0] };
}

function elementwise(): LayerInfo {
  return {
    keys: [],
    arity: 'many',
    outputShape(_cfg, inputs) {
      const first = JSON.stringify(inputs[0]);
      if (!inputs.every((s) => JSON.stringify(s) === first)) {
        throw new ShapeError(`inputs must all have the same shape, got ${inputs.map((s) => `(None, ${s.join(', ')})`).join(' and ')}`);
      }
      return inputs[0];
    },
  };
}

function recurrent(gates: number, biasPerGate: (cfg: Record<string, any>) => number): LayerInfo {
  return {
    keys: ['units', 'activation', 'recurrent_activation', 'use_bias', 'return_sequences', 'return_state', 'go_backwards', 'stateful', 'unroll', 'dropout', 'recurrent_dropout', 'reset_after', 'unit_forget_bias', 'recurrent_initializer', 'recurrent_regularizer', ...INIT_KEYS],
    required: ['units'],
    arity: 1,
    outputShape(cfg, inputs) {
      const s = rank(inputs, 2, '(batch, timesteps, features)');
      known(s[1], 'the feature dimension');
      const units = positiveInt(cfg.units, 'units');
      if (cfg.return_state) throw new ShapeError('return_state is not supported', 'return_state');
      return cfg.return_sequences ? [s[0], units] : [units];
    },
    params(cfg, inputs) {
      const f = inputs[0][1] as number;
      const u = cfg.units as number;
      return [gates * (f * u + u * u) + (useBias(cfg) ? biasPerGate(cfg) * gates * u : 0), 0];
    },
  };
}

export const LAYERS: Record<string, LayerInfo> = {
  Dense: {
    keys: ['units', 'activation', 'use_bias', ...INIT_KEYS],
    required: ['units'],
    arity: 1,
    outputShape(cfg, inputs) {
      const s = inputs[0];
      if (s.length < 1) throw new ShapeError('expects an input of rank >= 2');
      known(s[s.length - 1], 'the last input dimension');
      return [...s.slice(0, -1), positiveInt(cfg.units, 'units')];
    },
    params: (cfg, inputs) => [(inputs[0].at(-1) as number) * cfg.units + (useBias(cfg) ? cfg.units : 0), 0],
  },
  Conv1D: conv(1),
  Conv2D: conv(2),
  MaxPooling1D: pool(1),
  MaxPooling2D: pool(2),
  AveragePooling1D: pool(1),
  AveragePooling2D: pool(2),
  GlobalMaxPooling1D: globalPool(1),
  GlobalMaxPooling2D: globalPool(2),
  GlobalAveragePooling1D: globalPool(1),
  GlobalAveragePooling2D: globalPool(2),
  Flatten: {
    keys: ['data_format'],
    arity: 1,
    outputShape(_cfg, inputs) {
      return [inputs[0].reduce<number>((a, d) => a * known(d, 'every dimension of a Flatten input'), 1)];
    },
  },
  Reshape: {
    keys: ['target_shape'],
    required: ['target_shape'],
    arity: 1,
    outputShape(cfg, inputs) {
      const target = cfg.target_shape;
      if (!Array.isArray(target) || !target.every((d) => Number.isInteger(d) && (d > 0 || d === -1)) || target.filter((d) => d === -1).length > 1) {
        throw new ShapeError('target_shape must be a list of positive integers with at most one -1', 'target_shape');
      }
      const total = inputs[0].reduce<number>((a, d) => a * known(d, 'every dimension of a Reshape input'), 1);
      const fixed = target.filter((d: number) => d !== -1).reduce((a: number, b: number) => a * b, 1);
      const out = target.map((d: number) => (d === -1 ? total / fixed : d));
      if (out.reduce((a: number, b: number) => a * b, 1) !== total || !out.every(Number.isInteger)) {
        throw new ShapeError(`cannot reshape ${total} values into target_shape ${JSON.stringify(target)}`, 'target_shape');
      }
      return out;
    },
  },
  Dropout: identity(['rate', 'noise_shape', 'seed'], ['rate']),
  Activation: identity(['activation'], ['activation']),
  BatchNormalization: {
    ...identity(['axis', 'momentum', 'epsilon', 'center', 'scale', 'beta_initializer', 'gamma_initializer', 'moving_mean_initializer', 'moving_variance_initializer', 'beta_regularizer', 'gamma_regularizer']),
    params(cfg, inputs) {
      const c = known(inputs[0].at(-1) ?? null, 'the feature dimension');
      return [((cfg.center !== false ? 1 : 0) + (cfg.scale !== false ? 1 : 0)) * c, 2 * c];
    },
  },
  LayerNormalization: {
    ...identity(['axis', 'epsilon', 'center', 'scale', 'beta_initializer', 'gamma_initializer', 'beta_regularizer', 'gamma_regularizer']),
    params(cfg, inputs) {
      const c = known(inputs[0].at(-1) ?? null, 'the feature dimension');
      return [((cfg.center !== false ? 1 : 0) + (cfg.scale !== false ? 1 : 0)) * c, 0];
    },
  },
  Concatenate: {
    keys: ['axis'],
    arity: 'many',
    outputShape(cfg, inputs) {
      const r = inputs[0].length;
      if (!inputs.every((s) => s.length === r)) throw new ShapeError('inputs must all have the same rank');
      const axisRaw = cfg.axis ?? -1;
      if (!Number.isInteger(axisRaw)) throw new ShapeError('axis must be an integer', 'axis');
      const axis = axisRaw < 0 ? r + axisRaw : axisRaw - 1; // Keras axis counts the batch dimension
      if (axis < 0 || axis >= r) throw new ShapeError(`axis ${axisRaw} is out of range for inputs of rank ${r + 1}`, 'axis');
      for (let d = 0; d < r; d++) {
        if (d === axis) continue;
        const dims = new Set(inputs.map((s) => s[d]));
        if (dims.size > 1) throw new ShapeError(`inputs differ in dimension ${d + 1} outside the concatenation axis: ${inputs.map((s) => `(None, ${s.join(', ')})`).join(' and ')}`);
      }
      const out = [...inputs[0]];
      out[axis] = inputs.some((s) => s[axis] === null) ? null : inputs.reduce((a, s) => a + (s[axis] as number), 0);
      return out;
    },
  },
  Add: elementwise(),
  Multiply: elementwise(),
  Average: elementwise(),
  Maximum: elementwise(),
  Minimum: elementwise(),
  Embedding: {
    keys: ['input_dim', 'output_dim', 'embeddings_initializer', 'embeddings_regularizer', 'mask_zero', 'input_length'],
    required: ['input_dim', 'output_dim'],
    arity: 1,
    outputShape: (cfg, inputs) => [...inputs[0], positiveInt(cfg.output_dim, 'output_dim')],
    params: (cfg) => [positiveInt(cfg.input_dim, 'input_dim') * cfg.output_dim, 0],
  },
  SimpleRNN: recurrent(1, () => 1),
  LSTM: recurrent(4, () => 1),
  // Keras 3 GRU defaults to reset_after=True: two bias vectors per gate.
  GRU: recurrent(3, (cfg) => (cfg.reset_after === false ? 1 : 2)),
};

/** Keras's snake_case function names for layers that users may also write. */
export const LAYER_ALIASES: Record<string, string> = {
  Convolution1D: 'Conv1D',
  Convolution2D: 'Conv2D',
  MaxPool1D: 'MaxPooling1D',
  MaxPool2D: 'MaxPooling2D',
  AvgPool1D: 'AveragePooling1D',
  AvgPool2D: 'AveragePooling2D',
  GlobalMaxPool1D: 'GlobalMaxPooling1D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D',
  GlobalAvgPool1D: 'GlobalAveragePooling1D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
  concatenate: 'Concatenate',
  add: 'Add',
  multiply: 'Multiply',
};

/** Keras activation names the engine has. */
export const ACTIVATIONS = ['linear', 'relu', 'relu6', 'sigmoid', 'softmax', 'tanh', 'elu', 'selu', 'softplus', 'softsign', 'swish', 'silu', 'hard_sigmoid', 'gelu', 'mish'];

/** Keras initializer names (snake_case strings; class names for {class_name, config}). */
export const INITIALIZERS: Record<string, string> = {
  constant: 'Constant', glorot_normal: 'GlorotNormal', glorot_uniform: 'GlorotUniform', he_normal: 'HeNormal', he_uniform: 'HeUniform',
  identity: 'Identity', lecun_normal: 'LeCunNormal', lecun_uniform: 'LeCunUniform', ones: 'Ones', orthogonal: 'Orthogonal',
  random_normal: 'RandomNormal', random_uniform: 'RandomUniform', truncated_normal: 'TruncatedNormal', variance_scaling: 'VarianceScaling', zeros: 'Zeros',
};

export const REGULARIZERS = ['l1', 'l2', 'l1_l2', 'L1', 'L2', 'L1L2'];

/** Checks activation, initializer and regularizer values; returns [key, problem] or undefined. */
export function checkNamedOptions(cfg: Record<string, any>): [string, string] | undefined {
  const nameOf = (v: unknown) => (typeof v === 'string' ? v : (v as { class_name?: unknown } | null)?.class_name);
  for (const [key, value] of Object.entries(cfg)) {
    if (value === null || value === undefined) continue;
    const name = nameOf(value);
    if (key === 'activation' || key === 'recurrent_activation') {
      if (typeof name !== 'string' || !ACTIVATIONS.includes(name)) return [key, `unknown activation ${JSON.stringify(value)}; supported: ${ACTIVATIONS.join(', ')}`];
    } else if (key.endsWith('_initializer')) {
      const classes = Object.values(INITIALIZERS);
      if (typeof name !== 'string' || !(Object.hasOwn(INITIALIZERS, name) || classes.includes(name))) return [key, `unknown initializer ${JSON.stringify(value)}; supported: ${Object.keys(INITIALIZERS).join(', ')}`];
    } else if (key.endsWith('_regularizer')) {
      if (typeof name !== 'string' || !REGULARIZERS.includes(name)) return [key, `unknown regularizer ${JSON.stringify(value)}; supported: ${REGULARIZERS.join(', ')}`];
    }
  }
  return undefined;
}

export function layerKeysAllowed(info: LayerInfo): Set<string> {
  return new Set([...COMMON_KEYS, ...info.keys]);
}
