/**
 * Keras 3 optimizers, update rules op for op (tfjs's own Adam uses the textbook bias correction,
 * Keras uses the epsilon-hat form). Slots start at zero; t = iterations + 1. The learning rate is a
 * variable so callbacks can change it between steps.
 */
import * as tf from '@tensorflow/tfjs';
import type { Resolved } from '../spec/catalog.ts';
import { elementwise, type Elementwise } from './native-kernels.ts';

export interface OptimizerState {
  iterations: number;
  learning_rate: number;
  /** Slot tensors by `${slot}/${variable index}`. */
  slots: Record<string, tf.Tensor>;
  /** Scalar state some optimizers keep besides slots. */
  extra?: Record<string, unknown>;
}

/**
 * Runs `body` so that each variable it assigns keeps its old value where `flag` is 0: a branch the
 * host decides per step, written as data so one traced graph serves both outcomes.
 */
function gatedAssigns(flag: tf.Tensor, body: () => void): void {
  const proto = tf.Variable.prototype as unknown as { assign(v: tf.Tensor): void };
  const assign = proto.assign;
  const on = tf.greater(flag, 0.5);
  proto.assign = function (this: tf.Variable, value: tf.Tensor) {
    assign.call(this, tf.where(tf.broadcastTo(on, value.shape), value, this));
  };
  try {
    body();
  } finally {
    proto.assign = assign;
  }
}

export abstract class Optimizer {
  /** Batches applied (Keras's _iterations); with gradient accumulation, updates are fewer. */
  iterations = 0;
  readonly lr: tf.Variable;
  protected readonly slots = new Map<string, tf.Variable>();
  protected readonly clipnorm?: number;
  protected readonly clipvalue?: number;
  protected readonly globalClipnorm?: number;
  /** gradient_accumulation_steps: gradients of this many batches are averaged into one update. */
  private readonly accumulate?: number;
  /** use_ema: an exponential moving average of the trainable weights, swapped in by finalize(). */
  private readonly ema?: { momentum: number; overwriteEvery?: number };

  constructor(readonly className: string, readonly config: Record<string, any>, defaultLr: number) {
    this.lr = tf.tidy(() => tf.variable(tf.scalar(config.learning_rate ?? defaultLr), false));
    this.clipnorm = config.clipnorm ?? undefined;
    this.clipvalue = config.clipvalue ?? undefined;
    this.globalClipnorm = config.global_clipnorm ?? undefined;
    this.accumulate = config.gradient_accumulation_steps ?? undefined;
    if (config.use_ema) this.ema = { momentum: config.ema_momentum ?? 0.99, overwriteEvery: config.ema_overwrite_frequency ?? undefined };
  }

  /** Keras's `optimizer.iterations`: updates applied (batches // gradient_accumulation_steps). */
  get updates(): number {
    return this.accumulate ? Math.floor(this.iterations / this.accumulate) : this.iterations;
  }

  get learningRate(): number {
    return this.lr.dataSync()[0];
  }

  set learningRate(value: number) {
    tf.tidy(() => this.lr.assign(tf.scalar(value)));
  }

  private readonly constants = new Map<number, tf.Tensor>();
  /** Update math: TensorFlow's kernels directly on tfjs-node (see native-kernels.ts). */
  protected readonly ops: Elementwise = elementwise();
  /** Scalars reused every step instead of uploading a new one per op. */
  protected constant(value: number): tf.Tensor {
    let c = this.constants.get(value);
    if (!c) {
      c = tf.keep(tf.scalar(value));
      this.constants.set(value, c);
    }
    return c;
  }

  protected slot(name: string, index: number, like: tf.Tensor): tf.Variable {
    const key = `${name}/${index}`;
    let v = this.slots.get(key);
    if (!v) {
      v = tf.variable(tf.zerosLike(like), false);
      this.slots.set(key, v);
    }
    return v;
  }

  /** Keras's _clip_gradients: clipnorm per tensor, else global_clipnorm over all, else clipvalue. */
  private clip(grads: tf.Tensor[]): tf.Tensor[] {
    if (this.clipnorm !== undefined) {
      const c = this.clipnorm;
      return grads.map((g) => {
        const norm = tf.sqrt(tf.sum(tf.square(g)));
        return tf.where(tf.greater(norm, c), tf.div(tf.mul(g, c), norm), g);
      });
    }
    if (this.globalClipnorm !== undefined) {
      // clip_by_global_norm: scale = c * min(1 / norm, 1 / c).
      const c = this.globalClipnorm;
      const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
      const scale = tf.mul(c, tf.minimum(tf.div(1, norm), 1 / c));
      return grads.map((g) => tf.mul(g, scale));
    }
    if (this.clipvalue !== undefined) {
      const v = this.clipvalue;
      return grads.map((g) => tf.clipByValue(g, -v, v));
    }
    return grads;
  }

  /**
   * The per-step scalars of an update, computed on the host: t = updates + 1 first, then what
   * else changes every update (Nadam's momentum schedule). It may advance host-side state, so it is
   * called exactly once per update.
   */
  protected hostStepValues(t: number): number[] {
    return [t];
  }

  /** How many values hostStepValues returns. */
  protected readonly updateValueCount: number = 1;

  /** The values a step takes as inputs: the update's, then whether it updates, the EMA momentum and overwrite. */
  get stepValueCount(): number {
    return this.updateValueCount + 3;
  }

  /**
   * This step's scalars (graph inputs when the step is traced), from the optimizer's counters, as
   * Keras's apply computes them; advances host-side state, so called once per step.
   */
  nextStepValues(): number[] {
    const isUpdate = !this.accumulate || (this.iterations + 1) % this.accumulate === 0;
    const update = isUpdate ? this.hostStepValues(this.updates + 1) : new Array(this.updateValueCount).fill(0);
    // Keras reads iterations before this step counts: 0 momentum at the first step copies the weights.
    const emaMomentum = this.ema && this.updates !== 0 ? this.ema.momentum : 0;
    const overwrite = this.ema?.overwriteEvery && (this.updates + 1) % this.ema.overwriteEvery === 0 ? 1 : 0;
    return [...update, isUpdate ? 1 : 0, emaMomentum, overwrite];
  }

  /**
   * Applies one step; gradients in the same order as variables. `stepValues` are the step's
   * scalars as tensors (graph inputs when the step is traced); by default they are made here.
   */
  apply(variables: tf.Variable[], grads: tf.Tensor[], stepValues?: tf.Tensor[]): void {
    tf.tidy(() => {
      const values = stepValues ?? this.nextStepValues().map((v) => tf.scalar(v));
      const updateValues = values.slice(0, this.updateValueCount);
      const [isUpdate, emaMomentum, overwrite] = values.slice(this.updateValueCount);
      let effective = grads;
      if (this.accumulate) {
        // Keras: on the update batch, (g + accumulated) / steps; on the others, accumulate only.
        const accumulators = variables.map((v, i) => this.slot('gradient_accumulator', i, v));
        effective = grads.map((g, i) => tf.div(tf.add(g, accumulators[i]), this.accumulate!));
        const keep = tf.sub(1, isUpdate);
        accumulators.forEach((acc, i) => acc.assign(tf.mul(tf.add(acc, grads[i]), keep)));
      }
      const update = () => {
        this.beginStep(updateValues);
        // Keras applies decoupled weight decay before the update: w -= w * wd * lr.
        const wd = this.config.weight_decay ?? this.defaultWeightDecay;
        const clipped = this.clip(effective);
        variables.forEach((v, i) => {
          if (wd) v.assign(this.ops.sub(v, this.ops.mul(v, this.ops.mul(this.lr, wd))));
          this.update(v, clipped[i], i, updateValues);
        });
      };
      if (this.accumulate) gatedAssigns(isUpdate, update);
      else update();
      if (this.ema) {
        const averages = variables.map((v, i) => this.slot('average', i, v));
        averages.forEach((avg, i) => avg.assign(tf.add(tf.mul(emaMomentum, avg), tf.mul(tf.sub(1, emaMomentum), variables[i]))));
        if (this.ema.overwriteEvery) gatedAssigns(overwrite, () => variables.forEach((v, i) => v.assign(averages[i])));
      }
    });
    this.iterations += 1;
  }

  /** Keras's finalize_variable_values at the end of fit: with use_ema, the averages become the weights. */
  finalize(variables: tf.Variable[]): void {
    if (!this.ema) return;
    variables.forEach((v, i) => {
      const avg = this.slots.get(`average/${i}`);
      if (avg) v.assign(avg);
    });
  }

  protected defaultWeightDecay = 0;

  /** Per-update (not per-variable) work, such as Adam's step size. */
  protected beginStep(_stepValues: tf.Tensor[]): void {}

  protected abstract update(v: tf.Variable, g: tf.Tensor, index: number, stepValues: tf.Tensor[]): void;

  /** Every variable a step updates or reads besides the model's: the learning rate and the slots. */
  stateVariables(): tf.Variable[] {
    return [this.lr, ...this.slots.values()];
  }

  getState(): OptimizerState {
    return { iterations: this.iterations, learning_rate: this.learningRate, slots: Object.fromEntries(this.slots) };
  }

  setState(state: OptimizerState): void {
    this.iterations = state.iterations;
    this.learningRate = state.learning_rate;
    for (const [key, value] of Object.entries(state.slots)) {
      const existing = this.slots.get(key);
      if (existing) existing.assign(value);
      else this.slots.set(key, tf.variable(value, false));
    }
  }

  dispose(): void {
    this.lr.dispose();
    for (const c of this.constants.values()) c.dispose();
    this.constants.clear();
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
  }
}

class SGD extends Optimizer {
  constructor(config: Record<string, any>) {
    super('SGD', config, 0.01);
  }
  protected update(v: tf.Variable, g: tf.Tensor, i: number): void {
    const momentum = this.config.momentum ?? 0;
    if (momentum === 0) {
      v.assign(this.ops.sub(v, this.ops.mul(g, this.lr)));
      return;
    }
    const m = this.slot('momentum', i, v);
    const next = this.ops.add(this.ops.mul(this.ops.neg(g), this.lr), this.ops.mul(m, momentum));
    m.assign(next);
    if (this.config.nesterov) v.assign(this.ops.add(v, this.ops.add(this.ops.mul(this.ops.neg(g), this.lr), this.ops.mul(next, momentum))));
    else v.assign(this.ops.add(v, next));
  }
}

class Adam extends Optimizer {
  /** Step size lr·sqrt(1-b2^t)/(1-b1^t): the same for every variable, so computed once per step. */
  private alpha?: tf.Tensor;
  constructor(config: Record<string, any>, className = 'Adam', defaultWeightDecay = 0) {
    super(className, config, 0.001);
    this.defaultWeightDecay = defaultWeightDecay;
  }
  protected beginStep([step]: tf.Tensor[]): void {
    const b1 = this.config.beta_1 ?? 0.9;
    const b2 = this.config.beta_2 ?? 0.999;
    const b1Power = tf.pow(this.constant(b1), step);
    const b2Power = tf.pow(this.constant(b2), step);
    this.alpha = this.ops.div(this.ops.mul(this.lr, this.ops.sqrt(this.ops.sub(this.constant(1), b2Power))), this.ops.sub(this.constant(1), b1Power));
  }
  protected update(v: tf.Variable, g: tf.Tensor, i: number): void {
    const b1 = this.config.beta_1 ?? 0.9;
    const b2 = this.config.beta_2 ?? 0.999;
    const m = this.slot('momentum', i, v);
    const u = this.slot('velocity', i, v);
    m.assign(this.ops.add(m, this.ops.mul(this.ops.sub(g, m), this.constant(1 - b1))));
    u.assign(this.ops.add(u, this.ops.mul(this.ops.sub(this.ops.square(g), u), this.constant(1 - b2))));
    let denomSource: tf.Tensor = u;
    if (this.config.amsgrad) {
      const vhat = this.slot('velocity_hat', i, v);
      vhat.assign(this.ops.maximum(vhat, u));
      denomSource = vhat;
    }
    v.assign(this.ops.sub(v, this.ops.div(this.ops.mul(m, this.alpha!), this.ops.add(this.ops.sqrt(denomSource), this.constant(this.config.epsilon ?? 1e-7)))));
  }
}

class RMSprop extends Optimizer {
  constructor(config: Record<string, any>) {
    super('RMSprop', config, 0.001);
  }
  protected update(v: tf.Variable, g: tf.Tensor, i: number): void {
    const rho = this.config.rho ?? 0.9;
    const momentum = this.config.momentum ?? 0;
    const eps = this.config.epsilon ?? 1e-7;
    const vel = this.slot('velocity', i, v);
    vel.assign(this.ops.add(this.ops.mul(vel, rho), this.ops.mul(this.ops.square(g), 1 - rho)));
    let denominator: tf.Tensor;
    if (this.config.centered) {
      const avg = this.slot('average_gradient', i, v);
      avg.assign(this.ops.add(this.ops.mul(avg, rho), this.ops.mul(g, 1 - rho)));
      denominator = this.ops.add(this.ops.sub(vel, this.ops.square(avg)), eps);
    } else {
      denominator = this.ops.add(vel, eps);
    }
    const increment = this.ops.div(this.ops.mul(this.lr, g), this.ops.sqrt(denominator));
    if (momentum > 0) {
      const mom = this.slot('momentum', i, v);
      mom.assign(this.ops.add(this.ops.mul(mom, momentum), increment));
      v.assign(this.ops.sub(v, mom));
    } else {
      v.assign(this.ops.sub(v, increment));
    }
  }
}

/** Adam with decoupled weight decay (Keras default 0.004). */
class AdamW extends Adam {
  constructor(config: Record<string, any>) {
    super(config, 'AdamW', 0.004);
  }
}

class Adagrad extends Optimizer {
  constructor(config: Record<string, any>) {
    super('Adagrad', config, 0.001);
  }
  protected update(v: tf.Variable, g: tf.Tensor, i: number): void {
    const key = `accumulator/${i}`;
    let acc = this.slots.get(key);
    if (!acc) {
      acc = tf.variable(tf.fill(v.shape, this.config.initial_accumulator_value ?? 0.1), false); // inside apply's tidy: the fill is freed
      this.slots.set(key, acc);
    }
    acc.assign(this.ops.add(acc, this.ops.square(g)));
    v.assign(this.ops.sub(v, this.ops.div(this.ops.mul(this.lr, g), this.ops.sqrt(this.ops.add(acc, this.config.epsilon ?? 1e-7)))));
  }
}

class Adamax extends Optimizer {
  constructor(config: Record<string, any>) {
    super('Adamax', config, 0.001);
  }
  protected update(v: tf.Variable, g: tf.Tensor, i: number, [step]: tf.Tensor[]): void {
    const b1 = this.config.beta_1 ?? 0.9;
    const b2 = this.config.beta_2 ?? 0.999;
    const m = this.slot('m', i, v);
    const u = this.slot('u', i, v);
    const b1Power = tf.pow(tf.scalar(b1), step);
    m.assign(this.ops.add(m, this.ops.mul(this.ops.sub(g, m), 1 - b1)));
    u.assign(this.ops.maximum(this.ops.mul(u, b2), this.ops.abs(g)));
    v.assign(this.ops.sub(v, this.ops.div(this.ops.mul(this.lr, m), this.ops.mul(this.ops.sub(1, b1Power), this.ops.add(u, this.config.epsilon ?? 1e-7)))));
  }
}

class Nadam extends Optimizer {
  /** Product of the momentum schedule u_1 … u_t, advanced once per step on the host. */
  private uProduct = 1;
  protected readonly updateValueCount = 5;
  constructor(config: Record<string, any>) {
    super('Nadam', config, 0.001);
  }
  /** [t, u_{t+1}, 1 − Π u_{1..t+1}, 1 − u_t, 1 − Π u_{1..t}], rounded to float32 as Keras computes them. */
  protected hostStepValues(t: number): number[] {
    const b1 = this.config.beta_1 ?? 0.9;
    const uT = Math.fround(b1 * (1 - 0.5 * Math.fround(0.96 ** t)));
    const uT1 = Math.fround(b1 * (1 - 0.5 * Math.fround(0.96 ** (t + 1))));
    const uProductT = Math.fround(this.uProduct * uT);
    this.uProduct = uProductT;
    const uProductT1 = Math.fround(uProductT * uT1);
    return [t, uT1, 1 - uProductT1, 1 - uT, 1 - uProductT];
  }
  protected update(v: tf.Variable, g: tf.Tensor, i: number, [step, uT1, oneMinusProductT1, oneMinusUT, oneMinusProductT]: tf.Tensor[]): void {
    const b1 = this.config.beta_1 ?? 0.9;
    const b2 = this.config.beta_2 ?? 0.999;
    const m = this.slot('momentum', i, v);
    const u = this.slot('velocity', i, v);
    const b2Power = tf.pow(tf.scalar(b2), step);
    m.assign(this.ops.add(m, this.ops.mul(this.ops.sub(g, m), 1 - b1)));
    u.assign(this.ops.add(u, this.ops.mul(this.ops.sub(this.ops.square(g), u), 1 - b2)));
    const mHat = this.ops.add(this.ops.div(this.ops.mul(m, uT1), oneMinusProductT1), this.ops.div(this.ops.mul(g, oneMinusUT), oneMinusProductT));
    const vHat = this.ops.div(u, this.ops.sub(1, b2Power));
    v.assign(this.ops.sub(v, this.ops.div(this.ops.mul(mHat, this.lr), this.ops.add(this.ops.sqrt(vHat), this.config.epsilon ?? 1e-7))));
  }
  getState(): OptimizerState {
    return { ...super.getState(), extra: { u_product: this.uProduct } };
  }
  setState(state: OptimizerState): void {
    super.setState(state);
    this.uProduct = (state.extra?.u_product as number | undefined) ?? 1;
  }
}

const OPTIMIZERS: Record<string, new (config: Record<string, any>) => Optimizer> = { SGD, Adam, AdamW, RMSprop, Adagrad, Adamax, Nadam };

export function makeOptimizer(resolved: Resolved): Optimizer {
  const Ctor = OPTIMIZERS[resolved.class_name];
  if (!Ctor) throw new Error(`optimizer ${resolved.class_name} is not available in the engine`);
  return new Ctor(resolved.config);
}
