/**
 * Time from POST /v1/jobs to the first epoch_end on the SSE stream, for the tutorial's first model,
 * against a running service (BASE_URL, default http://127.0.0.1:3000). Prints each run and the median.
 *   npm start &  then  node --import tsx bench/first-epoch.ts [runs]
 */
import { createParser } from 'eventsource-parser';

const base = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
const runs = Number(process.argv[2] ?? 5);

const spec = {
  type: 'fit',
  model: {
    inputs: [{ name: 'digits', shape: [32] }],
    layers: [
      { name: 'dense_1', class_name: 'Dense', config: { units: 64, activation: 'relu' }, inbound: ['digits'] },
      { name: 'dense_2', class_name: 'Dense', config: { units: 64, activation: 'relu' }, inbound: ['dense_1'] },
      { name: 'predictions', class_name: 'Dense', config: { units: 10 }, inbound: ['dense_2'] },
    ],
    outputs: ['predictions'],
  },
  compile: { optimizer: { class_name: 'Adam', config: { learning_rate: 0.001 } }, loss: { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true } }, metrics: ['accuracy'] },
  fit: {
    x: { random: { kind: 'uniform', shape: [1000, 32], seed: 1 } },
    y: { random: { kind: 'randint', shape: [1000], high: 10, seed: 2 } },
    batch_size: 32,
    epochs: 5,
    validation_data: { x: { random: { kind: 'uniform', shape: [200, 32], seed: 3 } }, y: { random: { kind: 'randint', shape: [200], high: 10, seed: 4 } } },
  },
};

async function once(): Promise<{ firstEpoch: number; running: number; total: number }> {
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
  const { id } = (await res.json()) as { id: string };
  const stream = await fetch(`${base}/v1/jobs/${id}/events`);
  let firstEpoch = 0;
  let running = 0;
  let done = false;
  const parser = createParser({
    onEvent: (e) => {
      const t = performance.now() - t0;
      if (e.event === 'state' && JSON.parse(e.data).state === 'running' && !running) running = t;
      if (e.event === 'epoch_end' && !firstEpoch) firstEpoch = t;
      if (['completed', 'failed', 'cancelled'].includes(e.event ?? '')) done = true;
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (done) break;
  }
  return { firstEpoch, running, total: performance.now() - t0 };
}

const results = [];
for (let i = 0; i < runs; i++) {
  const r = await once();
  results.push(r);
  console.log(`run ${i + 1}: submit→running ${r.running.toFixed(1)} ms, submit→first epoch_end ${r.firstEpoch.toFixed(1)} ms, whole job ${r.total.toFixed(0)} ms`);
}
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`median over ${runs}: submit→running ${median(results.map((r) => r.running)).toFixed(1)} ms, submit→first epoch_end ${median(results.map((r) => r.firstEpoch)).toFixed(1)} ms, whole 5-epoch job ${median(results.map((r) => r.total)).toFixed(0)} ms`);
