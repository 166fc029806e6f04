/**
 * The same workload through the whole service: HTTP submit, queue, worker, trainer child, SSE.
 * Starts its own API and worker against REDIS_URL under a throwaway key prefix.
 */
import { createParser } from 'eventsource-parser';
import { startStack } from '../test/helpers/stack.ts';
import { WORKLOADS } from './engine-speed.ts';

/** Submits a fit and follows its stream: samples/s of its best epoch after the first. */
export async function fitSamplesPerSecond(base: string, spec: unknown, n: number): Promise<number> {
  const res = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
  const { id } = (await res.json()) as { id: string };
  const stream = await fetch(`${base}/v1/jobs/${id}/events`);
  const seconds: number[] = [];
  let done = false;
  const parser = createParser({
    onEvent: (e) => {
      // The trainer's own epoch timing (epoch_end's duration_s), as the engine bench times its
      // epochs: receipt times on this side jitter by milliseconds, much of a 40 ms epoch.
      if (e.event === 'epoch_end') seconds.push(JSON.parse(e.data).duration_s);
      if (e.event === 'failed') throw new Error(e.data);
      if (e.event === 'completed') done = true;
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (done) break;
  }
  return n / Math.min(...seconds.slice(1));
}

export async function serviceSamplesPerSecond(name: keyof typeof WORKLOADS): Promise<number> {
  const w = WORKLOADS[name];
  const stack = await startStack();
  const base = stack.baseUrl;
  try {
    const n = w.x[0];
    const spec = {
      type: 'fit',
      model: w.model,
      compile: w.compile,
      fit: {
        x: { random: { kind: 'uniform', shape: [...w.x], seed: 1 } },
        y: 'classes' in w.y ? { random: { kind: 'randint', shape: [n], high: w.y.classes, seed: 2 } } : { random: { kind: 'uniform', shape: [n, w.y.dims], seed: 2 } },
        batch_size: w.batch,
        epochs: w.epochs,
      },
    };
    // Two jobs: the first warms the worker's trainer process (a service's workers live long);
    // the figure is the second's, as the engine bench runs in an already warm process.
    await fitSamplesPerSecond(base, spec, n);
    return await fitSamplesPerSecond(base, spec, n);
  } finally {
    await stack.close();
  }
}
