/**
 * The graph-compiled training step (src/engine/graph/) against the eager step it is traced from:
 * the same numbers (to float32 rounding), the same state left behind (weights, optimizer slots, iterations),
 * callbacks that change weights or the learning rate honoured, and the eager fallback wherever a
 * step cannot be captured. Real tfjs-node, real TensorFlow sessions.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.ts';
import type { Callback, TrainingContext } from '../src/engine/callbacks/callback.ts';
import { graphBinding } from '../src/engine/graph/binding.ts';
import { GraphProgram, MAX_TRACES } from '../src/engine/graph/program.ts';
import { NotTraceable } from '../src/engine/graph/tracer.ts';
import { KerasModel } from '../src/engine/model.ts';
import { Trainer, type Dataset, type FitOptions } from '../src/engine/trainer.ts';
import { resolveCompile } from '../src/spec/compile.ts';
import { checkGraph, normalizeModel } from '../src/spec/graph.ts';

const dense = (units: number, activation?: string, name?: string) => ({ class_name: 'Dense', config: { units, ...(activation ? { activation } : {}), ...(name ? { name } : {}) } });
const input = (shape: number[]) => ({ class_name: 'InputLayer', config: { shape } });

const MLP = { sequential: [input([6]), dense(16, 'relu'), dense(16, 'tanh'), dense(4)] };
const SPARSE = { optimizer: { class_name: 'Adam', config: { learning_rate: 0.01 } }, loss: { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true } }, metrics: ['accuracy'] };

interface Run {
  history: Record<string, number[]>;
  weights: number[][];
  slots: number[][];
  iterations: number;
  lr: number;
  execution?: string;
}

/** A fresh model with fixed initial weights, trained with the given fit options. */
async function train(modelSpec: unknown, compile: unknown, data: () => Dataset, options: FitOptions): Promise<Run> {
  const graph = checkGraph(normalizeModel(modelSpec as any));
  const model = new KerasModel(graph);
  const initial = Object.fromEntries(
    Object.entries(model.getWeights()).map(([layer, ws]) => [layer, ws.map((w, i) => (w.rank === 1 && /moving_variance|gamma/.test(model.layers.get(layer)!.weights[i].name) ? tf.onesLike(w) : tf.randomUniform(w.shape, -0.3, 0.3, 'float32', 17 + i)))]),
  );
  model.setWeights(initial);
  tf.dispose(Object.values(initial).flat());
  const trainer = new Trainer(model, resolveCompile(compile as any, graph.outputs));
  const ds = data();
  try {
    const { history } = await trainer.fit(ds, options);
    const state = trainer.optimizer.getState();
    return {
      history,
      weights: Object.values(model.getWeights()).flat().map((w) => Array.from(w.dataSync())),
      slots: Object.values(state.slots).map((s) => Array.from(s.dataSync())),
      iterations: state.iterations,
      lr: state.learning_rate,
      execution: trainer.lastExecution,
    };
  } finally {
    tf.dispose([...ds.x, ...ds.y, ...(ds.sampleWeight ?? [])]);
    trainer.dispose();
    model.dispose();
  }
}

async function bothWays(modelSpec: unknown, compile: unknown, data: () => Dataset, options: FitOptions = {}) {
  const eager = await train(modelSpec, compile, data, { ...options, graph: false });
  const graph = await train(modelSpec, compile, data, { ...options, graph: true });
  return { eager, graph };
}

/**
 * TensorFlow's graph optimizer (grappler) fuses some kernels of the traced step (MatMul with its
 * bias and activation, for one), which can move a float32 result by an ulp or two: the two paths
 * agree to ~1e-6 relative, far inside the 3e-4 Keras parity tolerance.
 */
function assertClose(actual: number[], expected: number[], what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => {
    const e = expected[i];
    assert.ok(Math.abs(a - e) <= 1e-5 * Math.abs(e) + 1e-6, `${what}[${i}]: graph ${a}, eager ${e}`);
  });
}

function assertSameRun(graph: Run, eager: Run) {
  assert.equal(eager.execution, 'eager');
  assert.equal(graph.execution, 'graph');
  assert.deepEqual(Object.keys(graph.history), Object.keys(eager.history));
  for (const key of Object.keys(eager.history)) assertClose(graph.history[key], eager.history[key], `history.${key}`);
  graph.weights.forEach((w, i) => assertClose(w, eager.weights[i], `weights[${i}]`));
  assert.equal(graph.slots.length, eager.slots.length);
  graph.slots.forEach((s, i) => assertClose(s, eager.slots[i], `slots[${i}]`));
  assert.equal(graph.iterations, eager.iterations);
  assert.equal(graph.lr, eager.lr);
}

const classification = (n: number) => (): Dataset => ({
  x: [tf.randomUniform([n, 6], -1, 1, 'float32', 3)],
  y: [tf.randomUniform([n], 0, 4, 'int32', 4)],
});

describe('graph-compiled training step', () => {
  before(async () => {
    await initBackend();
  });

  test('the graph binding is built and loads next to tfjs-node', (t) => {
    if (tf.getBackend() !== 'tensorflow') return t.skip('needs tfjs-node');
    assert.ok(graphBinding(), 'native/tf-graph was not built (npm run build:tf-graph)');
  });

  const graphTest = (name: string, fn: () => Promise<void>) => test(name, { skip: !graphBinding() && 'no graph binding' }, fn);

  graphTest("an MLP trains to the eager step's numbers, a partial last batch and shuffling included", async () => {
    const { eager, graph } = await bothWays(MLP, SPARSE, classification(203), { batchSize: 32, epochs: 3, seed: 5 });
    assertSameRun(graph, eager);
    assert.ok(graph.history.loss[2] < graph.history.loss[0], 'it learns');
  });

  graphTest('multi-input, multi-output with sample weights, loss weights and several metrics', async () => {
    const model = {
      inputs: [{ name: 'a', shape: [5] }, { name: 'b', shape: [3] }],
      layers: [
        { class_name: 'Dense', name: 'ha', config: { units: 8, activation: 'relu' }, inbound: ['a'] },
        { class_name: 'Dense', name: 'hb', config: { units: 8, activation: 'sigmoid' }, inbound: ['b'] },
        { class_name: 'Concatenate', name: 'joined', config: {}, inbound: ['ha', 'hb'] },
        { class_name: 'Dense', name: 'value', config: { units: 2 }, inbound: ['joined'] },
        { class_name: 'Dense', name: 'klass', config: { units: 3, activation: 'softmax' }, inbound: ['joined'] },
      ],
      outputs: ['value', 'klass'],
    };
    const compile = {
      optimizer: { class_name: 'SGD', config: { learning_rate: 0.05, momentum: 0.9, nesterov: true } },
      loss: { value: 'mse', klass: 'sparse_categorical_crossentropy' },
      loss_weights: { value: 0.5, klass: 2 },
      metrics: { value: ['mae', 'mse'], klass: ['accuracy'] },
    };
    const n = 90;
    const data = (): Dataset => ({
      x: [tf.randomNormal([n, 5], 0, 1, 'float32', 1), tf.randomNormal([n, 3], 0, 1, 'float32', 2)],
      y: [tf.randomNormal([n, 2], 0, 1, 'float32', 3), tf.randomUniform([n], 0, 3, 'int32', 4)],
      sampleWeight: [tf.randomUniform([n], 0.5, 2, 'float32', 5)],
    });
    const { eager, graph } = await bothWays(model, compile, data, { batchSize: 16, epochs: 2, validationSplit: 0.2 });
    assertSameRun(graph, eager);
    assert.ok('val_klass_accuracy' in graph.history && 'value_mae' in graph.history);
  });

  graphTest('a CNN with batch normalization updates its moving statistics in the graph', async () => {
    const model = {
      sequential: [
        input([8, 8, 1]),
        { class_name: 'Conv2D', config: { filters: 4, kernel_size: 3, activation: 'relu' } },
        { class_name: 'BatchNormalization', config: {} },
        { class_name: 'MaxPooling2D', config: {} },
        { class_name: 'Flatten', config: {} },
        dense(3),
      ],
    };
    const data = (): Dataset => ({ x: [tf.randomUniform([40, 8, 8, 1], 0, 1, 'float32', 9)], y: [tf.randomNormal([40, 3], 0, 1, 'float32', 10)] });
    const { eager, graph } = await bothWays(model, { optimizer: 'rmsprop', loss: 'mse' }, data, { batchSize: 16, epochs: 2 });
    assertSameRun(graph, eager);
  });

  graphTest('dropout trains as a graph and draws a new mask at every step', async () => {
    const model = { sequential: [input([6]), dense(32, 'relu'), { class_name: 'Dropout', config: { rate: 0.5 } }, dense(4)] };
    // A learning rate of 0 keeps the weights: epochs differ only by their dropout masks.
    const frozen = { ...SPARSE, optimizer: { class_name: 'SGD', config: { learning_rate: 0 } } };
    const run = await train(model, frozen, classification(64), { batchSize: 16, epochs: 3, shuffle: false, validationSplit: 0.25 });
    assert.equal(run.execution, 'graph');
    const [a, b, c] = run.history.loss;
    assert.ok(a !== b && b !== c, `training losses ${run.history.loss} differ: masks are redrawn`);
    assert.equal(new Set(run.history.val_loss).size, 1, 'validation (inference) has no dropout');
    assert.ok(Math.abs(a - run.history.val_loss[0]) > 1e-6);
  });

  const noise: Array<[string, Record<string, unknown>, unknown[]]> = [
    ['SpatialDropout1D', { rate: 0.5 }, [{ class_name: 'Reshape', config: { target_shape: [8, 4] } }]],
    ['SpatialDropout2D', { rate: 0.5 }, [{ class_name: 'Reshape', config: { target_shape: [4, 2, 4] } }]],
    ['GaussianNoise', { stddev: 0.5 }, []],
    ['GaussianDropout', { rate: 0.5 }, []],
    ['AlphaDropout', { rate: 0.5, noise_shape: [null, 1] }, []],
  ];
  for (const [cls, config, shape] of noise) {
    graphTest(`${cls} trains as a graph and draws new noise at every step`, async () => {
      const model = { sequential: [input([6]), dense(32, 'relu'), ...shape, { class_name: cls, config }, { class_name: 'Flatten', config: {} }, dense(4)] };
      const frozen = { ...SPARSE, optimizer: { class_name: 'SGD', config: { learning_rate: 0 } } };
      const run = await train(model, frozen, classification(64), { batchSize: 16, epochs: 3, shuffle: false, validationSplit: 0.25 });
      assert.equal(run.execution, 'graph');
      const [a, b, c] = run.history.loss;
      assert.ok(a !== b && b !== c, `training losses ${run.history.loss} differ: the noise is redrawn`);
      assert.equal(new Set(run.history.val_loss).size, 1, 'validation (inference) has no noise');
    });
  }

  graphTest('AUC, precision and recall add up their confusion counts from graph steps', async () => {
    const model = { sequential: [input([6]), dense(8, 'relu'), dense(1, 'sigmoid')] };
    const compile = { optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['AUC', 'Precision', { class_name: 'Recall', config: { thresholds: 0.3 } }, 'accuracy'] };
    const data = (): Dataset => ({ x: [tf.randomUniform([90, 6], -1, 1, 'float32', 1)], y: [tf.randomUniform([90, 1], 0, 2, 'int32', 2).toFloat()] });
    const { eager, graph } = await bothWays(model, compile, data, { batchSize: 16, epochs: 3, validationSplit: 0.2 });
    assertSameRun(graph, eager);
    assert.ok(['AUC', 'Precision', 'recall', 'val_AUC'].every((k) => k in graph.history), Object.keys(graph.history).join());
  });

  graphTest('recurrent layers (GRU with reset_after, SimpleRNN, LSTM) unroll into the graph', async () => {
    const model = {
      sequential: [
        input([7, 3]),
        { class_name: 'GRU', config: { units: 5, return_sequences: true } },
        { class_name: 'SimpleRNN', config: { units: 4, return_sequences: true } },
        { class_name: 'LSTM', config: { units: 6 } },
        dense(2),
      ],
    };
    const data = (): Dataset => ({ x: [tf.randomNormal([50, 7, 3], 0, 1, 'float32', 21)], y: [tf.randomNormal([50, 2], 0, 1, 'float32', 22)] });
    const { eager, graph } = await bothWays(model, { optimizer: 'adam', loss: 'mse', metrics: ['mae'] }, data, { batchSize: 16, epochs: 2, validationSplit: 0.2 });
    assertSameRun(graph, eager);
  });

  graphTest('weights and learning rate changed by callbacks between epochs reach the graph', async () => {
    // At epoch 1 it halves the learning rate and zeroes the last layer; at every batch end it reads the loss.
    const meddler = (): Callback & { losses: number[] } => ({
      losses: [],
      onEpochBegin(epoch: number, ctx: TrainingContext) {
        if (epoch !== 1) return;
        ctx.optimizer.learningRate = ctx.optimizer.learningRate / 2;
        const last = ctx.model.layers.get([...ctx.model.layers.keys()].at(-1)!)!;
        last.setWeights(last.getWeights().map((w) => tf.zerosLike(w)));
      },
      onBatchEnd(_b: number, _ctx: TrainingContext, loss: () => number) {
        this.losses.push(loss());
      },
    });
    const a = meddler();
    const b = meddler();
    const eager = await train(MLP, SPARSE, classification(64), { batchSize: 16, epochs: 3, callbacks: [a], graph: false });
    const graph = await train(MLP, SPARSE, classification(64), { batchSize: 16, epochs: 3, callbacks: [b], graph: true });
    assertSameRun(graph, eager);
    assertClose(b.losses, a.losses, 'batch losses');
    assert.equal(graph.lr, Math.fround(0.005));
  });

  graphTest('a fit stopped mid-epoch leaves the model where the graph left it', async () => {
    const stopper = (): Callback => ({
      onBatchEnd(batch: number, ctx: TrainingContext) {
        if (batch === 2) ctx.stopTraining = true;
      },
    });
    const eager = await train(MLP, SPARSE, classification(100), { batchSize: 10, epochs: 3, callbacks: [stopper()], graph: false });
    const graph = await train(MLP, SPARSE, classification(100), { batchSize: 10, epochs: 3, callbacks: [stopper()], graph: true });
    assertSameRun(graph, eager);
    assert.equal(graph.iterations, 3);
  });

  graphTest('no tensor is left behind by tracing, running and syncing', async () => {
    await train(MLP, SPARSE, classification(50), { batchSize: 8, epochs: 1 }); // warm-up: tfjs's own one-time tensors
    const before = tf.memory().numTensors;
    const run = await train(MLP, SPARSE, classification(50), { batchSize: 8, epochs: 2 });
    assert.equal(run.execution, 'graph');
    assert.equal(tf.memory().numTensors, before);
  });

  graphTest('evaluate and predict run as a graph (dropout is the identity there) and agree with eager', async () => {
    const spec = { sequential: [input([6]), dense(16, 'relu'), { class_name: 'Dropout', config: { rate: 0.5 } }, { class_name: 'BatchNormalization', config: {} }, dense(4, 'softmax')] };
    const graph = checkGraph(normalizeModel(spec as any));
    const model = new KerasModel(graph);
    const trainer = new Trainer(model, resolveCompile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy', 'sparse_top_k_categorical_accuracy'] } as any, graph.outputs));
    const data = classification(45)();
    try {
      const fit = await trainer.fit(data, { batchSize: 16, epochs: 2, validationSplit: 0.3 });
      assert.equal(trainer.lastExecution, 'graph');
      assert.equal(trainer.lastInference, 'graph', 'validation ran as a graph');
      assert.ok(Number.isFinite(fit.history.val_loss[1]));
      const eagerLogs = await trainer.evaluate(data, { batchSize: 16, graph: false });
      assert.equal(trainer.lastInference, 'eager');
      const graphLogs = await trainer.evaluate(data, { batchSize: 16 }); // batches of 16, 16 and 13
      assert.equal(trainer.lastInference, 'graph');
      assert.deepEqual(Object.keys(graphLogs), Object.keys(eagerLogs));
      for (const key of Object.keys(eagerLogs)) assertClose([graphLogs[key]], [eagerLogs[key]], key);
      const [eagerOut] = await trainer.predict(data.x, { batchSize: 16, graph: false });
      const [graphOut] = await trainer.predict(data.x, { batchSize: 16 }); // the last batch padded to 16 rows
      assert.equal(trainer.lastInference, 'graph');
      assert.deepEqual(graphOut.shape, [45, 4]);
      assertClose(Array.from(graphOut.dataSync()), Array.from(eagerOut.dataSync()), 'predictions');
      const [one] = await trainer.predict([data.x[0].slice(7, 1)], { batchSize: 16 });
      assertClose(Array.from(one.dataSync()), Array.from(eagerOut.dataSync().slice(28, 32)), 'a single sample');
      tf.dispose([eagerOut, graphOut, one]);
    } finally {
      tf.dispose([...data.x, ...data.y]);
      trainer.dispose();
      model.dispose();
    }
  });

  graphTest(`past ${MAX_TRACES} traced shapes, evaluate runs eagerly and still answers`, async () => {
    const graph = checkGraph(normalizeModel(MLP as any));
    const model = new KerasModel(graph);
    const trainer = new Trainer(model, resolveCompile(SPARSE as any, graph.outputs));
    const data = classification(MAX_TRACES + 4)();
    try {
      const paths: string[] = [];
      for (let n = 1; n <= MAX_TRACES + 4; n++) {
        const part = { x: [data.x[0].slice(0, n)], y: [data.y[0].slice(0, n)] };
        const graphLogs = await trainer.evaluate(part, { batchSize: 64 });
        paths.push(trainer.lastInference!);
        const eagerLogs = await trainer.evaluate(part, { batchSize: 64, graph: false });
        assertClose([graphLogs.loss], [eagerLogs.loss], `loss of ${n} samples`);
        tf.dispose([...part.x, ...part.y]);
      }
      assert.deepEqual(paths, [...Array(MAX_TRACES).fill('graph'), ...Array(4).fill('eager')]);
    } finally {
      tf.dispose([...data.x, ...data.y]);
      trainer.dispose();
      model.dispose();
    }
  });

  graphTest("Nadam's host-side momentum schedule is fed to the graph step by step", async () => {
    const { eager, graph } = await bothWays(MLP, { ...SPARSE, optimizer: { class_name: 'Nadam', config: { learning_rate: 0.01 } } }, classification(70), { batchSize: 16, epochs: 3 });
    assertSameRun(graph, eager);
  });

  graphTest('a trace that would write a variable the graph does not hold is refused, leaving it intact', async () => {
    const held = tf.variable(tf.tensor1d([1, 2]));
    const other = tf.variable(tf.tensor1d([5, 6]));
    const program = GraphProgram.create()!;
    program.bind([held]);
    const before = Object.keys(tf.engine().registeredVariables).length;
    try {
      assert.throws(() => program.compile('writes-other', [{ dtype: 'float32', shape: [2] }], ([x]) => {
        other.assign(tf.add(other, x));
        return [tf.sum(x)];
      }), NotTraceable);
      assert.deepEqual(Array.from(other.dataSync()), [5, 6], 'restored, and still readable');
      assert.throws(() => program.compile('makes-one', [{ dtype: 'float32', shape: [2] }], ([x]) => [tf.variable(x).add(held)]), NotTraceable);
      assert.equal(Object.keys(tf.engine().registeredVariables).length, before, 'the variable made while tracing is gone');
      // A function that writes what the graph holds compiles and runs.
      const key = program.compile('writes-held', [{ dtype: 'float32', shape: [2] }], ([x]) => {
        held.assign(tf.add(held, x));
        return [tf.sum(held)];
      });
      program.push();
      assert.deepEqual(Array.from(program.run(key, [new Float32Array([10, 20])])[0]), [33]);
      program.pull();
      assert.deepEqual(Array.from(held.dataSync()), [11, 22]);
    } finally {
      tf.dispose([held, other]);
    }
  });

  graphTest('a step a graph cannot capture falls back to the eager step', async () => {
    // tfjs draws a dropout mask with a noise_shape on the host: a trace would freeze it.
    const model = { sequential: [input([6]), dense(16, 'relu'), { class_name: 'Dropout', config: { rate: 0.5, noise_shape: [null, 1] } }, dense(4)] };
    const run = await train(model, SPARSE, classification(40), { batchSize: 8, epochs: 2 });
    assert.equal(run.execution, 'eager');
    assert.ok(run.history.loss.every(Number.isFinite));
  });

  graphTest('a TimeDistributed layer traces as the layer it wraps does', async () => {
    const wrapped = (layer: unknown) => ({ sequential: [input([6]), { class_name: 'Reshape', config: { target_shape: [3, 2] } }, { class_name: 'TimeDistributed', config: { layer } }, { class_name: 'Flatten', config: {} }, dense(4)] });
    const dropout = await train(wrapped({ class_name: 'Dropout', config: { rate: 0.5 } }), SPARSE, classification(40), { batchSize: 8, epochs: 2 });
    assert.equal(dropout.execution, 'eager', "tfjs's Dropout draws on the host");
    const dense3 = await train(wrapped({ class_name: 'Dense', config: { units: 3 } }), SPARSE, classification(40), { batchSize: 8, epochs: 2 });
    assert.equal(dense3.execution, 'graph');
  });
});
