import { execFileSync } from 'node:child_process';
import { startStack } from '/work/main/test/helpers/stack.ts';
import { loadZooCase, relError, runZooCase } from '/work/main/test/helpers/zoo.ts';
const name = process.argv[2];
const keras = JSON.parse(execFileSync('/tmp/kvenv/bin/python', ['/work/main/.dbg/step1.py', name, process.argv[3], process.argv[4]], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').at(-1)!);
const stack = await startStack();
const c = { ...loadZooCase(name), n: Number(process.argv[3]), fit: { batch_size: 16, epochs: Number(process.argv[4]), shuffle: false } };
const run = await runZooCase(stack, c);
console.log('loss', run.history, keras.loss, run.fitError);
const res = await fetch(`${stack.baseUrl}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'predict', model_id: run.fitModelId, predict: { x: (await import('/work/main/test/helpers/zoo.ts')).zooArray(c.inputs[0], 4) } }) });
const id = ((await res.json()) as any).id;
let job: any;
for (;;) { job = await (await fetch(`${stack.baseUrl}/v1/jobs/${id}`)).json(); if (job.state === 'completed' || job.state === 'failed') break; await new Promise((r) => setTimeout(r, 100)); }
const flat = (v: any): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
const got = flat(job.result.predictions);
console.log('pred after 1 step rel err', relError(got, keras.pred), got.slice(0, 5), keras.pred.slice(0, 5));
await stack.close();
