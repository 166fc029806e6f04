/**
 * `kjobs sweep` and `kjobs cancel-sweep` end to end: the real launcher in a child process, against
 * a real API (with its sweep controller), worker and Redis. The follower is also run through a
 * connection that is cut mid-sweep, so it has to reconnect with Last-Event-ID.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { kerasNumber } from '../src/cli/keras-line.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { seedMlpJob } from './helpers/specs.ts';
import { getJson, waitForState } from './helpers/http.ts';
import { TcpProxy } from './helpers/tcp-proxy.ts';
import { startKjobs as start } from './helpers/kjobs-process.ts';
import { until } from './helpers/until.ts';

/** The tutorial MLP with its first layer's units and the learning rate as hyperparameters. */
function tutorialBase(overrides: { epochs: number; samples: number }) {
  const job = seedMlpJob(overrides) as any;
  job.model.layers[0].config.units = { $hp: 'units' };
  job.compile.optimizer.config.learning_rate = { $hp: 'learning_rate' };
  return job;
}

const SPACE = { units: { type: 'choice', values: [8, 32] }, learning_rate: { type: 'choice', values: [0.001, 0.01] } };

function gridSweep(base: unknown) {
  return { base, search_space: SPACE, algorithm: { class_name: 'GridSearch' }, objective: { name: 'val_loss', direction: 'min' }, max_trials: 10 };
}

const TRIAL_LINE = /^Trial (\S+) (\w+) - val_loss: (\S+) - epochs_run: (\S+) - (.*)$/;
const BEST_LINE = /^Best trial (\S+) - val_loss: (\S+) - (.*) - model (\S+)$/;

/** `units=8 learning_rate=0.001` as the text of each value. */
function pairs(text: string): Record<string, string> {
  return Object.fromEntries(text.split(' ').map((pair) => pair.split('=') as [string, string]));
}
const asText = (values: Record<string, unknown>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));

describe('kjobs sweep', () => {
  let stack: Stack;
  let dir: string;

  const kjobs = (args: string[], options: { input?: string; url?: string } = {}) => start(args, { url: stack.baseUrl, ...options }).exited;
  const writeSpec = async (name: string, spec: unknown) => {
    const file = path.join(dir, name);
    await fs.writeFile(file, JSON.stringify(spec));
    return file;
  };

  before(async () => {
    stack = await startStack();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kjobs-sweep-'));
  });
  after(async () => {
    await stack.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('sweep --follow prints the id, one line per trial matching the API, the best trial, and exits 0, through a cut connection', { timeout: 300_000 }, async () => {
    const spec = await writeSpec('grid.json', gridSweep(tutorialBase({ epochs: 2, samples: 300 })));
    const proxy = await TcpProxy.start(Number(new URL(stack.baseUrl).port));
    try {
      const follower = start(['sweep', spec, '--follow'], { url: `http://127.0.0.1:${proxy.port}` });
      await until('the first trial line', () => /^Trial /m.test(follower.stdout), 120_000);
      // Three trials are still to run (one at a time): the follower has to reconnect to see them.
      const endedBeforeCut = /^Sweep /m.test(follower.stdout);
      proxy.cutAll();
      const run = await follower.exited;
      assert.equal(run.code, 0, run.stderr);
      if (!endedBeforeCut) assert.match(run.stderr, /connection lost .*reconnecting/);

      const lines = run.stdout.trimEnd().split('\n');
      const id = lines[0];
      assert.match(id, /^[0-9a-f-]{36}$/);
      const sweep = (await getJson(stack, `/v1/sweeps/${id}`)).body;
      assert.equal(sweep.state, 'completed');
      assert.equal(sweep.trials.length, 4);

      const printed = lines.map((line) => TRIAL_LINE.exec(line)).filter((m): m is RegExpExecArray => m !== null);
      assert.equal(printed.length, 4, run.stdout);
      assert.deepEqual(printed.map((m) => m[1]).sort(), sweep.trials.map((t: any) => t.id).sort(), 'every trial once');
      for (const m of printed) {
        const trial = sweep.trials.find((t: any) => t.id === m[1]);
        assert.equal(m[2], 'completed');
        assert.equal(m[3], kerasNumber(trial.objective), `trial ${trial.id}'s objective`);
        assert.equal(Number(m[4]), trial.epochs_run);
        assert.equal(trial.epochs_run, 2);
        assert.deepEqual(pairs(m[5]), asText(trial.hyperparameters));
      }

      assert.match(run.stdout, /^Sweep completed - 4 trials$/m);
      const best = BEST_LINE.exec(lines.at(-1)!);
      assert.ok(best, run.stdout);
      assert.equal(best[1], sweep.best.trial_id);
      assert.equal(best[2], kerasNumber(sweep.best.objective));
      assert.deepEqual(pairs(best[3]), asText(sweep.best.hyperparameters));
      assert.equal(best[4], sweep.best.model_id);
      assert.equal((await getJson(stack, `/v1/models/${sweep.best.model_id}`)).status, 200);
    } finally {
      await proxy.close();
    }
  });

  test('a sweep body the service refuses (read from stdin) exits 1 and names the field on stderr', async () => {
    const body = gridSweep(tutorialBase({ epochs: 2, samples: 300 })) as any;
    body.base.fit.batch_size = { $hp: 'batch' };
    const run = await kjobs(['sweep', '-', '--follow'], { input: JSON.stringify(body) });
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /\(422\)/);
    assert.match(run.stderr, /^ {2}\/base\/fit\/batch_size: \{"\$hp": "batch"\} names no hyperparameter of search_space$/m);
  });

  test('cancel-sweep from another process makes the follower exit 2; cancelling again, or an unknown sweep, exits 1', { timeout: 180_000 }, async () => {
    const spec = await writeSpec('long.json', gridSweep(tutorialBase({ epochs: 500, samples: 4000 })));
    const follower = start(['sweep', spec, '--follow'], { url: stack.baseUrl });
    const id = await until('the sweep id', () => /^([0-9a-f-]{36})\n/.exec(follower.stdout)?.[1], 120_000);
    const running = await until('a running trial', async () => {
      const { body } = await getJson(stack, `/v1/sweeps/${id}`);
      return body.trials.find((t: any) => t.state === 'running');
    }, 120_000);

    const cancel = await kjobs(['cancel-sweep', id]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, new RegExp(`^${id}: cancel requested`));
    const followed = await follower.exited;
    assert.equal(followed.code, 2, followed.stderr);
    assert.match(followed.stdout, /^Sweep cancelled/m);
    assert.match(followed.stdout, /^No best trial: no trial reported val_loss$/m);
    assert.equal((await getJson(stack, `/v1/sweeps/${id}`)).body.state, 'cancelled');
    assert.equal((await waitForState(stack, running.job_id, ['cancelled', 'completed', 'failed'])).state, 'cancelled');

    const again = await kjobs(['cancel-sweep', id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /\(409\).*already ended \(cancelled\)/);
    const unknown = await kjobs(['cancel-sweep', 'no-such-sweep']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /\(404\).*No sweep with id "no-such-sweep"/);
  });

  test('help names the sweep commands; a sweep command line without its argument exits 64', async () => {
    const help = await kjobs(['--help']);
    assert.equal(help.code, 0);
    for (const word of ['sweep SPEC.json [--follow]', 'cancel-sweep SWEEP']) assert.ok(help.stdout.includes(word), word);
    for (const args of [['sweep'], ['cancel-sweep'], ['sweep', 'a.json', 'b.json'], ['cancel-sweep', 'x', '--follow']]) {
      const run = await kjobs(args);
      assert.equal(run.code, 64, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^kjobs: .+\n\nUsage: kjobs/, args.join(' '));
    }
  });
});
