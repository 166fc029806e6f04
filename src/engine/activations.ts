/**
 * Keras activation names → the tfjs-layers activation identifiers the engine computes them with
 * (spec/activations.ts). The activations tfjs lacks, or computes differently from Keras 3, are
 * registered here as tfjs activation classes, each written as Keras 3's TensorFlow backend writes it.
 */
import * as tf from '@tensorflow/tfjs';
import { ACTIVATIONS, ACTIVATION_IDS, activationName } from '../spec/activations.ts';


/**
 * Keras 3's own definitions (keras/src/backend/tensorflow/nn.py, keras/src/activations), written
 * without tf.where on a comparison of x: tfjs has no gradient for Greater/Less, and a select on x's
 * own comparison would stop backpropagation with an error. tf.step (gradient 0) and clipping serve.
 */
const KERAS_FUNCTIONS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  keras_hard_sigmoid: (x) => tf.div(tf.relu6(tf.add(x, 3)), 6),
  keras_hard_silu: (x) => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)),
  // max(x, 0) + expm1(min(x, 0)), as Keras's celu at alpha 1.
  keras_celu: (x) => tf.add(tf.relu(x), tf.expm1(tf.minimum(x, 0))),
  keras_exponential: (x) => tf.exp(x),
  keras_glu: (x) => {
    const [a, b] = tf.split(x, 2, -1);
    return tf.mul(a, tf.sigmoid(b));
  },
  keras_hard_shrink: (x) => tf.mul(x, tf.step(tf.sub(tf.abs(x), 0.5))),
  keras_soft_shrink: (x) => tf.add(tf.mul(tf.sub(x, 0.5), tf.step(tf.sub(x, 0.5))), tf.mul(tf.add(x, 0.5), tf.step(tf.sub(tf.neg(x), 0.5)))),
  keras_hard_tanh: (x) => tf.clipByValue(x, -1, 1),
  keras_leaky_relu: (x) => tf.leakyRelu(x, 0.2),
  keras_log_sigmoid: (x) => tf.logSigmoid(x),
  keras_log_softmax: (x) => tf.logSoftmax(x),
  // 0 below -1, x above 1, (x + 1)^2 / 4 between.
  keras_sparse_plus: (x) => tf.add(tf.div(tf.square(tf.add(tf.clipByValue(x, -1, 1), 1)), 4), tf.relu(tf.sub(x, 1))),
  keras_sparse_sigmoid: (x) => tf.mul(0.5, tf.add(tf.clipByValue(x, -1, 1), 1)),
  keras_squareplus: (x) => tf.div(tf.add(x, tf.sqrt(tf.add(tf.square(x), 4))), 2),
  keras_tanh_shrink: (x) => tf.sub(x, tf.tanh(x)),
};

for (const [id, fn] of Object.entries(KERAS_FUNCTIONS)) {
  class KerasActivation extends tf.serialization.Serializable {
    static readonly className = id;
    getClassName(): string {
      return id;
    }
    apply(x: tf.Tensor): tf.Tensor {
      return tf.tidy(() => fn(x));
    }
    getConfig(): tf.serialization.ConfigDict {
      return {};
    }
  }
  tf.serialization.registerClass(KerasActivation);
}

export function tfjsActivation(name: unknown): string | undefined {
  if (name === undefined || name === null) return undefined;
  const canon = activationName(name);
  if (!canon) throw new Error(`unsupported activation ${JSON.stringify(name)}; supported: ${ACTIVATIONS.join(', ')}`);
  return ACTIVATION_IDS[canon];
}

/** The function of a tfjs activation identifier, for layers of the engine's own that apply activations directly. */
export function activationFn(id: string): (x: tf.Tensor) => tf.Tensor {
  if (Object.hasOwn(KERAS_FUNCTIONS, id)) return KERAS_FUNCTIONS[id];
  const layer = tf.layers.activation({ activation: id as any }) as unknown as { activation: { apply(x: tf.Tensor): tf.Tensor } };
  return (x) => layer.activation.apply(x);
}
