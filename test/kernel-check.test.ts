/**
 * The trainer a worker runs computes convolution gradients right on this machine: TrainerClient's
 * start-up check (src/engine/kernel-check.ts) restarts the trainer with a fix where TensorFlow's
 * oneDNN kernels compute a 1x1 convolution's input gradient wrong (some CPUs and VMs), and the
 * started trainer passes the check whatever the machine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { TrainerClient } from '../workers/trainer-client.ts';

test("a started trainer computes a 1x1 convolution's input gradient to float32 rounding, with the fix it needed in its environment", async () => {
  const trainer = new TrainerClient();
  try {
    const fixes = await trainer.startChecked();
    assert.equal(trainer.backend, 'tensorflow');
    assert.ok(trainer.kernelError !== null && trainer.kernelError <= 1e-4, `relative error ${trainer.kernelError} after fixes ${JSON.stringify(fixes)}`);
    const environ = (await fs.readFile(`/proc/${trainer.pid}/environ`, 'utf8')).split('\0');
    for (const { env, error } of fixes) {
      assert.ok(error > 1e-4);
      for (const [k, v] of Object.entries(env)) assert.ok(environ.includes(`${k}=${v}`), `${k}=${v} in the trainer's environment`);
    }
    console.log(`# kernel check: relative error ${trainer.kernelError.toExponential(2)}; fixes ${JSON.stringify(fixes.map((f) => f.env))}`);
  } finally {
    await trainer.stop();
  }
});
