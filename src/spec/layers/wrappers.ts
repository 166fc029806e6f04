/** keras.layers.Bidirectional around a SimpleRNN, LSTM or GRU, and TimeDistributed. */
import type * as TF from '@tensorflow/tfjs';
import { layerConfigProblem } from './options.ts';
import { GRU, LSTM, SimpleRNN } from './recurrent.ts';
import { REQUIRED, ShapeError, kerasSnakeCase, oneOf, type Cfg, type LayerDef, type Shape, type WeightSpec } from './layer-def.ts';

const RNNS: Record<string, LayerDef> = { SimpleRNN, LSTM, GRU };

interface Inner {
  class_name: string;
  config?: Cfg;
}

function innerProblem(value: unknown): string | undefined {
  const v = value as Inner;
  if (typeof v !== 'object' || v === null || typeof v.class_name !== 'string') return 'must be a layer {"class_name", "config"}';
  const def = Object.hasOwn(RNNS, v.class_name) ? RNNS[v.class_name] : undefined;
  if (!def) return `wraps ${JSON.stringify(v.class_name)}; the service wraps ${Object.keys(RNNS).join(', ')}`;
  // Keras sets zero_output_for_mask on the layers it wraps; it only acts on masked steps, and a
  // Bidirectional refuses masked input.
  const { zero_output_for_mask: _zero, ...cfg } = v.config ?? {};
  const refused = layerConfigProblem(def, cfg);
  if (refused) return refused[1];
  if (cfg.return_state) return 'the wrapped layer\'s return_state is not supported';
  return undefined;
}

/**
 * The forward and backward layers as Keras builds them, with the names Keras gives them: the
 * backward one mirrors go_backwards unless given; each is "forward_" / "backward_" + the wrapped
 * layer's name without a "forward_" prefix (a saved Bidirectional's layer is already named so),
 * and a given backward_layer keeps its own name.
 */
export function innerLayers(cfg: Cfg): [Inner & { name: string }, Inner & { name: string }] {
  const forward = cfg.layer as Inner;
  const given = cfg.backward_layer as Inner | null | undefined;
  const base = ((forward.config?.name as string | undefined) ?? kerasSnakeCase(forward.class_name)).replace(/^forward_/, '');
  const backward = given ?? { class_name: forward.class_name, config: { ...forward.config, go_backwards: !forward.config?.go_backwards } };
  return [
    { ...forward, name: `forward_${base}` },
    { ...backward, name: (given?.config?.name as string | undefined) ?? `backward_${base}` },
  ];
}

export const Bidirectional: LayerDef = {
  class_name: 'Bidirectional',
  keras: { merge_mode: 'concat', layer: REQUIRED, backward_layer: null },
  build_config: true,
  call_kwargs: { mask: null },
  honours: {
    layer: (v) => innerProblem(v),
    backward_layer: (v, cfg) => innerProblem(v) ?? (v.class_name !== cfg.layer?.class_name ? 'must wrap the same class as layer' : undefined),
    merge_mode: oneOf('concat', 'sum', 'mul', 'ave', null),
  },
  arity: 1,
  outputShape(cfg, inputs) {
    return this.outputs!(cfg, inputs)[0];
  },
  outputs(cfg, inputs) {
    const [f, b] = innerLayers(cfg);
    const fo = RNNS[f.class_name].outputShape(f.config ?? {}, inputs);
    const bo = RNNS[b.class_name].outputShape(b.config ?? {}, inputs);
    if (fo.length !== bo.length || fo.slice(0, -1).some((d, i) => d !== bo[i])) throw new ShapeError('the forward and backward layers must agree on return_sequences', 'backward_layer');
    const mode = cfg.merge_mode === undefined ? 'concat' : cfg.merge_mode;
    if (mode === null) return [fo, bo];
    if (mode === 'concat') return [[...fo.slice(0, -1), (fo.at(-1) as number) + (bo.at(-1) as number)]];
    if (fo.at(-1) !== bo.at(-1)) throw new ShapeError(`merge_mode "${mode}" needs the same units forward and backward`, 'merge_mode');
    return [fo];
  },
  weights(cfg, inputs) {
    const [f, b] = innerLayers(cfg);
    // Keras's variable paths: <wrapper>/forward_<rnn>/<rnn>_cell/kernel, and backward_ likewise.
    const under = (prefix: string) => (w: WeightSpec) => ({ ...w, cell: `${prefix}/${w.cell}` });
    return [...RNNS[f.class_name].weights!(f.config ?? {}, inputs).map(under(f.name)), ...RNNS[b.class_name].weights!(b.config ?? {}, inputs).map(under(b.name))];
  },
  graph: 'training',
  build(cfg, { tf, part, composite, inputShape, common }) {
    const [f, b] = innerLayers(cfg);
    const forward = part({ class_name: f.class_name, config: f.config ?? {}, name: common.name }, inputShape);
    const backward = part({ class_name: b.class_name, config: b.config ?? {}, name: common.name }, inputShape);
    const sequences = !!f.config?.return_sequences;
    const mode = cfg.merge_mode === undefined ? 'concat' : cfg.merge_mode;
    return composite([forward, backward], [inputShape, inputShape], ([x], kwargs) => {
      const y = forward.apply(x, kwargs) as TF.Tensor;
      let yRev = backward.apply(x, kwargs) as TF.Tensor;
      // Keras flips the backward sequence back into time order.
      if (sequences) yRev = tf.reverse(yRev, 1);
      if (mode === null) return [y, yRev];
      if (mode === 'concat') return tf.concat([y, yRev], -1);
      if (mode === 'sum') return tf.add(y, yRev);
      if (mode === 'mul') return tf.mul(y, yRev);
      return tf.div(tf.add(y, yRev), 2);
    });
  },
};

/** Layers TimeDistributed cannot wrap: other wrappers, and recurrent layers (their variables sit in a cell). */
const NOT_TIME_DISTRIBUTED = new Set(['Bidirectional', 'TimeDistributed', 'SimpleRNN', 'LSTM', 'GRU']);

/** A TimeDistributed's inner layer under the name Keras gives it: its own, or its class's snake_case. */
export function timeDistributedInner(cfg: Cfg): Inner & { name: string } {
  const inner = cfg.layer as Inner;
  return { ...inner, name: (inner.config?.name as string | undefined) ?? kerasSnakeCase(inner.class_name) };
}

/**
 * keras.layers.TimeDistributed: the wrapped layer applied to every step of a (batch, steps, ...)
 * input, as Keras does for a known number of steps (one call per step, stacked): a BatchNormalization
 * inside sees each step's batch and updates its statistics once per step. `lookup` is the registry.
 */
export function makeTimeDistributed(lookup: (cls: string) => LayerDef | undefined): LayerDef {
  const innerDef = (cfg: Cfg) => lookup(timeDistributedInner(cfg).class_name)!;
  const stepShape = (s: Shape) => {
    if (s.length < 2) throw new ShapeError(`expects input of rank 3 or more (batch, steps, ...), got (None, ${s.join(', ')})`);
    return s.slice(1);
  };
  return {
    class_name: 'TimeDistributed',
    keras: { layer: REQUIRED },
    build_config: true,
    call_kwargs: { mask: null },
    honours: {
      layer(value) {
        const v = value as Inner;
        if (typeof v !== 'object' || v === null || typeof v.class_name !== 'string') return 'must be a layer {"class_name", "config"}';
        const def = lookup(v.class_name);
        if (!def || def.arity !== 1 || NOT_TIME_DISTRIBUTED.has(def.class_name) || def.outputs || def.callArgs) {
          return `wraps ${JSON.stringify(v.class_name)}; the service wraps layers of one input and one output other than wrappers and recurrent layers`;
        }
        const refused = layerConfigProblem(def, v.config ?? {});
        if (refused) return refused[1];
        if (def.mask?.(v.config ?? {}) === 'makes' || def.takesMask) return 'a wrapped layer that makes or takes a mask is not supported';
        return undefined;
      },
    },
    arity: 1,
    outputShape(cfg, [s]) {
      const inner = timeDistributedInner(cfg);
      return [s[0], ...innerDef(cfg).outputShape(inner.config ?? {}, [stepShape(s)])];
    },
    weights(cfg, [s]) {
      const inner = timeDistributedInner(cfg);
      // Keras's variable paths: <wrapper>/<inner>/kernel.
      return (innerDef(cfg).weights?.(inner.config ?? {}, [stepShape(s)]) ?? []).map((w) => ({ ...w, cell: w.cell ? `${inner.name}/${w.cell}` : inner.name }));
    },
    graph(cfg) {
      const graph = innerDef(cfg).graph;
      return typeof graph === 'function' ? graph(timeDistributedInner(cfg).config ?? {}) : graph;
    },
    build(cfg, { tf, part, composite, inputShape, common }) {
      const inner = timeDistributedInner(cfg);
      const step = [inputShape[0], ...inputShape.slice(2)];
      const layer = part({ class_name: inner.class_name, config: inner.config ?? {}, name: common.name }, step);
      return composite([layer], [step], ([x], kwargs) => tf.stack(tf.unstack(x, 1).map((t) => layer.apply(t, kwargs) as TF.Tensor), 1));
    },
  };
}
