/**
 * Everything checked at submit time beyond the JSON schema: the graph, the compile section, the data
 * (shapes, sample counts) and the callbacks. Run once in the API so errors come back before enqueueing.
 */
import { describeArray, bindData, type ArrayInfo } from './arrays.ts';
import { checkCallbackConfig } from './callback-checks.ts';
import { CALLBACKS, resolve } from './catalog.ts';
import { resolveCompile, type ResolvedCompile } from './compile.ts';
import { checkGraph, normalizeModel, type CheckedGraph } from './graph.ts';
import { SpecError, fail, type SpecIssue } from './problem.ts';
import type { Data, FitSpec, JobCreate } from './schema.ts';

export interface CheckedFitJob {
  graph: CheckedGraph;
  compile: ResolvedCompile;
  samples: number;
  epochs: number;
}

function describeData(data: Data, names: string[], at: string): ArrayInfo[] {
  return bindData(data, names, at, (a, p) => describeArray(a, p));
}

function checkInputs(infos: ArrayInfo[], graph: CheckedGraph, at: string): void {
  graph.inputs.forEach((input, i) => {
    const got = infos[i].shape.slice(1);
    const want = input.shape;
    const ok = got.length === want.length && want.every((d, j) => d === null || d === got[j]);
    if (!ok) {
      const ptr = graph.inputs.length > 1 ? `${at}/${i}` : at;
      fail(ptr, `input "${input.name}" expects samples of shape (${want.map((d) => d ?? 'None').join(', ')}), got (${got.join(', ')})`);
    }
  });
}

function sampleCount(groups: Array<[string, ArrayInfo[]]>): number {
  const counts = groups.flatMap(([at, infos]) => infos.map((inf) => [at, inf.shape[0] ?? 0] as const));
  const [firstAt, n] = counts[0];
  const odd = counts.find(([, c]) => c !== n);
  if (odd) fail(odd[0], `has ${odd[1]} samples but ${firstAt} has ${n}; x, y and sample_weight must have the same number of samples`);
  return n;
}

function checkFit(fit: FitSpec, graph: CheckedGraph): number {
  const inputs = graph.inputs.map((i) => i.name);
  const x = describeData(fit.x, inputs, '/fit/x');
  checkInputs(x, graph, '/fit/x');
  const y = describeData(fit.y, graph.outputs, '/fit/y');
  const groups: Array<[string, ArrayInfo[]]> = [['/fit/x', x], ['/fit/y', y]];
  if (fit.sample_weight) groups.push(['/fit/sample_weight', describeData(fit.sample_weight, graph.outputs, '/fit/sample_weight')]);
  const n = sampleCount(groups);
  if (n === 0) fail('/fit/x', 'has no samples');
  if (fit.validation_data) {
    const vx = describeData(fit.validation_data.x, inputs, '/fit/validation_data/x');
    checkInputs(vx, graph, '/fit/validation_data/x');
    const vy = describeData(fit.validation_data.y, graph.outputs, '/fit/validation_data/y');
    sampleCount([['/fit/validation_data/x', vx], ['/fit/validation_data/y', vy]]);
  }
  if (fit.validation_split !== undefined) {
    if (fit.validation_data) fail('/fit/validation_split', 'give validation_data or validation_split, not both');
    const train = Math.floor(n * (1 - fit.validation_split));
    if (train < 1 || train === n) fail('/fit/validation_split', `leaves ${train} training and ${n - train} validation samples out of ${n}`);
  }
  if (fit.class_weight && graph.outputs.length > 1) fail('/fit/class_weight', 'class_weight is only supported for models with a single output (as in Keras)');
  const issues: SpecIssue[] = [];
  (fit.callbacks ?? []).forEach((cb, i) => {
    const r = resolve(CALLBACKS, cb, 'callback');
    if ('error' in r) {
      issues.push({ pointer: r.key ? `/fit/callbacks/${i}/config/${r.key}` : `/fit/callbacks/${i}/class_name`, message: r.error });
      return;
    }
    const problem = checkCallbackConfig(r);
    if (problem) issues.push({ pointer: `/fit/callbacks/${i}/config/${problem[0]}`, message: `${r.class_name}: ${problem[1]}` });
  });
  if (issues.length) throw new SpecError(issues);
  if ((fit.initial_epoch ?? 0) >= (fit.epochs ?? 1)) fail('/fit/initial_epoch', `must be smaller than epochs (${fit.epochs ?? 1})`);
  return n;
}

export function checkFitJob(job: JobCreate): CheckedFitJob {
  const graph = checkGraph(normalizeModel(job.model));
  const compile = resolveCompile(job.compile, graph.outputs);
  const samples = checkFit(job.fit, graph);
  return { graph, compile, samples, epochs: job.fit.epochs ?? 1 };
}
