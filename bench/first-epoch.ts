/**
 * Time from POST /v1/jobs to the first epoch_end on the SSE stream, for the tutorial's first model,
 * against a running service (BASE_URL, default http://127.0.0.1:3000). Prints each run and the median.
 *   npm start &  then  node --import tsx bench/first-epoch.ts [runs]
 */
import { createParser } from 'eventsource-parser';
import { seedMlpJob } from '../test/helpers/specs.ts';

const base = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
const runs = Number(process.argv[2] ?? 5);

// The tutorial's first model, as the tests submit it.
const spec = seedMlpJob();

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
