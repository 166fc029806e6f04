/**
 * Keras 3's GRU (reset_after=True by default: separate input and recurrent biases, the reset gate
 * applied after the recurrent matmul), which tfjs-layers' GRU does not implement. Weights and gate
 * order (z, r, h) are Keras's: kernel (F, 3u), recurrent_kernel (u, 3u), bias (2, 3u).
 */
import * as tf from '@tensorflow/tfjs';

export interface KerasGRUArgs {
  name: string;
  trainable?: boolean;
  units: number;
  activation?: string;
  recurrentActivation?: string;
  useBias?: boolean;
  returnSequences?: boolean;
  goBackwards?: boolean;
  kernelInitializer?: unknown;
  recurrentInitializer?: unknown;
  biasInitializer?: unknown;
}

const ACT: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  tanh: tf.tanh,
  sigmoid: tf.sigmoid,
  relu: tf.relu,
  linear: (x) => x,
  hardSigmoid: (x) => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1),
};

export class KerasGRU extends tf.layers.Layer {
  static className = 'KerasGRU';
  private readonly args: KerasGRUArgs;
  private kernel?: tf.LayerVariable;
  private recurrentKernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(args: KerasGRUArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.args = args;
    for (const a of [args.activation ?? 'tanh', args.recurrentActivation ?? 'sigmoid']) {
      if (!ACT[a]) throw new Error(`GRU: activation "${a}" is not supported (use ${Object.keys(ACT).join(', ')})`);
    }
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const features = shape[shape.length - 1]!;
    const u = this.args.units;
    const named = (tf.initializers as unknown as Record<string, (a: object) => ReturnType<typeof tf.initializers.glorotUniform>>)[String(this.args.kernelInitializer ?? 'glorotUniform')];
    this.kernel = this.addWeight('kernel', [features, 3 * u], 'float32', (named ?? tf.initializers.glorotUniform)({}));
    this.recurrentKernel = this.addWeight('recurrent_kernel', [u, 3 * u], 'float32', tf.initializers.orthogonal({}));
    if (this.args.useBias !== false) this.bias = this.addWeight('bias', [2, 3 * u], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return this.args.returnSequences ? [shape[0], shape[1], this.args.units] : [shape[0], this.args.units];
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const u = this.args.units;
      const act = ACT[this.args.activation ?? 'tanh'];
      const recAct = ACT[this.args.recurrentActivation ?? 'sigmoid'];
      const kernel = this.kernel!.read();
      const recurrent = this.recurrentKernel!.read();
      const [inputBias, recurrentBias] = this.bias ? tf.unstack(this.bias.read()) : [undefined, undefined];
      const steps = tf.unstack(x, 1);
      if (this.args.goBackwards) steps.reverse();
      let h: tf.Tensor = tf.zeros([x.shape[0]!, u]);
      const outputs: tf.Tensor[] = [];
      for (const xt of steps) {
        let mx = tf.matMul(xt, kernel);
        if (inputBias) mx = tf.add(mx, inputBias);
        let mh = tf.matMul(h, recurrent);
        if (recurrentBias) mh = tf.add(mh, recurrentBias);
        const [xz, xr, xh] = tf.split(mx, 3, -1);
        const [hz, hr, hh] = tf.split(mh, 3, -1);
        const z = recAct(tf.add(xz, hz));
        const r = recAct(tf.add(xr, hr));
        const candidate = act(tf.add(xh, tf.mul(r, hh)));
        h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate));
        outputs.push(h);
      }
      return this.args.returnSequences ? tf.stack(outputs, 1) : h;
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.args.units, activation: this.args.activation ?? 'tanh', recurrentActivation: this.args.recurrentActivation ?? 'sigmoid', useBias: this.args.useBias !== false, returnSequences: !!this.args.returnSequences, goBackwards: !!this.args.goBackwards, resetAfter: true };
  }
}

tf.serialization.registerClass(KerasGRU);
