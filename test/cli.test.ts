/**
 * The kjobs CLI end to end: the real launcher in a child process, against a real API, worker and
 * Redis. Following is also checked through connections that break (a cut proxy) and through an
 * API instance that shuts down (its `reconnect` event).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { buildApp } from '../src/app.ts';
import { kerasNumber } from '../src/cli/keras-line.ts';
import { startStack, type Stack } from './helpers/stack.ts';
import { seedMlpJob } from './helpers/specs.ts';
import { getJson, post, waitForState } from './helpers/http.ts';
import { TcpProxy } from './helpers/tcp-proxy.ts';
import { LAUNCHER, startKjobs as start, startProcess } from './helpers/kjobs-process.ts';
import { until } from './helpers/until.ts';

const EPOCH_LINE = /^Epoch (\d+)\/(\d+)((?: - [A-Za-z0-9_]+: \S+)*)$/;

/** The `Epoch k/n - key: value ...` lines of an output, parsed. */
function epochLines(stdout: string) {
  return stdout
    .split('\n')
    .map((line) => EPOCH_LINE.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      epoch: Number(m[1]),
      epochs: Number(m[2]),
      logs: m[3]
        .split(' - ')
        .slice(1)
        .map((pair) => pair.split(': ') as [string, string]),
    }));
}

/** Each epoch printed exactly once, in order, with the keys and (to Keras's 4 decimals) the values of the job's history. */
function assertEpochsMatchHistory(stdout: string, history: Record<string, number[]>, epochs: number) {
  const lines = epochLines(stdout);
  assert.deepEqual(
    lines.map((l) => `${l.epoch}/${l.epochs}`),
    Array.from({ length: epochs }, (_, i) => `${i + 1}/${epochs}`),
    stdout,
  );
  for (const [i, line] of lines.entries()) {
    assert.deepEqual(line.logs.map(([key]) => key), Object.keys(history), 'the keys in the order of the logs');
    for (const [key, text] of line.logs) {
      assert.match(text, /^-?\d+\.\d{4}$|^-?\d\.\d{4}e[+-]\d{2}$/, `${key} printed as Keras does`);
      const value = history[key][i];
      // Half a unit in the 4th decimal; in the 4th decimal of the mantissa for the 1.2345e-04 form.
      const halfUnit = 0.5e-4 * (Math.abs(value) > 1e-3 ? 1 : Math.abs(value)) * (1 + 1e-9);
      assert.ok(Math.abs(Number(text) - value) <= halfUnit, `epoch ${i + 1} ${key}: printed ${text}, history has ${value}`);
    }
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP forwarder whose target can be switched: the load balancer in front of two API instances. */
async function switchableProxy(initialTarget: number) {
  let target = initialTarget;
  const sockets = new Set<net.Socket>();
  /** The head of each request that came through, to see which headers the client sent. */
  const requests: string[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(target, '127.0.0.1');
    client.once('data', (chunk: Buffer) => requests.push(chunk.toString('latin1')));
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    requests,
    switchTo(port: number) {
      target = port;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('kjobs CLI', () => {
  let stack: Stack;
  let dir: string;
  let completed: { id: string; modelId: string };
  let failedId: string;

  const kjobs = (args: string[], options: { input?: string; cwd?: string; url?: string } = {}) => start(args, { url: stack.baseUrl, ...options }).exited;
  const writeSpec = async (name: string, spec: unknown) => {
    const file = path.join(dir, name);
    await fs.writeFile(file, JSON.stringify(spec));
    return file;
  };

  before(async () => {
    stack = await startStack();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kjobs-cli-'));
  });
  after(async () => {
    await stack.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('formats numbers as Keras (Python) does: ties to even, two-digit exponents, NaN from JSON null', () => {
    assert.equal(kerasNumber(2.314746856689453), '2.3147');
    assert.equal(kerasNumber(0.03125), '0.0312');
    assert.equal(kerasNumber(0.96875), '0.9688');
    assert.equal(kerasNumber(0.0005000000237487257), '5.0000e-04');
    assert.equal(kerasNumber(0), '0.0000e+00');
    assert.equal(kerasNumber(null), 'nan');
  });

  test('submit --follow prints the id, then one Keras line per epoch matching the history, and exits 0', { timeout: 120_000 }, async () => {
    const spec = await writeSpec('small.json', seedMlpJob({ epochs: 3, samples: 256 }));
    const run = await kjobs(['submit', spec, '--follow']);
    assert.equal(run.code, 0, run.stderr);
    const id = run.stdout.split('\n')[0];
    assert.match(id, /^[0-9a-f-]{36}$/);
    const job = (await getJson(stack, `/v1/jobs/${id}`)).body;
    assert.equal(job.state, 'completed');
    assertEpochsMatchHistory(run.stdout, job.history, 3);
    assert.match(run.stdout, new RegExp(`^Job completed - model ${job.model_id}$`, 'm'));
    assert.match(run.stdout, /^Epoch 3: checkpoint epoch-0003$/m);
    assert.ok(!run.stdout.includes('\r'), 'no progress bar when stdout is not a terminal');
    completed = { id, modelId: job.model_id };
  });

  test('a job that fails at run time (labels outside the classes, spec read from stdin) exits 1 with its error', { timeout: 120_000 }, async () => {
    const spec = seedMlpJob({ epochs: 2, samples: 64 });
    spec.fit.y.random.high = 20;
    const run = await kjobs(['submit', '-', '--follow'], { input: JSON.stringify(spec) });
    assert.equal(run.code, 1, run.stderr);
    failedId = run.stdout.split('\n')[0];
    const job = (await getJson(stack, `/v1/jobs/${failedId}`)).body;
    assert.equal(job.state, 'failed');
    assert.match(job.error.message, /class indices/);
    assert.ok(run.stderr.includes(`Job failed: ${job.error.message}`), run.stderr);
  });

  test('a spec the service rejects exits 1 and names the offending field on stderr', async () => {
    const spec = seedMlpJob();
    spec.model.layers[1].class_name = 'NoSuchLayer';
    const run = await kjobs(['submit', await writeSpec('bad.json', spec)]);
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /\(422\)/);
    assert.match(run.stderr, /^ {2}\/model\/layers\/1\/class_name: unknown layer "NoSuchLayer"/m);
  });

  test('a spec file that is not JSON exits 1 without asking the service', async () => {
    const file = path.join(dir, 'broken.json');
    await fs.writeFile(file, '{"type": "fit",');
    const run = await kjobs(['submit', file]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /broken\.json is not valid JSON/);
  });

  test('ls lists the jobs; --state filters; --json gives the raw answer', async () => {
    const table = await kjobs(['ls']);
    assert.equal(table.code, 0, table.stderr);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    assert.match(header, /^ID +TYPE +STATE +EPOCH +CREATED$/);
    const row = (id: string) => rows.find((r) => r.startsWith(id))?.split(/ +/);
    assert.deepEqual(row(completed.id)?.slice(1, 4), ['fit', 'completed', '3/3']);
    assert.deepEqual(row(failedId)?.slice(1, 4), ['fit', 'failed', '0/2']);

    const onlyCompleted = await kjobs(['ls', '--state', 'completed']);
    assert.equal(onlyCompleted.code, 0);
    const ids = onlyCompleted.stdout.trimEnd().split('\n').slice(1).map((r) => r.split(/ +/));
    assert.ok(ids.some((r) => r[0] === completed.id));
    assert.ok(ids.every((r) => r[2] === 'completed'), onlyCompleted.stdout);

    const json = await kjobs(['ls', '--json', '--limit', '100']);
    const listed = JSON.parse(json.stdout);
    assert.deepEqual(listed.jobs.map((j: { id: string }) => j.id).filter((id: string) => id === completed.id || id === failedId), [failedId, completed.id]);
    assert.deepEqual(listed.jobs.find((j: { id: string }) => j.id === completed.id).history, (await getJson(stack, `/v1/jobs/${completed.id}`)).body.history);
  });

  test('download writes the trained model, or a checkpoint, as a gzip tarball', async () => {
    const run = await kjobs(['download', completed.modelId], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    const file = path.join(dir, `${completed.modelId}.tar.gz`);
    const bytes = await fs.readFile(file);
    assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b]);
    assert.equal(run.stdout, `${completed.modelId}.tar.gz (${bytes.length} bytes)\n`);
    const entries: string[] = [];
    await tar.t({ file, onReadEntry: (e) => void entries.push(e.path) });
    assert.ok(entries.includes('model.json') && entries.includes('weights.bin'), entries.join(', '));

    const target = path.join(dir, 'first.tgz');
    const checkpoint = await kjobs(['download', completed.modelId, '--checkpoint', 'epoch-0001', '-o', target]);
    assert.equal(checkpoint.code, 0, checkpoint.stderr);
    const inCheckpoint: string[] = [];
    await tar.t({ file: target, onReadEntry: (e) => void inCheckpoint.push(e.path) });
    assert.ok(inCheckpoint.includes('state.json'), inCheckpoint.join(', '));

    const missing = await kjobs(['download', completed.modelId, '--checkpoint', 'epoch-0099'], { cwd: dir });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no checkpoint "epoch-0099"/);
    assert.ok(!(await fs.readdir(dir)).some((name) => name.includes('epoch-0099')), 'nothing written for a refused download');
  });

  test('cancel stops a running job (its follower exits 2); cancelling it again, or an unknown job, exits 1', { timeout: 120_000 }, async () => {
    const accepted = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 500, samples: 4000 }));
    assert.equal(accepted.status, 202);
    const id: string = accepted.body.id;
    const follower = start(['follow', id], { url: stack.baseUrl });
    await waitForState(stack, id, ['running']);
    await until('an epoch to end', () => follower.stdout.includes('Epoch 1/500'));

    const cancel = await kjobs(['cancel', id]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, new RegExp(`^${id}: (cancelled|running, cancel requested)`));
    const followed = await follower.exited;
    assert.equal(followed.code, 2, followed.stderr);
    assert.match(followed.stdout, /^Job cancelled/m);

    const again = await kjobs(['cancel', id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /\(409\).*already ended \(cancelled\)/);
    const unknown = await kjobs(['cancel', 'no-such-job']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /\(404\).*No job with id "no-such-job"/);
  });

  test('follow reconnects through cut connections with Last-Event-ID: every epoch once, exit 0', { timeout: 120_000 }, async () => {
    const proxy = await TcpProxy.start(Number(new URL(stack.baseUrl).port));
    try {
      // Epochs long enough (~0.3 s at graph speed) for both cuts to land while the job runs.
      const accepted = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 4, samples: 60_000 }));
      const id: string = accepted.body.id;
      const follower = start(['follow', id], { url: `http://127.0.0.1:${proxy.port}` });
      await until('the first epoch line', () => follower.stdout.includes('Epoch 1/4'));
      proxy.cutAll();
      await until('the second epoch line', () => follower.stdout.includes('Epoch 2/4'));
      proxy.cutAll();
      const run = await follower.exited;
      assert.equal(run.code, 0, run.stderr);
      const job = (await getJson(stack, `/v1/jobs/${id}`)).body;
      assert.equal(job.state, 'completed');
      // Two cuts before the job ended, so at least two reconnects; the lines are still all there, once.
      assert.ok((run.stderr.match(/reconnecting/g) ?? []).length >= 2, run.stderr);
      assertEpochsMatchHistory(run.stdout, job.history, 4);
      for (let k = 1; k <= 4; k++) assert.equal(run.stdout.split(`Epoch ${k}: checkpoint epoch-000${k}\n`).length, 2, run.stdout);
    } finally {
      await proxy.close();
    }
  });

  test('follow resumes on another API instance when its instance shuts down (reconnect event)', { timeout: 120_000 }, async () => {
    const leaving = await buildApp({ config: stack.config, logger: false });
    await leaving.listen({ host: '127.0.0.1', port: 0 });
    const balancer = await switchableProxy((leaving.server.address() as net.AddressInfo).port);
    let closed = false;
    try {
      const accepted = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 3, samples: 60_000 }));
      const id: string = accepted.body.id;
      const follower = start(['follow', id], { url: balancer.url });
      await until('the first epoch line', () => follower.stdout.includes('Epoch 1/3'));
      balancer.switchTo(Number(new URL(stack.baseUrl).port));
      await leaving.close();
      closed = true;
      const run = await follower.exited;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /the server asked to reconnect/);
      assertEpochsMatchHistory(run.stdout, (await getJson(stack, `/v1/jobs/${id}`)).body.history, 3);
      // The first request asks for everything; the one after the handover resumes after an event seen.
      const lastEventIds = balancer.requests.map((head) => /^last-event-id: (.*)\r$/im.exec(head)?.[1]);
      assert.equal(lastEventIds[0], undefined);
      assert.ok(lastEventIds.length >= 2 && lastEventIds.slice(1).every((v) => v !== undefined && /^\d+-\d+$/.test(v)), balancer.requests.join('\n---\n'));
    } finally {
      await balancer.close();
      if (!closed) await leaving.close();
    }
  });

  test('on a terminal, follow draws a progress bar rewritten with \\r', { timeout: 60_000, skip: spawnSync('script', ['--version']).status !== 0 && 'needs script(1) for a pseudo-terminal' }, async () => {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, LAUNCHER, 'follow', completed.id].map(quote).join(' ');
    const run = await startProcess('script', ['-qec', command, '/dev/null'], { url: stack.baseUrl }).exited;
    assert.equal(run.code, 0, run.stderr);
    // 256 samples in batches of 32: 8 steps. The bar is drawn at epoch_begin, then cleared for the epoch's line.
    assert.match(run.stdout, /\rEpoch 1\/3 {2}0\/8 \[\.{30}\]\x1b\[K\r\x1b\[2KEpoch 1\/3 - accuracy: /);
    const lines = run.stdout.replace(/\r\n/g, '\n').replace(/[^\n]*\r\x1b\[2K/g, '');
    assertEpochsMatchHistory(lines, (await getJson(stack, `/v1/jobs/${completed.id}`)).body.history, 3);
  });

  test('help, usage errors (exit 64) and an unreachable service (exit 3)', async () => {
    const help = await kjobs(['--help']);
    assert.equal(help.code, 0);
    for (const word of ['submit', 'follow', 'ls', 'cancel', 'download', 'KJOBS_URL', 'KJOBS_API_KEY']) assert.ok(help.stdout.includes(word), word);
    assert.equal((await kjobs([])).stdout, help.stdout);

    for (const args of [['frobnicate'], ['follow'], ['ls', '--limit', '0'], ['ls', '--state', 'done'], ['cancel', 'a', 'b'], ['submit', 'x.json', '--bogus']]) {
      const run = await kjobs(args);
      assert.equal(run.code, 64, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^kjobs: .+\n\nUsage: kjobs/, args.join(' '));
    }

    const url = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await kjobs(['ls'], { url });
    assert.equal(unreachable.code, 3);
    assert.ok(unreachable.stderr.includes(`cannot reach ${url}/v1/jobs`), unreachable.stderr);
    const followUnreachable = await kjobs(['follow', completed.id], { url });
    assert.equal(followUnreachable.code, 3);
  });
});
