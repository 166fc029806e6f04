/**
 * Honour or refuse, for every option the service accepts: each config key of every registered
 * layer, loss, metric, optimizer and callback is either carried out and shown to give Keras's
 * numbers (a committed parity case sets it to a value other than Keras's default, or a named test
 * holds it to Keras's documented behaviour), or refused at submit with a 422 that names it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CALLBACKS, LOSSES, METRICS, OPTIMIZERS, resolve, type Family } from '../src/spec/catalog.ts';
import { CHANNELS_LAST_ONLY, LAYERS, sameValue, type OptionRule } from '../src/spec/layers/index.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { post } from './helpers/http.ts';
import { oneLayerModel } from './helpers/layer-hosts.ts';

const PARITY = path.join(import.meta.dirname, 'fixtures/parity');
const FAMILIES: Record<string, Family> = { loss: LOSSES, metric: METRICS, optimizer: OPTIMIZERS, callback: CALLBACKS };

type Option = { family: string; cls: string; key: string; rule: OptionRule | undefined; keras: unknown };

/** Every accepted option: the class's Keras config keys (a layer's also name, trainable, dtype). */
function options(): Option[] {
  const out: Option[] = [];
  for (const [cls, def] of Object.entries(LAYERS)) {
    for (const key of ['trainable', 'dtype', ...Object.keys(def.keras)]) out.push({ family: 'layer', cls, key, rule: key === 'trainable' ? true : def.honours[key], keras: key === 'trainable' ? true : def.keras[key] });
  }
  for (const [family, fam] of Object.entries(FAMILIES)) {
    for (const [cls, def] of Object.entries(fam.classes)) for (const key of Object.keys(def.keras)) out.push({ family, cls, key, rule: def.honours[key], keras: def.keras[key] });
  }
  return out;
}

/** family:class:key of every option a committed parity case sets to a value other than Keras's default. */
function parityCoverage(): Set<string> {
  const covered = new Set<string>();
  const note = (family: string, cls: string, config: Record<string, unknown> | undefined, defaults: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(config ?? {})) if (!(Object.hasOwn(defaults, k) && sameValue(v, defaults[k]))) covered.add(`${family}:${cls}:${k}`);
  };
  const walkModel = (m: any) => {
    for (const l of m.layers ?? (m.sequential ?? []).slice(1)) {
      if (l.class_name === 'Sequential' || l.class_name === 'Functional') walkModel(l.config);
      else if (LAYERS[l.class_name]) note('layer', l.class_name, l.config, { ...LAYERS[l.class_name].keras, trainable: true });
    }
  };
  const walkIds = (family: string, value: unknown): void => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) return value.forEach((v) => walkIds(family, v));
    if (typeof value === 'object' && !('class_name' in value)) return Object.values(value).forEach((v) => walkIds(family, v));
    const r = resolve(FAMILIES[family], value as never, family);
    if (!('error' in r) && FAMILIES[family].classes[r.class_name]) note(family, r.class_name, r.config, FAMILIES[family].classes[r.class_name].keras);
  };
  for (const file of fs.readdirSync(PARITY).filter((f) => f.endsWith('.json'))) {
    const { spec } = JSON.parse(fs.readFileSync(path.join(PARITY, file), 'utf8'));
    walkModel(spec.model);
    walkIds('optimizer', spec.compile.optimizer);
    walkIds('loss', spec.compile.loss);
    walkIds('metric', spec.compile.metrics);
    walkIds('callback', spec.fit?.callbacks);
  }
  return covered;
}

/**
 * Options one implementation serves for every class of the family: a parity case of one class
 * shows them (the optimizers' base class clips, decays, averages and accumulates for all seven;
 * every loss is reduced by one function; a metric's name is its history key for all).
 */
const SHARED: Record<string, string[]> = {
  // One mechanism freezes every layer's weights (and BatchNormalization's statistics, see test/layer-options.test.ts).
  layer: ['trainable'],
  optimizer: ['learning_rate', 'weight_decay', 'clipnorm', 'global_clipnorm', 'clipvalue', 'use_ema', 'ema_momentum', 'ema_overwrite_frequency', 'gradient_accumulation_steps'],
  loss: ['reduction'],
  metric: ['name'],
};

/** Options Keras itself computes nothing different for, with the reason. */
const NO_EFFECT: Record<string, string> = {
  'loss:*:name': "a loss's name appears in nothing fit, evaluate or predict report",
  'optimizer:*:name': "an optimizer's name appears in nothing fit reports",
  'layer:SimpleRNN:unroll': 'how the loop runs, not what it computes (the graph step unrolls anyway)',
  'layer:LSTM:seed': 'read only by dropout, which is refused unless 0',
  'layer:GRU:seed': 'read only by dropout, which is refused unless 0',
  'layer:BatchNormalization:synchronized': 'synchronizes statistics across devices; the service trains on one',
  'layer:BatchNormalization:renorm_momentum': 'read only by renorm, which is refused unless false',
  'callback:EarlyStopping:verbose': 'prints; the service emits an early_stopping event either way',
  'callback:ReduceLROnPlateau:verbose': 'prints; the service emits a learning-rate event either way',
  'callback:ModelCheckpoint:verbose': 'prints; the service emits a checkpoint event either way',
  'callback:LearningRateScheduler:verbose': 'prints',
  'layer:MultiHeadAttention:attention_axes': 'null, 1 and [1] are all the steps axis of (batch, steps, features), the one axis taken',
};

/** Options held to Keras's behaviour by a test other than parity: the test file names them. */
const ELSEWHERE: Record<string, string> = {
  'layer:*:*_initializer': 'test/layer-options.test.ts',
  'layer:Dropout:noise_shape': 'test/layer-options.test.ts',
  'layer:SimpleRNN:dropout': 'test/layer-options.test.ts',
  'layer:LSTM:dropout': 'test/layer-options.test.ts',
  'layer:GRU:dropout': 'test/layer-options.test.ts',
  'callback:ModelCheckpoint:filepath': 'test/run-fit.test.ts',
  'callback:ModelCheckpoint:save_best_only': 'test/run-fit.test.ts',
  'callback:ModelCheckpoint:save_weights_only': 'test/examples.test.ts',
  'callback:ModelCheckpoint:monitor': 'test/layer-options.test.ts',
  'callback:ModelCheckpoint:mode': 'test/layer-options.test.ts',
  'callback:ModelCheckpoint:initial_value_threshold': 'test/layer-options.test.ts',
  'callback:CSVLogger:filename': 'test/run-fit.test.ts',
  'callback:CSVLogger:separator': 'test/layer-options.test.ts',
  'callback:CSVLogger:append': 'test/layer-options.test.ts',
};

const match = <T>(table: Record<string, T>, o: Option): T | undefined =>
  table[`${o.family}:${o.cls}:${o.key}`] ?? table[`${o.family}:*:${o.key}`] ?? (o.key.endsWith('_initializer') ? table[`${o.family}:*:*_initializer`] : undefined);

/** Rules that accept Keras's default and nothing else the engine lacks: tested as refusals. */
const defaultOnly = (o: Option) => o.rule === undefined || o.rule === CHANNELS_LAST_ONLY || o.key === 'dtype';

/** A value other than Keras's default for a refused option. */
function probe(o: Option): unknown {
  if (o.key === 'dtype') return 'float16';
  if (o.key === 'data_format') return 'channels_first';
  const d = o.keras;
  if (typeof d === 'boolean') return !d;
  if (typeof d === 'number') return Number.isInteger(d) ? d + 2 : d * 2 + 0.5;
  if (typeof d === 'string') return `${d}_other`;
  return 2;
}

/** Refused values of options whose rule takes only some values. */
const REFUSED_VALUES: Record<string, unknown> = {
  'loss:*:reduction': 'none',
  'loss:SparseCategoricalCrossentropy:ignore_class': 0.5,
  'metric:TopKCategoricalAccuracy:k': 0,
  'metric:SparseTopKCategoricalAccuracy:k': 0,
  'metric:AUC:num_thresholds': 1,
  'metric:AUC:curve': 'DET',
  'metric:AUC:summation_method': 'trapezoid',
  'metric:Precision:thresholds': [0.3, 0.6],
  'metric:Recall:thresholds': [0.3, 0.6],
  'metric:Precision:top_k': 0,
  'metric:Recall:top_k': 0,
  'metric:Precision:class_id': -1,
  'metric:Recall:class_id': -1,
  'optimizer:*:clipnorm': -1,
  'optimizer:*:global_clipnorm': -1,
  'optimizer:*:clipvalue': -1,
  'optimizer:*:ema_momentum': 1.5,
  'optimizer:*:ema_overwrite_frequency': 0,
  'optimizer:*:gradient_accumulation_steps': 1,
  'layer:Conv1D:groups': 0,
  'layer:SimpleRNN:dropout': 1,
  'layer:LSTM:dropout': 1,
  'layer:GRU:dropout': 1,
  'layer:Conv2D:groups': 0,
  'layer:DepthwiseConv1D:depth_multiplier': 0,
  'layer:DepthwiseConv2D:depth_multiplier': 0,
  'layer:SeparableConv1D:depth_multiplier': 0,
  'layer:SeparableConv2D:depth_multiplier': 0,
  'layer:UpSampling2D:interpolation': 'bicubic',
  'layer:ReLU:max_value': -1,
  'layer:ReLU:negative_slope': -1,
  'layer:ReLU:threshold': -1,
  'layer:LeakyReLU:negative_slope': -1,
  'layer:ELU:alpha': 'one',
  'layer:Softmax:axis': 1.5,
  'layer:Rescaling:scale': 'half',
  'layer:Rescaling:offset': 'half',
  'layer:MultiHeadAttention:attention_axes': [2],
  'layer:Bidirectional:merge_mode': 'max',
  'layer:Bidirectional:layer': { class_name: 'Dense', config: { units: 2 } },
  'layer:Bidirectional:backward_layer': { class_name: 'GRU', config: { units: 2, go_backwards: true } },
  'layer:SpatialDropout1D:rate': 1,
  'layer:SpatialDropout2D:rate': 1,
  'layer:GaussianNoise:stddev': 1.5,
  'layer:GaussianDropout:rate': 1,
  'layer:AlphaDropout:rate': 1,
  'layer:ActivityRegularization:l1': -0.1,
  'layer:ActivityRegularization:l2': -0.1,
  'layer:Resizing:interpolation': 'bicubic',
  'layer:Resizing:fill_value': 'white',
  'layer:Attention:score_mode': 'additive',
  'layer:TimeDistributed:layer': { class_name: 'LSTM', config: { units: 2 } },
};

/** A fit job putting `config` on the option's class, and where its key is in the body. */
function jobWith(o: Option, config: Record<string, unknown>): { body: any; at: string } {
  const data = { x: { random: { kind: 'uniform', shape: [8, 4], seed: 1 } }, y: { random: { kind: 'uniform', shape: [8, 2], seed: 2 } } };
  const mlp = { inputs: [{ name: 'x', shape: [4] }], layers: [{ name: 'out', class_name: 'Dense', config: { units: 2 }, inbound: ['x'] }], outputs: ['out'] };
  const compile = { optimizer: 'sgd', loss: 'mse' } as Record<string, unknown>;
  const obj = { class_name: o.cls, config };
  if (o.family === 'layer') return { body: { type: 'fit', model: oneLayerModel(o.cls, config), compile, fit: data }, at: `/model/layers/0/config/${o.key}` };
  if (o.family === 'loss') return { body: { type: 'fit', model: mlp, compile: { ...compile, loss: obj }, fit: data }, at: `/compile/loss/config/${o.key}` };
  if (o.family === 'metric') return { body: { type: 'fit', model: mlp, compile: { ...compile, metrics: [obj] }, fit: data }, at: `/compile/metrics/0/config/${o.key}` };
  if (o.family === 'optimizer') return { body: { type: 'fit', model: mlp, compile: { ...compile, optimizer: obj }, fit: data }, at: `/compile/optimizer/config/${o.key}` };
  const required: Record<string, Record<string, unknown>> = { ModelCheckpoint: { filepath: 'ckpt' }, CSVLogger: { filename: 'log.csv' }, LearningRateScheduler: { schedule: [0.1] } };
  return { body: { type: 'fit', model: mlp, compile, fit: { ...data, callbacks: [{ class_name: o.cls, config: { ...required[o.cls], ...config } }] } }, at: `/fit/callbacks/0/config/${o.key}` };
}

const all = options();
const covered = parityCoverage();
const sharedCovered = (o: Option) => SHARED[o.family]?.includes(o.key) && [...covered].some((c) => c.startsWith(`${o.family}:`) && c.endsWith(`:${o.key}`));

describe('honour or refuse: every accepted option', () => {
  test('every option the service carries out is shown to give Keras\'s numbers', () => {
    const unproven: string[] = [];
    for (const o of all.filter((x) => !defaultOnly(x))) {
      const id = `${o.family}:${o.cls}:${o.key}`;
      if (covered.has(id) || sharedCovered(o) || match(NO_EFFECT, o)) continue;
      const file = match(ELSEWHERE, o);
      if (file) {
        const named = o.key.endsWith('_initializer') && !ELSEWHERE[id] ? '_initializer' : o.key;
        assert.ok(fs.readFileSync(path.join(import.meta.dirname, '..', file), 'utf8').includes(named), `${file} is said to test ${id} but never names "${named}"`);
        continue;
      }
      unproven.push(id);
    }
    assert.deepEqual(unproven, [], 'carried out, but neither a parity case nor a named test shows it: record a Keras case (test/fixtures/parity/generator) or refuse the option');
  });

  test('the tables above name only options that exist', () => {
    const ids = new Set(all.map((o) => `${o.family}:${o.cls}:${o.key}`));
    for (const key of [...Object.keys(NO_EFFECT), ...Object.keys(ELSEWHERE), ...Object.keys(REFUSED_VALUES)]) {
      const [family, cls, k] = key.split(':');
      const exists = [...ids].some((id) => {
        const [f, c, kk] = id.split(':');
        return f === family && (cls === '*' || c === cls) && (k === '*_initializer' ? kk.endsWith('_initializer') : kk === k);
      });
      assert.ok(exists, `${key} is no accepted option`);
    }
  });

  let stack: Stack;
  before(async () => {
    stack = await startStack({ worker: false });
  });
  after(async () => {
    await stack.close();
  });

  const refusals: Array<[Option, unknown]> = [
    ...all.filter(defaultOnly).map((o): [Option, unknown] => [o, probe(o)]),
    ...all.filter((o) => !defaultOnly(o) && typeof o.rule === 'function').map((o): [Option, unknown] => [o, match(REFUSED_VALUES, o)]),
  ];
  test('every option with a refused value has one to try', () => {
    const missing = refusals.filter(([, v]) => v === undefined).map(([o]) => `${o.family}:${o.cls}:${o.key}`);
    assert.deepEqual(missing, [], 'add a refused value to REFUSED_VALUES');
  });

  test(`a value the engine does not carry out is a 422 naming the option (${refusals.length} options)`, async () => {
    const wrong: string[] = [];
    for (const [o, value] of refusals) {
      if (value === undefined) continue;
      const { body, at } = jobWith(o, { [o.key]: value });
      const res = await post(stack, '/v1/jobs', body);
      const issue = (res.body.errors ?? []).find((e: { pointer: string }) => e.pointer === at) ?? (res.body.errors ?? [])[0];
      if (res.status !== 422 || !issue || issue.pointer !== at || !issue.message.includes(o.key)) {
        wrong.push(`${o.family}:${o.cls}:${o.key}=${JSON.stringify(value)} → ${res.status} ${JSON.stringify(res.body.errors ?? res.body).slice(0, 200)}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});
