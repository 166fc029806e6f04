/**
 * A tfjs layer whose call is a function of its inputs and its own variables: the engine's form of
 * the Keras layers tfjs lacks (or computes differently). Variables are created in the order given,
 * which is Keras's get_weights() order, so Keras weights load as they are.
 */
import * as tf from '@tensorflow/tfjs';
import type { OpLayerArgs, Shape } from '../spec/layers/index.ts';

/** tfjs's Initializer and Regularizer objects from the constructor arguments weightArgs makes. */
function weightObjects(initializer: unknown, regularizer: unknown): { init: unknown; reg: unknown } {
  // tfjs exports no getter of its initializer registry; a Dense layer resolves both identifiers.
  const probe = tf.layers.dense({ units: 1, kernelInitializer: (initializer ?? 'zeros') as any, kernelRegularizer: regularizer as any }) as unknown as { kernelInitializer: unknown; kernelRegularizer: unknown };
  return { init: probe.kernelInitializer, reg: regularizer ? probe.kernelRegularizer : undefined };
}

export class OpLayer extends tf.layers.Layer {
  static readonly className = 'KerasJobsOpLayer';
  private readonly args: OpLayerArgs;
  private vars: tf.LayerVariable[] = [];

  constructor(
    args: OpLayerArgs & { name: string; trainable?: boolean },
    /** Constants its call made once (BuildContext.constant): disposed with the layer. */
    private readonly constants: tf.Tensor[] = [],
  ) {
    super({ name: args.name, trainable: args.trainable });
    this.args = args;
  }

  dispose(): ReturnType<tf.layers.Layer["dispose"]> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0) tf.dispose(this.constants.splice(0));
    return result;
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    this.vars = (this.args.weights ?? []).map((w) => {
      const { init, reg } = weightObjects(w.initializer, w.regularizer);
      // Saved weights are named <layer>/<weight>: a weight's own name keeps no "/" (MultiHeadAttention's query/kernel).
      return this.addWeight(w.name.replaceAll('/', '_'), w.shape, 'float32', init as any, reg as any, w.trainable ?? true);
    });
    this.built = true;
    void inputShape;
  }

  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => this.args.call(Array.isArray(inputs) ? inputs : [inputs], this.vars.map((v) => v.read()), kwargs));
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    return this.args.outputShape(shapes) as tf.Shape | tf.Shape[];
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig() };
  }
}
tf.serialization.registerClass(OpLayer);

/**
 * A layer made of other layers (Bidirectional's forward and backward RNNs): their variables are
 * its own, in the parts' order, and so are their penalties.
 */
export class CompositeLayer extends tf.layers.Layer {
  static readonly className = 'KerasJobsCompositeLayer';

  constructor(
    args: { name: string; trainable?: boolean },
    private readonly parts: tf.layers.Layer[],
    private readonly run: (inputs: tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[],
    private readonly shapeOf: (inputs: Shape[]) => Shape | Shape[],
    private readonly partShapes: Shape[],
  ) {
    super(args);
  }

  build(): void {
    this.parts.forEach((p, i) => {
      if (!p.built) {
        p.build(this.partShapes[i] as tf.Shape);
        p.built = true;
      }
    });
    this.built = true;
  }

  get trainableWeights(): tf.LayerVariable[] {
    return this.trainable ? this.parts.flatMap((p) => p.trainableWeights) : [];
  }

  get nonTrainableWeights(): tf.LayerVariable[] {
    return this.trainable ? this.parts.flatMap((p) => p.nonTrainableWeights) : this.parts.flatMap((p) => p.weights);
  }

  calculateLosses(): tf.Scalar[] {
    return this.parts.flatMap((p) => {
      const cell = (p as unknown as { cell?: tf.layers.Layer }).cell;
      return [...p.calculateLosses(), ...(cell ? cell.calculateLosses() : [])] as tf.Scalar[];
    });
  }

  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    return this.run(Array.isArray(inputs) ? inputs : [inputs], kwargs);
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[];
    return this.shapeOf(shapes) as tf.Shape | tf.Shape[];
  }
}
tf.serialization.registerClass(CompositeLayer);
