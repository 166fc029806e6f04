/**
 * Every job spec in examples/ (the Keras tutorial, section by section) goes to a real service over
 * real HTTP with its epochs cut to 2. Each must be accepted, complete, and show what its section is
 * about: Keras 3 history keys, validation, evaluate/predict results, callbacks acting as Keras's do.
 * The files are listed, not named, so a new example is tested as soon as it is added.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { materialize } from '../src/spec/arrays.ts';
import type { ArrayLike } from '../src/spec/schema.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { readEvents } from './helpers/sse.ts';

const examplesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'examples');
const files = fs.readdirSync(examplesDir).filter((f) => f.endsWith('.json')).sort();
const load = (file: string): any => JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8'));
const SHORT_EPOCHS = 2;
const JOB_DEADLINE_MS = 120_000;

type Event = { event: string; data: any };
type History = Record<string, number[]>;

async function submit(stack: Stack, spec: unknown): Promise<string> {
  const res = await fetch(`${stack.baseUrl}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
  const body = (await res.json()) as any;
  assert.equal(res.status, 202, `POST /v1/jobs answered ${res.status}: ${JSON.stringify(body)}`);
  return body.id;
}

async function finished(stack: Stack, id: string): Promise<any> {
  const deadline = Date.now() + JOB_DEADLINE_MS;
  for (;;) {
    const res = await fetch(`${stack.baseUrl}/v1/jobs/${id}`);
    const job = (await res.json()) as any;
    if (['completed', 'failed', 'cancelled'].includes(job.state)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state} after ${JOB_DEADLINE_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function run(stack: Stack, spec: any): Promise<{ job: any; events: Event[] }> {
  const id = await submit(stack, spec);
  const job = await finished(stack, id);
  assert.equal(job.state, 'completed', `job ${id} ended ${job.state}: ${JSON.stringify(job.error)}`);
  // Every tutorial model trains on the fast path: each step one TensorFlow graph.
  if (spec.type === 'fit' && job.backend === 'tensorflow') assert.equal(job.execution, 'graph', `job ${id} trained eagerly`);
  // The stream closes after the final event, so this returns the job's whole story.
  const events = (await readEvents(`${stack.baseUrl}/v1/jobs/${id}/events`)).map((e) => ({ event: e.event ?? 'message', data: JSON.parse(e.data) }));
  return { job, events };
}

const withEpochs = (spec: any, epochs: number) => ({ ...spec, fit: { ...spec.fit, epochs } });
const callback = (spec: any, name: string) => (spec.fit.callbacks ?? []).find((c: any) => c.class_name === name)?.config as Record<string, any> | undefined;

/** Keras 3's metric key: a string identifier verbatim, an object by its name (class name in snake_case). */
function metricKey(m: any): string {
  if (typeof m === 'string') return m;
  return m.config?.name ?? m.class_name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Training keys Keras 3 logs for this compile: loss, <output>_loss with several outputs, <output>_<metric>. */
function expectedTrainKeys(spec: any): string[] {
  const outputs: string[] = spec.model.outputs;
  const multi = outputs.length > 1;
  const metrics = spec.compile.metrics;
  const perOutput: any[][] = outputs.map((name, i) => {
    if (metrics === undefined) return [];
    if (!Array.isArray(metrics)) return [metrics[name] ?? []].flat();
    // A flat list applies to every output; a list of lists goes by output order.
    return metrics.some(Array.isArray) ? [metrics[i]].flat() : metrics;
  });
  const keys = ['loss', ...(multi ? outputs.map((o) => `${o}_loss`) : [])];
  outputs.forEach((o, i) => perOutput[i].forEach((m) => keys.push(multi ? `${o}_${metricKey(m)}` : metricKey(m))));
  return keys.sort();
}

type Mode = 'min' | 'max';
const direction = (monitor: string, mode: string | undefined): Mode => (mode === 'min' || mode === 'max' ? mode : /acc/.test(monitor) ? 'max' : 'min');

/** Keras's EarlyStopping over a finished history: the number of epochs it lets run. */
function earlyStoppingEpochs(values: number[], cfg: Record<string, any>, epochs: number): number {
  const mode = direction(cfg.monitor ?? 'val_loss', cfg.mode);
  const delta = Math.abs(cfg.min_delta ?? 0);
  let best: number | undefined;
  let wait = 0;
  for (let epoch = 0; epoch < values.length; epoch++) {
    const v = values[epoch];
    wait += 1;
    const better = best === undefined || (mode === 'min' ? Math.fround(v + delta) < best : Math.fround(v - delta) > best);
    if (better) {
      best = v;
      wait = 0;
    } else if (wait >= (cfg.patience ?? 0) && epoch > 0) return epoch + 1;
  }
  return epochs;
}

/** Keras's ReduceLROnPlateau over a finished history: the learning rate in effect during each epoch. */
function plateauLearningRates(values: number[], cfg: Record<string, any>, initial: number): number[] {
  const mode = direction(cfg.monitor ?? 'val_loss', cfg.mode);
  const delta = cfg.min_delta ?? 1e-4;
  const [factor, patience, cooldown, minLr] = [cfg.factor ?? 0.1, cfg.patience ?? 10, cfg.cooldown ?? 0, cfg.min_lr ?? 0];
  let best = mode === 'min' ? Infinity : -Infinity;
  let [wait, cooling, lr] = [0, 0, Math.fround(initial)];
  const rates: number[] = [];
  for (const v of values) {
    rates.push(lr);
    if (cooling > 0) {
      cooling -= 1;
      wait = 0;
    }
    if (mode === 'min' ? Math.fround(v + delta) < best : Math.fround(v - delta) > best) {
      best = v;
      wait = 0;
    } else if (cooling === 0 && ++wait >= patience && lr > Math.fround(minLr)) {
      lr = Math.fround(Math.max(lr * factor, minLr));
      cooling = cooldown;
      wait = 0;
    }
  }
  return rates;
}

/** Epochs at which Keras's ModelCheckpoint(save_best_only=True) saves: each strict improvement. */
function bestEpochs(values: number[], mode: Mode): number[] {
  let best = mode === 'min' ? Infinity : -Infinity;
  const saved: number[] = [];
  values.forEach((v, epoch) => {
    if (mode === 'min' ? v < best : v > best) {
      best = v;
      saved.push(epoch);
    }
  });
  return saved;
}

const firstDim = (data: any): number => {
  if (data.random) return data.random.shape[0];
  if (data.shape) return data.shape[0];
  if (Array.isArray(data)) return typeof data[0] === 'number' || Array.isArray(data[0]) ? data.length : firstDim(data[0]);
  return firstDim(Object.values(data)[0]);
};

/** What every example shows, whatever its section: derived from the spec, so new examples are covered. */
async function checkExample(stack: Stack, spec: any, job: any, events: Event[]) {
  const history: History = job.history;
  const epochs: number = spec.fit.epochs;
  const ran = history.loss.length;
  const es = callback(spec, 'EarlyStopping');
  const plateau = callback(spec, 'ReduceLROnPlateau');
  const ckpt = callback(spec, 'ModelCheckpoint');

  // Output names are known for functional models (the tutorial's); keys of others are only checked for loss.
  const named = Array.isArray(spec.model?.outputs) && spec.compile !== undefined;
  const trainKeys = named ? expectedTrainKeys(spec) : Object.keys(history).filter((k) => !k.startsWith('val_') && k !== 'learning_rate');
  const validated = spec.fit.validation_data !== undefined || spec.fit.validation_split !== undefined;
  const sorted = [...trainKeys, ...(validated ? trainKeys.map((k) => `val_${k}`) : [])].sort();
  assert.ok(trainKeys.includes('loss'));
  // Keras sorts train and validation keys together; ReduceLROnPlateau adds learning_rate after sorting.
  assert.deepEqual(Object.keys(history), [...sorted, ...(plateau ? ['learning_rate'] : [])]);
  for (const [key, values] of Object.entries(history)) {
    assert.equal(values.length, ran, `history.${key} has one value per epoch`);
    assert.ok(values.every(Number.isFinite), `history.${key} is finite`);
  }
  assert.equal(events.filter((e) => e.event === 'epoch_end').length, ran);
  assert.equal(events.at(-1)!.event, 'completed');

  if (es) {
    const values = history[es.monitor ?? 'val_loss'];
    assert.equal(ran, earlyStoppingEpochs(values, es, epochs), `EarlyStopping stops where Keras would (${es.monitor}: ${values.join(', ')})`);
    const stop = events.find((e) => e.event === 'early_stopping');
    assert.equal(stop !== undefined, ran < epochs);
    if (stop) assert.equal(stop.data.epoch, ran - 1);
  } else {
    assert.equal(ran, epochs);
  }

  if (plateau) {
    const monitor = plateau.monitor ?? 'val_loss';
    const expected = plateauLearningRates(history[monitor], plateau, spec.compile?.optimizer?.config?.learning_rate ?? 0.001);
    assert.deepEqual(history.learning_rate, expected, `learning rates follow Keras's plateau rule on ${monitor}: ${history[monitor].join(', ')}`);
    const reduced = events.filter((e) => e.event === 'lr_reduced').map((e) => e.data);
    // A reduction at the end of the last epoch shows in no epoch's learning_rate, only as an event.
    assert.deepEqual(reduced.filter((r) => r.epoch < ran - 1).map((r) => r.epoch), expected.flatMap((lr, e) => (e > 0 && lr !== expected[e - 1] ? [e - 1] : [])));
    for (const r of reduced) assert.equal(r.monitor, monitor);
  }

  if (ckpt) {
    const monitor = ckpt.monitor ?? 'val_loss';
    const saves = events.filter((e) => e.event === 'checkpoint' && e.data.kind === 'model_checkpoint').map((e) => e.data);
    const expectedEpochs = ckpt.save_best_only ? bestEpochs(history[monitor], direction(monitor, ckpt.mode)) : history.loss.map((_, e) => e);
    assert.deepEqual(saves.map((s) => s.epoch), expectedEpochs, `ModelCheckpoint saves when ${monitor} improves: ${history[monitor].join(', ')}`);
    for (const s of saves) {
      assert.equal(s.value, history[monitor][s.epoch]);
      // Keras numbers {epoch} from 1.
      if (/^[^{}]*\{epoch\}[^{}]*$/.test(ckpt.filepath)) assert.equal(s.name, ckpt.filepath.replace('{epoch}', String(s.epoch + 1)));
    }
    const model = (await (await fetch(`${stack.baseUrl}/v1/models/${job.model_id}`)).json()) as any;
    for (const s of saves) {
      const stored = model.checkpoints.find((c: any) => c.name === s.name);
      assert.ok(stored, `checkpoint ${s.name} is listed by GET /v1/models/{id}`);
      const names = stored.files.map((f: any) => f.name);
      assert.ok(names.includes('weights.bin'));
      if (ckpt.save_weights_only) assert.ok(!names.some((n: string) => n.startsWith('optimizer')), `save_weights_only keeps no optimizer state: ${names}`);
    }
  }

  if (spec.evaluate) {
    const evaluated = job.result.evaluate;
    assert.deepEqual(Object.keys(evaluated), trainKeys, 'evaluate(return_dict=True) has the training keys');
    assert.ok(Object.values(evaluated).every((v) => Number.isFinite(v)));
    assert.deepEqual(events.find((e) => e.event === 'evaluate')?.data.logs, evaluated);
  }

  if (spec.predict) {
    const outputs: string[] = job.result.output_names;
    if (named) assert.deepEqual(outputs, spec.model.outputs);
    const rows = firstDim(spec.predict.x);
    outputs.forEach((name, i) => {
      const p = job.result.predictions[i];
      assert.equal(p.length, rows, `${name}: one prediction per sample`);
      assert.equal(job.result.shapes[i][0], rows);
      assert.ok(p.flat(Infinity).every(Number.isFinite), `${name}: finite predictions`);
      // A Dense output gives `units` values per sample.
      const units = spec.model?.layers?.find((l: any) => l.name === name)?.config?.units;
      if (typeof units === 'number') {
        assert.deepEqual(job.result.shapes[i], [rows, units]);
        assert.ok(p.every((row: number[]) => row.length === units), `${name}: ${units} values per sample`);
      }
    });
  }
}

describe('the tutorial examples in examples/', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.close();
  });

  test('examples/ holds the tutorial, section by section', () => {
    assert.ok(files.length > 0, `no *.json in ${examplesDir}`);
    for (const f of files) assert.match(f, /^\d+[a-z]?-[a-z0-9-]+\.json$/, `${f}: named <section>[letter]-<what>.json so files sort by section`);
  });

  for (const file of files) {
    test(`${file} completes (epochs cut to ${SHORT_EPOCHS})`, async () => {
      const spec = withEpochs(load(file), SHORT_EPOCHS);
      const { job, events } = await run(stack, spec);
      await checkExample(stack, spec, job, events);
    });
  }

  // With 2 epochs no patience runs out; at the tutorial's length the callbacks really act.
  for (const file of files.filter((f) => callback(load(f), 'EarlyStopping') || callback(load(f), 'ReduceLROnPlateau'))) {
    test(`${file} at the tutorial's ${load(file).fit.epochs} epochs: callbacks act as Keras's`, async () => {
      const spec = load(file);
      const { job, events } = await run(stack, spec);
      await checkExample(stack, spec, job, events);
      if (callback(spec, 'EarlyStopping')) assert.ok(job.history.loss.length < spec.fit.epochs, 'on random labels EarlyStopping stops before the last epoch');
      if (callback(spec, 'ReduceLROnPlateau')) assert.ok(events.some((e) => e.event === 'lr_reduced'), 'on random labels the learning rate is reduced at least once');
    });
  }

  test('3a class_weight and 3b sample_weight are the same weighting, and train identically from the same start', async (t) => {
    const a = files.find((f) => f.startsWith('3a-'));
    const b = files.find((f) => f.startsWith('3b-'));
    if (!a || !b) return t.skip('no 3a/3b pair');
    const [classWeighted, sampleWeighted] = [load(a), load(b)];
    const classWeight: Record<string, number> = classWeighted.fit.class_weight;
    const y = Array.from(materialize(classWeighted.fit.y as ArrayLike).values);
    assert.deepEqual(sampleWeighted.fit.y, y, "3b writes out 3a's y_train");
    assert.deepEqual(sampleWeighted.fit.sample_weight, y.map((c) => classWeight[c] ?? 1), 'sample_weight[i] = class_weight[y_train[i]]');

    // Same initial weights and batch order, so the only difference left is how the weights are given.
    let seed = 1;
    const next = () => ((seed = (seed * 48271) % 2147483647) / 2147483647 - 0.5) * 0.2;
    const weights = Object.fromEntries(
      classWeighted.model.layers.map((l: any, i: number, layers: any[]) => {
        const fanIn: number = i === 0 ? classWeighted.model.inputs[0].shape[0] : layers[i - 1].config.units;
        return [l.name, [Array.from({ length: fanIn }, () => Array.from({ length: l.config.units }, next)), new Array(l.config.units).fill(0)]];
      }),
    );
    const pinned = (spec: any) => withEpochs({ ...spec, model: { ...spec.model, weights }, fit: { ...spec.fit, shuffle: false } }, SHORT_EPOCHS);
    const runA = await run(stack, pinned(classWeighted));
    const runB = await run(stack, pinned(sampleWeighted));
    assert.deepEqual(runB.job.history, runA.job.history);
  });
});
