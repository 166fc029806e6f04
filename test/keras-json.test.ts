/**
 * Keras JSON in and out (src/keras/from-keras-json.ts, src/keras/to-keras-json.ts) against files
 * real Keras wrote (test/fixtures/keras/json, made by make_json_golden.py there): every golden is
 * translated, checked by our schema and graph checks, built by the engine with Keras's weights and
 * must predict what Keras predicted; exports must equal Keras's own to_json.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Ajv } from 'ajv';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/backend.ts';
import { KerasModel } from '../src/engine/model.ts';
import { resolveCompile } from '../src/spec/compile.ts';
import { checkGraph, normalizeModel, type Graph } from '../src/spec/graph.ts';
import { LAYERS } from '../src/spec/layers/index.ts';
import { CompileSpec, FitJobCreate, GraphModel, ModelSpec } from '../src/spec/schema.ts';
import { pythonJson } from '../src/keras/keras-archive.ts';
import { fromKerasJson, type FromKerasResult } from '../src/keras/from-keras-json.ts';
import {
  KERAS_INITIALIZERS,
  KERAS_LAYERS,
  KERAS_OPTIMIZERS,
  kerasLayerConfig,
  kerasModelWeightSpecs,
  kerasWeightSpecs,
  toKerasJson,
} from '../src/keras/to-keras-json.ts';
import { KerasImportError } from '../src/keras/types.ts';

const DIR = new URL('./fixtures/keras/json/', import.meta.url);

interface Encoded {
  name?: string;
  path?: string;
  dtype?: 'float32' | 'int32';
  shape: number[];
  b64: string;
}

interface Golden {
  name: string;
  format: string;
  to_json: string;
  keras_config?: Record<string, unknown>;
  weights: Record<string, Encoded[]>;
  inputs: Encoded[];
  outputs: Encoded[];
  tolerance: { rtol: number; atol: number };
}

type Json = Record<string, any>;

const read = <T>(file: string): T => JSON.parse(fs.readFileSync(new URL(file, DIR), 'utf8')) as T;
const goldens = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.json') && f !== 'keras_defaults.json' && f !== 'unsupported.json')
  .sort()
  .map((f) => read<Golden>(f));

function decode(e: Encoded): tf.Tensor {
  const bytes = Buffer.from(e.b64, 'base64');
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return e.dtype === 'int32' ? tf.tensor(new Int32Array(buffer), e.shape, 'int32') : tf.tensor(new Float32Array(buffer), e.shape, 'float32');
}

/** The request body is validated as the app does it: Ajv on the TypeBox schemas, nothing coerced. */
const ajv = new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: true, strict: false });
const validators = { model: ajv.compile(GraphModel), anyModel: ajv.compile(ModelSpec), compile: ajv.compile(CompileSpec), fit: ajv.compile(FitJobCreate) };

function assertValidSpec(r: FromKerasResult, label: string): void {
  assert.ok(validators.model(r.model), `${label}: GraphModel schema: ${ajv.errorsText(validators.model.errors)}`);
  assert.ok(validators.anyModel(r.model), `${label}: ModelSpec schema: ${ajv.errorsText(validators.anyModel.errors)}`);
  if (r.compile) {
    assert.ok(validators.compile(r.compile), `${label}: CompileSpec schema: ${ajv.errorsText(validators.compile.errors)}`);
    resolveCompile(r.compile, r.model.outputs);
    const body = { type: 'fit', model: r.model, compile: r.compile, fit: { x: { random: { kind: 'uniform', shape: [4, 2] } }, y: { random: { kind: 'uniform', shape: [4, 1] } } } };
    assert.ok(validators.fit(body), `${label}: fit job body: ${ajv.errorsText(validators.fit.errors)}`);
  }
}

function assertClose(actual: Float32Array | Int32Array, expected: Float32Array | Int32Array, { rtol, atol }: Golden['tolerance'], label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= atol + rtol * Math.abs(expected[i]))) assert.fail(`${label}[${i}]: got ${actual[i]}, Keras ${expected[i]} (|diff| ${diff})`);
  }
}

/** Normalized graph without the pointers our checks add, for comparing translations. */
const graphOf = (r: FromKerasResult) => {
  const g = normalizeModel(r.model);
  return { ...g, layers: g.layers.map(({ at: _at, ...rest }) => rest) };
};

describe('Keras JSON goldens → our spec → engine predictions equal Keras', () => {
  before(async () => {
    await initBackend();
  });

  test('the goldens are all here', () => {
    assert.deepEqual(goldens.map((g) => g.name), [
      'gru', 'legacy_keras22_lstm', 'legacy_tf2_multi_io', 'legacy_tf2_sequential_cnn', 'lstm', 'misc_layers', 'sequential_cnn', 'tutorial_mlp', 'tutorial_multi_io',
    ]);
  });

  for (const golden of goldens) {
    test(`${golden.name} (${golden.format})`, () => {
      const before = tf.memory().numTensors;
      // The string exactly as to_json returned it, and the parsed object, translate the same.
      const translated = fromKerasJson(golden.to_json);
      assert.deepEqual(fromKerasJson(JSON.parse(golden.to_json)), translated);
      assertValidSpec(translated, golden.name);
      const checked = checkGraph(normalizeModel(translated.model));

      // Keras's variable paths and shapes are what our weight-order helper says.
      const specs = kerasModelWeightSpecs(checked);
      assert.deepEqual(
        Object.fromEntries(Object.entries(specs).map(([k, v]) => [k, v.map((s) => [s.path, s.shape])])),
        // A Sequential's variables sit under the model's name ("sequential/conv2d/kernel"); a functional model's do not.
        Object.fromEntries(Object.entries(golden.weights).map(([k, v]) => [k, v.map((w) => [w.path!.slice(w.path!.indexOf(`${k}/`)), w.shape])])),
      );

      const model = new KerasModel(checked);
      try {
        const weights = Object.fromEntries(Object.entries(golden.weights).map(([layer, ws]) => [layer, ws.map(decode)]));
        model.setWeights(weights);
        tf.dispose(Object.values(weights).flat());
        const inputs = golden.inputs.map(decode);
        const outputs = tf.tidy(() => model.forward(inputs, false));
        golden.outputs.forEach((expected, i) => {
          assert.deepEqual(outputs[i].shape, expected.shape, `${golden.name}: output ${expected.name} shape`);
          const want = decode(expected);
          assertClose(outputs[i].dataSync() as Float32Array, want.dataSync() as Float32Array, golden.tolerance, `${golden.name}/${expected.name}`);
          want.dispose();
        });
        tf.dispose([...inputs, ...outputs]);
      } finally {
        model.dispose();
      }
      assert.equal(tf.memory().numTensors, before, 'every tensor made here was disposed');
    });
  }

  test('a .keras archive config.json translates as the to_json string does', () => {
    for (const golden of goldens.filter((g) => g.keras_config)) {
      assert.deepEqual(fromKerasJson(golden.keras_config), fromKerasJson(golden.to_json), golden.name);
    }
  });

  test('the tf.keras 2 files translate to the same model as their Keras 3 originals (up to the implicit input name)', () => {
    const byName = new Map(goldens.map((g) => [g.name, fromKerasJson(g.to_json)]));
    const pairs: Array<[string, string]> = [['legacy_tf2_multi_io', 'tutorial_multi_io'], ['legacy_tf2_sequential_cnn', 'sequential_cnn'], ['legacy_keras22_lstm', 'lstm']];
    for (const [legacy, keras3] of pairs) {
      const a = graphOf(byName.get(legacy)!);
      const b = graphOf(byName.get(keras3)!);
      assert.deepEqual(a.layers.map((l) => [l.name, l.class_name, l.config, l.inbound.length]), b.layers.map((l) => [l.name, l.class_name, l.config, l.inbound.length]), legacy);
      assert.deepEqual(a.inputs.map((i) => i.shape), b.inputs.map((i) => i.shape), legacy);
    }
  });
});

describe('toKerasJson', () => {
  test('round trip: fromKerasJson(toKerasJson(spec)) gives the same graph and compile for every golden', () => {
    for (const golden of goldens) {
      const first = fromKerasJson(golden.to_json);
      const exported = toKerasJson(first.model, { compile: first.compile });
      const again = fromKerasJson(JSON.stringify(exported));
      assert.deepEqual(graphOf(again), graphOf(first), golden.name);
      assert.deepEqual(again.compile, first.compile, golden.name);
    }
  });

  /**
   * For functional goldens written by Keras 3 the export equals Keras's own to_json: module and
   * class names, layer order, every config key and value, build_config, inbound nodes with tensor
   * shapes and dtypes, input/output layers. Deliberate differences, both in compile_config only:
   * loss and metric objects carry the options we know (Keras adds ones left at null, e.g.
   * ignore_class), and config.json's shared_object_id markers are not written (to_json has none).
   */
  for (const name of ['tutorial_mlp', 'tutorial_multi_io', 'lstm', 'gru', 'misc_layers']) {
    test(`export equals Keras's to_json: ${name}`, () => {
      const golden = goldens.find((g) => g.name === name)!;
      const keras = JSON.parse(golden.to_json) as Json;
      const ours = fromKerasJson(golden.to_json);
      const exported = toKerasJson(ours.model, { name: keras.config.name, compile: ours.compile }) as Json;
      const { compile_config: kerasCompile, ...kerasModel } = keras;
      const { compile_config: ourCompile, ...ourModel } = exported;
      assert.deepEqual(ourModel.config.layers.map((l: Json) => l.name), kerasModel.config.layers.map((l: Json) => l.name), 'layer order');
      assert.deepEqual(ourModel, kerasModel);
      const dropNulls = (v: unknown): unknown =>
        Array.isArray(v) ? v.map(dropNulls) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, dropNulls(x)])) : v;
      assert.deepEqual(dropNulls(ourCompile), dropNulls(kerasCompile));
    });
  }

  test('a Sequential exports as the equivalent Functional model with the same layer configs', () => {
    const golden = goldens.find((g) => g.name === 'sequential_cnn')!;
    const keras = JSON.parse(golden.to_json) as Json;
    const exported = toKerasJson(fromKerasJson(golden.to_json).model) as Json;
    assert.equal(exported.class_name, 'Functional');
    const strip = (l: Json) => ({ module: l.module, class_name: l.class_name, config: l.config, registered_name: l.registered_name, build_config: l.build_config });
    // Keras's Sequential lists the InputLayer without inbound nodes; ours is a functional layer list.
    assert.deepEqual(exported.config.layers.map(strip), keras.config.layers.map(strip));
  });

  test('the tutorial\'s Sequential shorthand and a checked graph export alike', () => {
    const spec = {
      sequential: [
        { class_name: 'InputLayer', config: { shape: [32] } },
        { class_name: 'Dense', config: { units: 64, activation: 'relu' } },
        { class_name: 'Dense', config: { units: 10 } },
      ],
    };
    const fromSpec = toKerasJson(spec);
    const fromGraph = toKerasJson(checkGraph(normalizeModel(spec)) as Graph);
    assert.deepEqual(fromSpec, fromGraph);
    const back = fromKerasJson(fromSpec);
    assert.deepEqual(back.model.layers.map((l) => [l.name, l.config]), [['dense', { units: 64, activation: 'relu' }], ['dense_1', { units: 10 }]]);
  });

  test('options Keras writes differently: ints as tuples, pooling strides, initializer and regularizer strings, LeCun', () => {
    const exported = toKerasJson({
      inputs: [{ name: 'img', shape: [8, 8, 2] }],
      layers: [
        { name: 'c', class_name: 'Conv2D', config: { filters: 2, kernel_size: 3, strides: 1, kernel_initializer: 'lecun_normal', kernel_regularizer: 'l2', bias_regularizer: 'l1_l2' }, inbound: ['img'] },
        { name: 'p', class_name: 'AveragePooling2D', config: { pool_size: 3 }, inbound: ['c'] },
        { name: 'f', class_name: 'Flatten', inbound: ['p'] },
        { name: 'd', class_name: 'Dense', config: { units: 1, kernel_initializer: { class_name: 'LeCunUniform', config: { seed: 4 } } }, inbound: ['f'] },
      ],
      outputs: ['d'],
    }) as Json;
    const [, conv, pool, , dense] = exported.config.layers as Json[];
    assert.deepEqual([conv.config.kernel_size, conv.config.strides], [[3, 3], [1, 1]]);
    assert.deepEqual(conv.config.kernel_initializer, { module: 'keras.initializers', class_name: 'LecunNormal', config: { seed: null, input_axes: null, output_axes: null }, registered_name: null });
    assert.deepEqual(conv.config.kernel_regularizer.config, { l2: 0.01 });
    assert.deepEqual([conv.config.bias_regularizer.class_name, conv.config.bias_regularizer.config], ['L1L2', { l1: 0, l2: 0 }]);
    assert.deepEqual([pool.config.pool_size, pool.config.strides], [[3, 3], [3, 3]]);
    assert.deepEqual(dense.config.kernel_initializer.config, { seed: 4, input_axes: null, output_axes: null });
    const back = fromKerasJson(exported);
    assert.deepEqual(back.model.layers[0].config?.kernel_initializer, { class_name: 'LeCunNormal', config: {} });
    assert.deepEqual(back.model.layers[3].config?.kernel_initializer, { class_name: 'LeCunUniform', config: { seed: 4 } });
  });
});

describe('pythonJson on exported Keras JSON', () => {
  test('writes Keras\'s float options with a decimal point (Keras 3 refuses an int learning_rate or SGD momentum)', () => {
    const exported = toKerasJson(
      { sequential: [{ class_name: 'InputLayer', config: { shape: [3] } }, { class_name: 'Dropout', config: { rate: 0 } }, { class_name: 'Dense', config: { units: 2 } }] },
      { compile: { optimizer: { class_name: 'SGD', config: { learning_rate: 1 } }, loss: 'mse' } },
    );
    const text = pythonJson(exported);
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(exported)), 'the same JSON value');
    assert.match(text, /"learning_rate": 1\.0,/);
    assert.match(text, /"momentum": 0\.0,/);
    assert.match(text, /"rate": 0\.0,/);
    assert.match(text, /"units": 2,/);
    assert.match(text, /"batch_shape": \[null, 3\]/);
  });
});

describe('the Keras defaults tables equal Keras 3 (keras_defaults.json)', () => {
  const defaults = read<Json>('keras_defaults.json');

  test('one entry per catalog layer class', () => {
    assert.deepEqual(Object.keys(KERAS_LAYERS).sort(), Object.keys(LAYERS).sort());
    assert.deepEqual(Object.keys(defaults.layers).sort(), Object.keys(LAYERS).sort());
  });

  for (const cls of Object.keys(LAYERS)) {
    test(`${cls}: get_config(), build_config, call kwargs and variables`, () => {
      const keras = defaults.layers[cls] as Json;
      // The keys without a default get Keras's probe values; everything else comes from our table.
      const config = Object.fromEntries(keras.required.map((k: string) => [k, keras.config[k]]));
      const layer = { name: keras.config.name, class_name: cls, config };
      const probe = keras.probe_input_shape as Array<Array<number | null> | number | null>;
      const shapes = (Array.isArray(probe[0]) ? probe : [probe]) as Array<Array<number | null>>;
      assert.deepEqual(kerasLayerConfig(layer, shapes), keras.config);
      assert.equal(KERAS_LAYERS[cls].build, keras.build_config);
      assert.deepEqual(KERAS_LAYERS[cls].kwargs ?? {}, keras.call_kwargs);
      const specs = kerasWeightSpecs(layer, shapes.map((s) => s.slice(1)));
      assert.deepEqual(specs.map((s) => ({ path: s.path, shape: s.shape })), keras.variables);
    });
  }

  test('initializers and optimizers', () => {
    for (const [cls, obj] of Object.entries(defaults.initializers as Record<string, Json>)) {
      assert.deepEqual(KERAS_INITIALIZERS[cls], obj.config, cls);
    }
    assert.deepEqual(KERAS_OPTIMIZERS, defaults.optimizers);
  });
});

describe('what the service cannot take → KerasImportError naming layer and option', () => {
  const unsupported = read<{ to_json: string }>('unsupported.json');
  const keras = JSON.parse(unsupported.to_json) as Json;
  const at = (layerName: string) => `/config/layers/${(keras.config.layers as Json[]).findIndex((l) => l.name === layerName)}`;

  test('every problem is reported at once, with pointers into the Keras JSON', () => {
    let error: KerasImportError | undefined;
    try {
      fromKerasJson(unsupported.to_json);
    } catch (err) {
      error = err as KerasImportError;
    }
    assert.ok(error instanceof KerasImportError, 'throws KerasImportError');
    const byPointer = new Map(error.issues.map((i) => [i.pointer, i.message]));
    const expect = (pointer: string, ...parts: string[]) => {
      const message = byPointer.get(pointer);
      assert.ok(message, `an issue at ${pointer}; got ${[...byPointer.keys()].join(', ')}`);
      for (const part of parts) assert.ok(message.includes(part), `${pointer}: "${message}" should mention "${part}"`);
    };
    expect(`${at('lambda_1')}/class_name`, 'layer "lambda_1" (Lambda) is not supported', `supported layers: ${Object.keys(LAYERS).join(', ')}`);
    expect(`${at('constrained')}/config/kernel_constraint`, 'layer "constrained" (Dense)', 'kernel_constraint', 'MaxNorm', "only Keras's default null");
    expect(`${at('leaky')}/config/activation`, 'sparsemax', 'supported: linear, relu');
    expect(`${at('half')}/config/dtype`, 'float16');
    assert.ok(!byPointer.has(`${at('shared')}/inbound_nodes`), 'a shared layer (two inbound nodes) imports now');
    expect(`${at('scale')}/class_name`, 'custom layer', 'my_pkg>Scale');
    expect(`${at('sin')}/class_name`, 'raw operation');
    expect(`${at('out')}/config/activity_regularizer`, 'activity_regularizer');
    expect('/compile_config/optimizer/config/learning_rate', 'ExponentialDecay', 'LearningRateScheduler');
    assert.ok(!byPointer.has('/compile_config/optimizer/config/use_ema'), 'use_ema is carried out now, so it imports');
    expect('/compile_config/weighted_metrics', 'weighted_metrics');
    assert.equal(error.issues.length, byPointer.size, 'one issue per pointer');
    assert.match(error.message, /lambda_1/);
  });

  const base = (layer: Json, input: Json = { batch_shape: [null, 8, 8, 3] }) => ({
    module: 'keras',
    class_name: 'Sequential',
    config: { name: 's', layers: [{ module: 'keras.layers', class_name: 'InputLayer', config: { ...input, dtype: 'float32', name: 'in' }, registered_name: null }, { module: 'keras.layers', registered_name: null, ...layer }] },
    registered_name: null,
  });
  const issuesOf = (json: unknown) => {
    try {
      fromKerasJson(json);
    } catch (err) {
      if (err instanceof KerasImportError) return err.issues;
      throw err;
    }
    return [];
  };

  test('options the catalog lists but the engine does not carry out are refused unless at Keras\'s default', () => {
    const conv = (extra: Json) => base({ class_name: 'Conv2D', config: { name: 'c', filters: 4, kernel_size: [3, 3], ...extra } });
    assert.deepEqual(issuesOf(conv({ groups: 1, data_format: 'channels_last' })), []);
    assert.match(issuesOf(conv({ groups: 3 }))[0].message, /groups 3 must divide both the input channels \(3\) and filters \(4\)/);
    const grouped = base({ class_name: 'Conv2D', config: { name: 'c', filters: 4, kernel_size: [3, 3], groups: 2 } }, { batch_shape: [null, 8, 8, 4] });
    assert.deepEqual(issuesOf(grouped), [], 'grouped convolutions import');
    assert.equal(issuesOf(conv({ data_format: 'channels_first' }))[0].pointer, '/config/layers/1/config/data_format');
    const lstm = base({ class_name: 'LSTM', config: { name: 'l', units: 2, recurrent_dropout: 0.5, stateful: true } }, { batch_shape: [null, 5, 3] });
    assert.deepEqual(issuesOf(lstm).map((i) => i.pointer), ['/config/layers/1/config/recurrent_dropout', '/config/layers/1/config/stateful']);
    const vs = (config: Json) => base({ class_name: 'Dense', config: { name: 'd', units: 2, kernel_initializer: { class_name: 'VarianceScaling', config } } }, { batch_shape: [null, 4] });
    assert.deepEqual(issuesOf(vs({ scale: 3.0, mode: 'fan_out', distribution: 'uniform' })), [], 'VarianceScaling imports');
    assert.match(issuesOf(vs({ distribution: 'cauchy' }))[0].message, /VarianceScaling: distribution must be "truncated_normal", "untruncated_normal" or "uniform"/);
  });

  test('shape problems our own checks find come back with pointers into the Keras JSON', () => {
    const bad = base({ class_name: 'Conv2D', config: { name: 'c', filters: 4, kernel_size: [9, 9] } });
    const [issue] = issuesOf(bad);
    assert.equal(issue.pointer, '/config/layers/1/inbound_nodes');
    assert.match(issue.message, /smaller than the kernel/);
  });

  test('not a model: bad JSON text, a subclassed model', () => {
    assert.throws(() => fromKerasJson('{"class_name": '), (err: unknown) => err instanceof KerasImportError && /not JSON/.test(err.message));
    assert.throws(
      () => fromKerasJson({ module: 'my', class_name: 'MyModel', config: {}, registered_name: 'my_pkg>MyModel' }),
      (err: unknown) => err instanceof KerasImportError && err.issues[0].pointer === '/class_name',
    );
  });
});

describe('other Keras shapes of the same thing', () => {
  test('a Keras 3 Sequential built with build() (no InputLayer) takes build_input_shape', () => {
    const r = fromKerasJson({
      module: 'keras',
      class_name: 'Sequential',
      config: { name: 's', layers: [{ module: 'keras.layers', class_name: 'Dense', config: { name: 'dense', units: 3 }, registered_name: null }], build_input_shape: [null, 7] },
      registered_name: null,
    });
    assert.deepEqual(r.model.inputs, [{ name: 'input_layer', shape: [7] }]);
    checkGraph(normalizeModel(r.model));
  });

  test('a frozen model, a dict of outputs, int64 input, fixed batch size, a positive axis', () => {
    const exported = toKerasJson({
      inputs: [{ name: 'ids', shape: [6], dtype: 'int32' }],
      layers: [
        { name: 'emb', class_name: 'Embedding', config: { input_dim: 20, output_dim: 4 }, inbound: ['ids'] },
        { name: 'norm', class_name: 'LayerNormalization', config: { axis: 2 }, inbound: ['emb'] },
        { name: 'flat', class_name: 'Flatten', inbound: ['norm'] },
        { name: 'b', class_name: 'Dense', config: { units: 1 }, inbound: ['flat'] },
        { name: 'a', class_name: 'Dense', config: { units: 2 }, inbound: ['flat'] },
      ],
      outputs: ['a', 'b'],
    }) as Json;
    exported.config.trainable = false;
    exported.config.output_layers = { b: ['b', 0, 0], a: ['a', 0, 0] };
    exported.config.layers[0].config.dtype = 'int64';
    exported.config.layers[0].config.batch_shape = [16, 6];
    const r = fromKerasJson(exported);
    assert.deepEqual(r.model.inputs, [{ name: 'ids', shape: [6], dtype: 'int32' }]);
    assert.deepEqual(r.model.outputs, ['a', 'b'], 'Keras flattens a dict of outputs in key order');
    assert.ok(r.model.layers.every((l) => l.config?.trainable === false));
    assert.equal(r.model.layers[1].config?.axis, undefined, 'axis 2 of a rank-3 input is the default -1');
  });
});
