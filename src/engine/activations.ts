/**
 * Keras activation names → the tfjs-layers activation identifiers the engine computes them with
 * (spec/activations.ts), and the activations tfjs computes differently from Keras 3, registered here.
 */
import * as tf from '@tensorflow/tfjs';
import { ACTIVATIONS, ACTIVATION_IDS, activationName } from '../spec/activations.ts';

/** Keras 3's hard_sigmoid: relu6(x + 3) / 6 (tfjs's hardSigmoid is Keras 2's 0.2x + 0.5). */
class KerasHardSigmoid extends tf.serialization.Serializable {
  static readonly className = 'kerasHardSigmoid';
  getClassName(): string {
    return KerasHardSigmoid.className;
  }
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.div(tf.relu6(tf.add(x, 3)), 6));
  }
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}
tf.serialization.registerClass(KerasHardSigmoid);

export function tfjsActivation(name: unknown): string | undefined {
  if (name === undefined || name === null) return undefined;
  const canon = activationName(name);
  if (!canon) throw new Error(`unsupported activation ${JSON.stringify(name)}; supported: ${ACTIVATIONS.join(', ')}`);
  return ACTIVATION_IDS[canon];
}

/** The function itself, for layers of the engine's own that apply activations directly. */
export function activationFn(name: string): (x: tf.Tensor) => tf.Tensor {
  if (name === 'kerasHardSigmoid') return (x) => tf.div(tf.relu6(tf.add(x, 3)), 6);
  const layer = tf.layers.activation({ activation: name as any }) as unknown as { activation: { apply(x: tf.Tensor): tf.Tensor } };
  return (x) => layer.activation.apply(x);
}
