/** keras.layers.SimpleRNN, LSTM and GRU. */
import type * as TF from '@tensorflow/tfjs';
import { REQUIRED, init, known, positiveInt, rank, useBias, type BuildContext, type Cfg, type LayerDef } from './layer-def.ts';

type Kind = 'SimpleRNN' | 'LSTM' | 'GRU';

const GATES: Record<Kind, number> = { SimpleRNN: 1, LSTM: 4, GRU: 3 };
const STATES: Record<Kind, number> = { SimpleRNN: 1, LSTM: 2, GRU: 1 };
const CELL: Record<Kind, string> = { SimpleRNN: 'simple_rnn_cell', LSTM: 'lstm_cell', GRU: 'gru_cell' };

function recurrent(kind: Kind, build: LayerDef['build']): LayerDef {
  const gated = kind !== 'SimpleRNN';
  return {
    class_name: kind,
    keras: {
      return_sequences: false, return_state: false, go_backwards: false, stateful: false, unroll: false, zero_output_for_mask: false,
      units: REQUIRED, activation: 'tanh', ...(gated ? { recurrent_activation: 'sigmoid' } : {}), use_bias: true,
      kernel_initializer: init('GlorotUniform'), recurrent_initializer: { class_name: 'Orthogonal', config: { seed: null, gain: 1.0 } }, bias_initializer: init('Zeros'),
      ...(kind === 'LSTM' ? { unit_forget_bias: true } : {}),
      kernel_regularizer: null, recurrent_regularizer: null, bias_regularizer: null, activity_regularizer: null,
      kernel_constraint: null, recurrent_constraint: null, bias_constraint: null, dropout: 0.0, recurrent_dropout: 0.0,
      ...(kind === 'GRU' ? { reset_after: true } : {}),
      ...(gated ? { seed: null } : {}),
    },
    build_config: true,
    call_kwargs: { training: false, mask: null },
    honours: {
      units: true, return_state: true, activation: true, ...(gated ? { recurrent_activation: true } : {}), use_bias: true, return_sequences: true, go_backwards: true,
      // Unrolling is how the loop is run, not what it computes (and the graph step unrolls anyway).
      unroll: true,
      // Keras 3's cells draw one input mask per sequence and apply it at every step: the same as
      // masking the whole sequence once, which is how it is computed here (see withInputDropout).
      dropout: (v) => (typeof v === 'number' && v >= 0 && v < 1 ? undefined : 'must be in [0, 1)'),
      kernel_initializer: true, recurrent_initializer: true, bias_initializer: true, kernel_regularizer: true, recurrent_regularizer: true, bias_regularizer: true,
      ...(kind === 'LSTM' ? { unit_forget_bias: true } : {}),
      ...(kind === 'GRU' ? { reset_after: true } : {}),
      // Read only by dropout, which is default-only: nothing else depends on it. (zero_output_for_mask
      // is default-only: with a mask, Keras's True would zero the masked steps' outputs.)
      ...(gated ? { seed: true } : {}),
    },
    arity: 1,
    outputShape(cfg, inputs) {
      const s = rank(inputs, 2, '(batch, timesteps, features)');
      known(s[1], 'the feature dimension');
      const units = positiveInt(cfg.units, 'units');
      return cfg.return_sequences ? [s[0], units] : [units];
    },
    // return_state: the output, then the final states (h, and c for an LSTM).
    outputs(cfg, inputs) {
      const out = this.outputShape(cfg, inputs);
      return cfg.return_state ? [out, ...Array(STATES[kind]).fill([cfg.units])] : [out];
    },
    callArgs: {
      initial_state(cfg, _inputs, tensors) {
        const want = STATES[kind];
        if (tensors.length !== want) return `${kind} takes ${want} initial state tensor${want > 1 ? 's' : ''} (${kind === 'LSTM' ? '[h, c]' : '[h]'}), got ${tensors.length}`;
        const bad = tensors.find((t) => t.length !== 1 || t[0] !== cfg.units);
        return bad ? `each initial state must have shape (None, ${cfg.units}), got (None, ${bad.join(', ')})` : undefined;
      },
    },
    weights(cfg: Cfg, [s]) {
      const units = cfg.units as number;
      const g = GATES[kind];
      const bias = kind === 'GRU' && cfg.reset_after !== false ? [2, g * units] : [g * units];
      const cell = CELL[kind];
      return [
        { name: 'kernel', shape: [known(s.at(-1), 'the feature dimension'), g * units], trainable: true, cell },
        { name: 'recurrent_kernel', shape: [units, g * units], trainable: true, cell },
        ...(useBias(cfg) ? [{ name: 'bias', shape: bias, trainable: true, cell }] : []),
      ];
    },
    // With return_sequences the output keeps the mask (a masked step repeats the previous output).
    mask: (cfg) => (cfg.return_sequences ? 'passes' : 'consumes'),
    takesMask: true,
    // Recurrent layers unroll over their fixed timesteps in a trace; input dropout's mask is a
    // TensorFlow RandomUniform node there, drawn anew every run.
    graph: 'training',
    build: (cfg, ctx) => withInputDropout(build(cfg, ctx), cfg, ctx),
  };
}

/**
 * dropout: in training, the input sequence times one mask per sample and feature (kept for every
 * timestep), which is what Keras 3's DropoutRNNCell applies to each step's input. Inference is
 * the identity. recurrent_dropout stays default-only.
 */
function withInputDropout(layer: TF.layers.Layer, cfg: Cfg, ctx: BuildContext): TF.layers.Layer {
  const rate = cfg.dropout ?? 0;
  if (!rate) return layer;
  const { tf, custom } = ctx;
  const call = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => {
    if (!kwargs?.training) return call(inputs, kwargs);
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const x = list[0] as TF.Tensor;
    const dropped = tf.mul(x, custom.dropoutMask([x.shape[0]!, 1, x.shape[2]!], rate));
    return call(Array.isArray(inputs) ? [dropped, ...list.slice(1)] : dropped, kwargs);
  };
  return layer;
}

export const SimpleRNN = recurrent('SimpleRNN', (cfg, { tf, common, pick, activation, weightArgs }) =>
  tf.layers.simpleRNN({ ...common, ...pick(cfg, ['units', 'use_bias', 'return_sequences', 'return_state', 'go_backwards']), activation: activation(cfg.activation, 'tanh'), ...weightArgs(cfg) }),
);

// Keras's recurrent_activation default is sigmoid; tfjs's is hard_sigmoid.
export const LSTM = recurrent('LSTM', (cfg, { tf, common, pick, activation, weightArgs }) =>
  tf.layers.lstm({
    ...common, ...pick(cfg, ['units', 'use_bias', 'return_sequences', 'return_state', 'go_backwards', 'unit_forget_bias']),
    activation: activation(cfg.activation, 'tanh'), recurrentActivation: activation(cfg.recurrent_activation, 'sigmoid'), ...weightArgs(cfg),
  }),
);

// Keras 3 defaults to reset_after=True, which tfjs's GRU lacks: the engine's own layer implements it.
export const GRU = recurrent('GRU', (cfg, { tf, common, pick, activation, weightArgs, custom }) => {
  const args = {
    ...common, ...pick(cfg, ['units', 'use_bias', 'return_sequences', 'return_state', 'go_backwards']),
    activation: activation(cfg.activation, 'tanh'), recurrentActivation: activation(cfg.recurrent_activation, 'sigmoid'), ...weightArgs(cfg),
  };
  return cfg.reset_after === false ? tf.layers.gru(args) : new custom.KerasGRU(args);
});
