/**
 * Keras 3's GRU (reset_after=True by default: separate input and recurrent biases, the reset gate
 * applied after the recurrent matmul), which tfjs-layers' GRU does not implement. Weights and gate
 * order (z, r, h) are Keras's: kernel (F, 3u), recurrent_kernel (u, 3u), bias (2, 3u).
 */
import * as tf from '@tensorflow/tfjs';
type Regularizer = ReturnType<typeof tf.regularizers.l2>;
import { activationFn } from './activations.ts';

export interface KerasGRUArgs {
  name: string;
  trainable?: boolean;
  units: number;
  activation?: string;
  recurrentActivation?: string;
  useBias?: boolean;
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  kernelInitializer?: unknown;
  recurrentInitializer?: unknown;
  biasInitializer?: unknown;
  kernelRegularizer?: Regularizer;
  recurrentRegularizer?: Regularizer;
  biasRegularizer?: Regularizer;
}

type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** An initializer identifier as tfjs layers take it → the initializer (tfjs does not export its resolver). */
function resolveInitializer(id: unknown, fallback: Initializer): Initializer {
  if (id === undefined) return fallback;
  return (tf.layers.dense({ units: 1, kernelInitializer: id as any }) as unknown as { kernelInitializer: Initializer }).kernelInitializer;
}

export class KerasGRU extends tf.layers.Layer {
  static className = 'KerasGRU';
  private readonly args: KerasGRUArgs;
  private kernel?: tf.LayerVariable;
  private recurrentKernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(args: KerasGRUArgs) {
    super({ name: args.name, trainable: args.trainable });
    this.args = args;
    this.act = activationFn(args.activation ?? 'tanh');
    this.recAct = activationFn(args.recurrentActivation ?? 'sigmoid');
  }

  private readonly act: (x: tf.Tensor) => tf.Tensor;
  private readonly recAct: (x: tf.Tensor) => tf.Tensor;

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const features = shape[shape.length - 1]!;
    const u = this.args.units;
    const a = this.args;
    this.kernel = this.addWeight('kernel', [features, 3 * u], 'float32', resolveInitializer(a.kernelInitializer, tf.initializers.glorotUniform({})), a.kernelRegularizer);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [u, 3 * u], 'float32', resolveInitializer(a.recurrentInitializer, tf.initializers.orthogonal({})), a.recurrentRegularizer);
    if (a.useBias !== false) this.bias = this.addWeight('bias', [2, 3 * u], 'float32', resolveInitializer(a.biasInitializer, tf.initializers.zeros()), a.biasRegularizer);
    this.built = true;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const out = this.args.returnSequences ? [shape[0], shape[1], this.args.units] : [shape[0], this.args.units];
    return this.args.returnState ? [out, [shape[0], this.args.units]] : out;
  }

  call(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, any>): tf.Tensor | tf.Tensor[] {
    return tf.tidy(() => {
      // Keras: on a masked step the state is kept and the step's output repeats the previous one.
      const stepMasks = kwargs?.mask ? tf.unstack(tf.expandDims(tf.cast(kwargs.mask as tf.Tensor, 'bool'), -1), 1) : undefined;
      if (stepMasks && this.args.goBackwards) stepMasks.reverse();
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const initial = Array.isArray(inputs) && inputs.length > 1 ? inputs[1] : undefined;
      const u = this.args.units;
      const act = this.act;
      const recAct = this.recAct;
      const kernel = this.kernel!.read();
      const recurrent = this.recurrentKernel!.read();
      const [inputBias, recurrentBias] = this.bias ? tf.unstack(this.bias.read()) : [undefined, undefined];
      const steps = tf.unstack(x, 1);
      if (this.args.goBackwards) steps.reverse();
      let h: tf.Tensor = initial ?? tf.zeros([x.shape[0]!, u]);
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
        const next = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate));
        h = stepMasks ? tf.where(tf.broadcastTo(stepMasks[outputs.length], next.shape), next, h) : next;
        outputs.push(h);
      }
      const out = this.args.returnSequences ? tf.stack(outputs, 1) : h;
      return this.args.returnState ? [out, h] : out;
    });
  }

  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.args.units, activation: this.args.activation ?? 'tanh', recurrentActivation: this.args.recurrentActivation ?? 'sigmoid', useBias: this.args.useBias !== false, returnSequences: !!this.args.returnSequences, returnState: !!this.args.returnState, goBackwards: !!this.args.goBackwards, resetAfter: true };
  }
}

tf.serialization.registerClass(KerasGRU);
