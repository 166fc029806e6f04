/**
 * Round trip of POST /v1/models/{id}/predict?wait on a warm model (the worker's model cache):
 * trains the tutorial's first model once, then times N single-sample predicts one after another.
 *   npm start &  then  node --import tsx bench/predict-latency.ts [calls]
 */
const base = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
const calls = Number(process.argv[2] ?? 200);

async function json(res: Response) {
  const body = (await res.json()) as any;
  if (res.status >= 300) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body;
}

const spec = {
  type: 'fit',
  model: { sequential: [{ class_name: 'InputLayer', config: { shape: [32] } }, { class_name: 'Dense', config: { units: 64, activation: 'relu' } }, { class_name: 'Dense', config: { units: 64, activation: 'relu' } }, { class_name: 'Dense', config: { units: 10 } }] },
  compile: { optimizer: 'adam', loss: { class_name: 'SparseCategoricalCrossentropy', config: { from_logits: true } }, metrics: ['accuracy'] },
  fit: { x: { random: { kind: 'uniform', shape: [1000, 32], seed: 1 } }, y: { random: { kind: 'randint', shape: [1000], high: 10, seed: 2 } }, epochs: 1 },
};
const job = await json(await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) }));
// A fit job names its model at submit; the model serves predict once the job completes.
let modelId: string | undefined;
while (!modelId) {
  const state = await json(await fetch(`${base}/v1/jobs/${job.id}`));
  if (state.state === 'failed') throw new Error(state.error.message);
  if (state.state === 'completed') modelId = state.model_id;
  else await new Promise((r) => setTimeout(r, 50));
}
const body = JSON.stringify({ x: [Array.from({ length: 32 }, (_, i) => i / 32)] });
const predict = () => fetch(`${base}/v1/models/${modelId}/predict?wait=30`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(json);
await predict(); // the first call loads the model into the worker's cache
const times: number[] = [];
for (let i = 0; i < calls; i++) {
  const t0 = performance.now();
  const r = await predict();
  times.push(performance.now() - t0);
  if (r.state !== 'completed') throw new Error(`predict ended ${r.state}`);
}
times.sort((a, b) => a - b);
const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(1);
console.log(`warm predict round trip over ${calls} calls: median ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms, max ${times.at(-1)!.toFixed(1)} ms`);
