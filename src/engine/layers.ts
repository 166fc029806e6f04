/**
 * Builds tfjs-layers objects from Keras layer configs through the layer registry (spec/layers):
 * this module gives each layer's builder tfjs and the shared translation of Keras options.
 * Weight order and layouts of these tfjs layers equal Keras's (kernels (in, out), conv kernels
 * (kh, kw, in, out), LSTM gates i, f, c, o), so Keras weights load as they are.
 */
import * as tf from '@tensorflow/tfjs';
import { tfjsActivation } from './activations.ts';
import { KerasVarianceScaling, VARIANCE_SCALING_CLASSES } from './initializers.ts';
import { KerasGRU } from './keras-gru.ts';
import { CompositeLayer, OpLayer } from './op-layer.ts';
import { nativeDropout, nativeGather, nativeRandom } from './native-kernels.ts';
import { layerDef, type BuildContext, type Cfg, type Shape } from '../spec/layers/index.ts';
import { parseRegularizer } from '../spec/regularizers.ts';
import type { GraphLayer } from '../spec/graph.ts';

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

const pascal = (s: string) => camel(s).replace(/^./, (c) => c.toUpperCase());

function initializer(value: unknown): unknown {
  if (value === undefined) return undefined;
  const v = (typeof value === 'string' ? { class_name: pascal(value) } : value) as { class_name: string; config?: Cfg };
  const scaled = VARIANCE_SCALING_CLASSES[v.class_name.replace(/^Lecun/, 'LeCun')];
  if (scaled) {
    const config = v.config ?? {};
    return { className: KerasVarianceScaling.className, config: { ...scaled, ...(v.class_name === 'VarianceScaling' ? config : {}), seed: config.seed ?? null } };
  }
  // tfjs spells LeCun with a capital C. A copy: tfjs writes customObjects into the config it deserializes.
  return { className: v.class_name.replace(/^Lecun/, 'LeCun'), config: { ...(v.config ?? {}) } };
}

/**
 * Keras's L1/L2 penalties: l1 * sum(|w|) + l2 * sum(w^2). |w| is written as w * sign(w) so its
 * gradient at 0 is 0, as TensorFlow's; tfjs's abs has gradient -1 there, which would move every
 * zero-initialized bias under an L1 penalty at the first step.
 */
export function l1l2Penalty(x: tf.Tensor, l1: number, l2: number): tf.Scalar {
  return tf.tidy(() => {
    let total: tf.Tensor = tf.scalar(0);
    if (l1) total = tf.add(total, tf.mul(l1, tf.sum(tf.mul(x, tf.sign(x)))));
    if (l2) total = tf.add(total, tf.mul(l2, tf.sum(tf.square(x))));
    return total as tf.Scalar;
  });
}

function regularizer(value: unknown): unknown {
  const r = parseRegularizer(value);
  if ('error' in r) throw new Error(r.error);
  const l1 = r.config.l1 ?? 0;
  const l2 = r.config.l2 ?? 0;
  const reg = tf.regularizers.l1l2({ l1, l2 });
  (reg as unknown as { apply(x: tf.Tensor): tf.Scalar }).apply = (x) => l1l2Penalty(x, l1, l2);
  return reg;
}

/** Copies the listed Keras keys that are present, renaming them to tfjs's camelCase. */
function pick(cfg: Cfg, keys: string[]): Cfg {
  const out: Cfg = {};
  for (const k of keys) if (cfg[k] !== undefined) out[camel(k)] = cfg[k];
  return out;
}

function weightArgs(cfg: Cfg): Cfg {
  const out: Cfg = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (v === undefined || v === null) continue;
    // Keras writes {class_name: "GlorotUniform", config: {seed: null}}; tfjs wants the same class names.
    if (k.endsWith('_initializer')) out[camel(k)] = initializer(v);
    else if (k.endsWith('_regularizer')) out[camel(k)] = regularizer(v);
  }
  return out;
}

function random(kind: 'uniform' | 'normal', shape: number[]): tf.Tensor {
  return nativeRandom(kind, shape) ?? (kind === 'uniform' ? tf.randomUniform(shape) : tf.randomNormal(shape));
}

function dropoutMask(shape: number[], rate: number): tf.Tensor {
  return tf.tidy(() => {
    const ones = tf.ones(shape);
    return nativeDropout(ones, rate) ?? tf.dropout(ones, rate);
  });
}

export function buildLayer(layer: Pick<GraphLayer, 'name' | 'class_name' | 'config'>, inputShapes: Shape[]): tf.layers.Layer {
  const def = layerDef(layer.class_name);
  if (!def) throw new Error(`layer class ${layer.class_name} is not available in the engine`);
  const common = { name: layer.name, trainable: layer.config.trainable ?? true };
  const cfg = layer.config;
  // Constants the layer's call makes once (ctx.constant), disposed with the layer.
  const owned: tf.Tensor[] = [];
  // The registry's shapes leave the batch dimension out; tfjs's keep it.
  const outputShape = (shapes: Shape[]): Shape | Shape[] => {
    const inner = shapes.map((s) => s.slice(1));
    if (def.outputs) return def.outputs(cfg, inner).map((s) => [shapes[0][0], ...s]);
    return [shapes[0][0], ...def.outputShape(cfg, inner)];
  };
  const ctx: BuildContext = {
    tf,
    common,
    inputShape: inputShapes[0],
    inputShapes,
    constant: (make) => {
      let t: tf.Tensor | undefined;
      return () => {
        if (!t) {
          t = tf.keep(make());
          owned.push(t);
        }
        return t;
      };
    },
    op: (args) => new OpLayer({ ...common, outputShape, ...args }, owned),
    part: (spec, shape) => buildLayer(spec, [shape]),
    composite: (parts, partShapes, call) => new CompositeLayer(common, parts, call, outputShape, partShapes),
    activation: (value, fallback) => tfjsActivation(value ?? fallback),
    weightArgs,
    pick,
    custom: { KerasGRU, gather: nativeGather, dropoutMask, random },
  };
  return def.build(layer.config, ctx);
}
