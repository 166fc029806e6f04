/**
 * Smaller faults: an unwritable checkpoint folder, labels the loss cannot take, the API shutting
 * down under open streams, and a worker recycling its trainer process between jobs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startStack, type Stack } from './helpers/stack.ts';
import { readEvents } from './helpers/sse.ts';
import { getJson, post, waitForState } from './helpers/http.ts';
import { seedMlpJob } from './helpers/specs.ts';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('faults', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { RECYCLE_AFTER_JOBS: '2' } });
  });
  after(async () => {
    await stack.close();
  });

  test('labels outside the classes of a sparse crossentropy fail the job with the numbers', async () => {
    const spec = seedMlpJob({ epochs: 1 });
    spec.fit.y.random.high = 12; // 10 classes
    const res = await post(stack, '/v1/jobs', spec);
    const job = await waitForState(stack, res.body.id, ['failed', 'completed']);
    assert.equal(job.state, 'failed');
    assert.match(job.error.message, /\/fit\/y: SparseCategoricalCrossentropy needs integer class indices in \[0, 10\); the labels range over \[0, 11\]/);
  });

  test('a trainer process that dies mid-fit is replaced and the job resumes from its checkpoint', async () => {
    // Epochs of ~0.1 s at graph speed, so the kill lands mid-fit.
    const res = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 8, samples: 20_000 }));
    const first = await readEvents(`${stack.baseUrl}/v1/jobs/${res.body.id}/events`, { limit: 3 + 3 * 2 });
    assert.equal(first.at(-1)!.event, 'checkpoint');
    // What a trainer killed mid-checkpoint leaves behind: the resume clears it.
    const { model_id: modelId } = (await getJson(stack, `/v1/jobs/${res.body.id}`)).body;
    const interrupted = path.join(stack.config.checkpointDir, 'models', modelId, 'checkpoints', '.tmp-epoch-0099-0badf00d');
    await fs.mkdir(interrupted, { recursive: true });
    await fs.writeFile(path.join(interrupted, 'weights.bin'), 'half a file');
    process.kill(stack.worker!.trainerPid()!, 'SIGKILL');
    const job = await waitForState(stack, res.body.id, ['completed', 'failed'], 60_000);
    assert.equal(await fs.stat(interrupted).then(() => 'still there', () => 'gone'), 'gone');
    assert.equal(job.state, 'completed', job.error?.message);
    assert.equal(job.history.loss.length, 8, 'each epoch once');
    const events = await readEvents(`${stack.baseUrl}/v1/jobs/${res.body.id}/events`);
    const resumed = events.filter((e) => e.event === 'resumed').map((e) => JSON.parse(e.data));
    assert.equal(resumed.length, 1);
    assert.match(resumed[0].reason, /trainer process died/);
    assert.ok(resumed[0].epoch >= 2);
  });

  test('a trainer killed by SIGFPE (a native kernel dividing by zero) is replaced by one without oneDNN for that job only', async () => {
    const environ = async (pid: number) => (await fs.readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
    const res = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 8, samples: 20_000 }));
    const first = await readEvents(`${stack.baseUrl}/v1/jobs/${res.body.id}/events`, { limit: 3 + 3 * 2 });
    assert.equal(first.at(-1)!.event, 'checkpoint');
    const onednnOff = (env: string[]) => env.includes('TF_ENABLE_ONEDNN_OPTS=0');
    // Where the start-up kernel check already turned oneDNN off (some VMs), every trainer has it off.
    const usual = onednnOff(await environ(stack.worker!.trainerPid()!));
    // What oneDNN's brgemm 1x1 convolution setup does on some VMs (tensorflow#57749): the same signal, for real.
    process.kill(stack.worker!.trainerPid()!, 'SIGFPE');
    const job = await waitForState(stack, res.body.id, ['completed', 'failed'], 60_000);
    assert.equal(job.state, 'completed', job.error?.message);
    assert.equal(job.history.loss.length, 8, 'each epoch once');
    const resumed = (await readEvents(`${stack.baseUrl}/v1/jobs/${res.body.id}/events`)).filter((e) => e.event === 'resumed').map((e) => JSON.parse(e.data));
    assert.equal(resumed.length, 1);
    assert.match(resumed[0].reason, /signal SIGFPE\); resuming with TensorFlow's oneDNN kernels off \(TF_ENABLE_ONEDNN_OPTS=0\)/);
    assert.ok(onednnOff(await environ(stack.worker!.trainerPid()!)), 'the job finished on a trainer without oneDNN');
    // The next job runs on a trainer as usual again (with oneDNN, unless the kernel check turned it off).
    const next = await waitForState(stack, (await post(stack, '/v1/jobs', seedMlpJob({ epochs: 1, samples: 64 }))).body.id, ['completed', 'failed']);
    assert.equal(next.state, 'completed', next.error?.message);
    assert.equal(onednnOff(await environ(stack.worker!.trainerPid()!)), usual);
  });

  test('a worker recycles its trainer process after RECYCLE_AFTER_JOBS jobs: the new one warms up first, nothing is lost', async () => {
    const run = async () => {
      const res = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 1, samples: 64 }));
      const job = await waitForState(stack, res.body.id, ['completed', 'failed']);
      assert.equal(job.state, 'completed', job.error?.message);
      return stack.worker!.trainerPid()!;
    };
    // Earlier tests ran jobs on this worker too: within two more jobs a recycle is due, and a
    // replacement starts in the background while jobs keep running on the current process.
    let first = await run();
    if (!stack.worker!.spareTrainer()) first = await run();
    const spare = stack.worker!.spareTrainer();
    assert.ok(spare?.pid && spare.pid !== first, 'a replacement trainer is starting');
    const deadline = Date.now() + 60_000;
    while (!stack.worker!.spareTrainer()?.ready) {
      assert.ok(Date.now() < deadline, 'the replacement became ready');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await run(), spare.pid, 'the next job runs on the warmed-up replacement');
    assert.equal(stack.worker!.spareTrainer(), undefined);
    while (isAlive(first)) {
      assert.ok(Date.now() < deadline, 'the old trainer process exited');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  test('an unwritable checkpoint folder fails the job clearly and leaves no partial checkpoint', async () => {
    // As root, permissions do not stop writes; a file where the models folder should be does.
    const models = path.join(stack.config.checkpointDir, 'models');
    const aside = `${models}.aside`;
    await fs.rename(models, aside);
    await fs.writeFile(models, 'not a folder');
    try {
      const res = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 2 }));
      const job = await waitForState(stack, res.body.id, ['failed', 'completed']);
      assert.equal(job.state, 'failed');
      assert.match(job.error.message, /could not write .* under CHECKPOINT_DIR .*ENOTDIR/);
    } finally {
      await fs.rm(models);
      await fs.rename(aside, models);
    }
    const leftovers: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await fs.readdir(dir, { withFileTypes: true })) {
        if (e.name.startsWith('.tmp-') || e.name.startsWith('.old-')) leftovers.push(path.join(dir, e.name));
        if (e.isDirectory()) await walk(path.join(dir, e.name));
      }
    };
    await walk(stack.config.checkpointDir);
    assert.deepEqual(leftovers, []);
  });

  test('the API shutting down tells open streams to reconnect, then closes them', async () => {
    const quiet = await startStack({ worker: false });
    const res = await post(quiet, '/v1/jobs', seedMlpJob());
    const reading = readEvents(`${quiet.baseUrl}/v1/jobs/${res.body.id}/events`, { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    const closing = quiet.app.close();
    const events = await reading;
    await closing;
    assert.deepEqual(events.map((e) => e.event), ['state', 'reconnect']);
    assert.equal(events[1].id, undefined);
    await quiet.close().catch(() => {});
  });
});
