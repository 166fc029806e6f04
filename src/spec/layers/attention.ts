/**
 * keras.layers.MultiHeadAttention, called as mha(query, value) or mha(query, value, key) on
 * (batch, steps, features) tensors: Keras's einsums written as matrix products; and Attention and
 * AdditiveAttention, called on [query, value] or [query, value, key].
 */
import type * as TF from '@tensorflow/tfjs';
import { REQUIRED, ShapeError, init, known, oneOf, positiveInt, useBias, type Cfg, type LayerDef, type Shape, type WeightSpec } from './layer-def.ts';

function dims(cfg: Cfg, inputs: Shape[]) {
  const [q, v, k = v] = inputs;
  const heads = positiveInt(cfg.num_heads, 'num_heads');
  const keyDim = positiveInt(cfg.key_dim, 'key_dim');
  const valueDim = cfg.value_dim === null || cfg.value_dim === undefined ? keyDim : positiveInt(cfg.value_dim, 'value_dim');
  const out = cfg.output_shape === null || cfg.output_shape === undefined ? known(q.at(-1), 'the query feature dimension') : positiveInt(Array.isArray(cfg.output_shape) && cfg.output_shape.length === 1 ? cfg.output_shape[0] : cfg.output_shape, 'output_shape');
  return { heads, keyDim, valueDim, out, dq: known(q.at(-1), 'the query features'), dv: known(v.at(-1), 'the value features'), dk: known(k.at(-1), 'the key features') };
}

function weights(cfg: Cfg, inputs: Shape[]): WeightSpec[] {
  const { heads, keyDim, valueDim, out, dq, dv, dk } = dims(cfg, inputs);
  const bias = useBias(cfg);
  const dense = (name: string, kernel: number[], b: number[]) => [{ name: `${name}/kernel`, shape: kernel, trainable: true }, ...(bias ? [{ name: `${name}/bias`, shape: b, trainable: true }] : [])];
  return [
    ...dense('query', [dq, heads, keyDim], [heads, keyDim]),
    ...dense('key', [dk, heads, keyDim], [heads, keyDim]),
    ...dense('value', [dv, heads, valueDim], [heads, valueDim]),
    ...dense('attention_output', [heads, valueDim, out], [out]),
  ];
}

export const MultiHeadAttention: LayerDef = {
  class_name: 'MultiHeadAttention',
  keras: {
    num_heads: REQUIRED, key_dim: REQUIRED, value_dim: null, dropout: 0.0, use_bias: true, use_gate: false, output_shape: null, attention_axes: [1], sliding_window: null,
    kernel_initializer: init('GlorotUniform'), bias_initializer: init('Zeros'), kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null,
    kernel_constraint: null, bias_constraint: null, seed: null,
  },
  build_config: true,
  buildShapeNames: ['query_shape', 'value_shape', 'key_shape'],
  honours: {
    num_heads: true, key_dim: true, value_dim: true, use_bias: true, output_shape: true, kernel_initializer: true, bias_initializer: true, kernel_regularizer: true, bias_regularizer: true,
    // Over the steps axis, which is what Keras's default (None) and [1] both mean for (batch, steps, features).
    attention_axes: oneOf(null, [1], 1),
  },
  arity: 'many',
  positionalInputs: true,
  outputShape(cfg, inputs) {
    if (inputs.length < 2 || inputs.length > 3) throw new ShapeError(`is called as (query, value) or (query, value, key), got ${inputs.length} tensors`);
    if (!inputs.every((s) => s.length === 2)) throw new ShapeError('query, value and key must be (batch, steps, features)');
    const [, v, k] = inputs;
    if (k && k[0] !== v[0]) throw new ShapeError('key and value must have the same number of steps');
    return [inputs[0][0], dims(cfg, inputs).out];
  },
  weights,
  graph: 'training',
  build(cfg, { tf, op, weightArgs, inputShapes }) {
    const inner = inputShapes.map((s) => s.slice(1));
    const specs = weights(cfg, inner);
    const w = weightArgs(cfg);
    const { heads, keyDim, valueDim, out } = dims(cfg, inner);
    const scale = 1 / Math.sqrt(keyDim);
    const bias = useBias(cfg);
    return op({
      weights: specs.map((s) => ({ name: s.name, shape: s.shape, initializer: s.name.endsWith('kernel') ? w.kernelInitializer : w.biasInitializer, regularizer: s.name.endsWith('kernel') ? w.kernelRegularizer : w.biasRegularizer })),
      call(inputs, vars) {
        const [query, value, key = value] = inputs;
        const at = (i: number) => vars[bias ? 2 * i : i];
        const biasAt = (i: number) => (bias ? vars[2 * i + 1] : undefined);
        // x (b, t, d) · kernel (d, heads, size) + bias → (b, heads, t, size)
        const project = (x: TF.Tensor, i: number, size: number) => {
          const [b, t, d] = x.shape as number[];
          let y = tf.matMul(tf.reshape(x, [b * t, d]), tf.reshape(at(i), [d, heads * size]));
          const bi = biasAt(i);
          if (bi) y = tf.add(y, tf.reshape(bi, [heads * size]));
          return tf.transpose(tf.reshape(y, [b, t, heads, size]), [0, 2, 1, 3]);
        };
        const q = tf.mul(project(query, 0, keyDim), scale);
        const k = project(key, 1, keyDim);
        const v = project(value, 2, valueDim);
        const scores = tf.softmax(tf.matMul(q, k, false, true));
        const context = tf.matMul(scores, v);
        const [b, , t] = context.shape as number[];
        const flat = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [b * t, heads * valueDim]);
        let y = tf.matMul(flat, tf.reshape(at(3), [heads * valueDim, out]));
        const bo = biasAt(3);
        if (bo) y = tf.add(y, bo);
        return tf.reshape(y, [b, t, out]);
      },
    });
  },
};

/** [query, value] or [query, value, key], each (batch, steps, features); the key scores against the query. */
function attentionShape(inputs: Shape[]): Shape {
  if (inputs.length < 2 || inputs.length > 3) throw new ShapeError(`is called on [query, value] or [query, value, key], got ${inputs.length} tensors`);
  if (!inputs.every((s) => s.length === 2)) throw new ShapeError('query, value and key must be (batch, steps, features)');
  const [q, v, k = v] = inputs;
  if (k[0] !== v[0]) throw new ShapeError('key and value must have the same number of steps');
  if (q[1] !== k[1]) throw new ShapeError(`query and key must have the same features, got ${q[1]} and ${k[1]}`);
  return [q[0], v[1]];
}

/**
 * Keras's Attention and AdditiveAttention: softmax(scores(query, key)) · value. Their call's
 * use_causal_mask and return_attention_scores are keyword arguments the spec cannot carry (refused
 * on import), and masks are refused; dropout (on the attention weights, in training) is default-only.
 */
function attentionLayer(class_name: string, keras: Cfg, honours: LayerDef['honours'], weights: (cfg: Cfg, inputs: Shape[]) => WeightSpec[], initializer: string, scores: (tf: typeof TF, cfg: Cfg, q: TF.Tensor, k: TF.Tensor, vars: TF.Tensor[]) => TF.Tensor): LayerDef {
  return {
    class_name,
    keras,
    build_config: true,
    honours,
    arity: 'many',
    outputShape: (_cfg, inputs) => attentionShape(inputs),
    weights,
    graph: 'training',
    build(cfg, { tf, op, weightArgs, inputShapes }) {
      const init = weightArgs({ scale_initializer: { class_name: initializer, config: {} } }).scaleInitializer;
      const specs = weights(cfg, inputShapes.map((s) => s.slice(1)));
      return op({
        weights: specs.map((s) => ({ name: s.name, shape: s.shape, initializer: s.name === 'scale' ? init : 'ones' })),
        call([query, value, key = value], vars) {
          return tf.matMul(tf.softmax(scores(tf, cfg, query, key, vars)), value);
        },
      });
    },
  };
}

/** query (b, Tq, d) and key (b, Tv, d) → (b, Tq, Tv, d): every query step beside every key step. */
const pairs = (tf: typeof TF, q: TF.Tensor, k: TF.Tensor) => tf.add(tf.expandDims(q, -2), tf.expandDims(k, -3));

const ATTENTION_DEFAULTS = { dropout: 0.0, seed: null };

export const Attention = attentionLayer(
  'Attention',
  { use_scale: false, score_mode: 'dot', ...ATTENTION_DEFAULTS },
  { use_scale: true, score_mode: oneOf('dot', 'concat') },
  (cfg) => [
    ...(cfg.use_scale ? [{ name: 'scale', shape: [], trainable: true }] : []),
    ...(cfg.score_mode === 'concat' ? [{ name: 'concat_score_weight', shape: [], trainable: true }] : []),
  ],
  'Ones',
  (tf, cfg, q, k, vars) => {
    const scale = cfg.use_scale ? vars[0] : undefined;
    if (cfg.score_mode !== 'concat') {
      const s = tf.matMul(q, k, false, true);
      return scale ? tf.mul(s, scale) : s;
    }
    const sum = pairs(tf, q, k);
    return tf.mul(vars.at(-1)!, tf.sum(tf.tanh(scale ? tf.mul(scale, sum) : sum), -1));
  },
);

export const AdditiveAttention = attentionLayer(
  'AdditiveAttention',
  { use_scale: true, ...ATTENTION_DEFAULTS },
  { use_scale: true },
  (cfg, inputs) => (cfg.use_scale !== false ? [{ name: 'scale', shape: [known(inputs[0].at(-1), 'the query features')], trainable: true }] : []),
  'GlorotUniform',
  (tf, cfg, q, k, vars) => {
    const t = tf.tanh(pairs(tf, q, k));
    return tf.sum(cfg.use_scale !== false ? tf.mul(vars[0], t) : t, -1);
  },
);
