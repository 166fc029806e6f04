/**
 * keras-jobs/client, the typed client: its types are what openapi-typescript makes of the committed
 * document, it type-checks, and the tutorial's section 1 runs through it against a real service —
 * submit, follow (a dropped stream resumed with Last-Event-ID, no gap, no duplicate), poll, files,
 * and a problem as a typed error. The README's client example (examples/client.ts) runs too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CLIENT_TYPES_FILE, OPENAPI_FILE, generateClientTypes } from '../scripts/write-openapi.ts';
import { ApiError, createClient, type FitJobCreate, type JobEvent } from '../src/client/index.ts';
import { startStack, type Stack } from './helpers/stack.ts';

const ROOT = new URL('../', import.meta.url).pathname;
const TUTORIAL_1 = path.join(ROOT, 'examples', '1a-first-model-validation-data.json');

test('the client types are generated from the committed document (run `npm run openapi`)', async () => {
  const generated = await generateClientTypes(await fs.readFile(OPENAPI_FILE, 'utf8'));
  assert.equal(await fs.readFile(CLIENT_TYPES_FILE, 'utf8'), generated);
});

test('freshly generated types type-check with the client and the example that use them', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kj-client-'));
  await fs.writeFile(path.join(dir, 'schema.d.ts'), await generateClientTypes(await fs.readFile(OPENAPI_FILE, 'utf8')));
  // The client's sources against the new types, and a program written against the client.
  for (const f of ['index.ts', 'errors.ts', 'events.ts']) await fs.copyFile(path.join(ROOT, 'src/client', f), path.join(dir, f));
  const program = (await fs.readFile(path.join(ROOT, 'examples/client.ts'), 'utf8')).replace("'keras-jobs/client'", "'./index.ts'").replace("new URL('./1a-first-model-validation-data.json', import.meta.url)", JSON.stringify(TUTORIAL_1));
  await fs.writeFile(path.join(dir, 'program.ts'), program);
  await fs.symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  await fs.writeFile(path.join(dir, 'package.json'), '{"type": "module"}');
  await fs.writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, allowImportingTsExtensions: true, skipLibCheck: true, types: ['node'] }, include: ['*.ts'] }));
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
  assert.equal(tsc.status, 0, `tsc: ${tsc.stdout}${tsc.stderr}`);
  // A typo in a body key is a type error, not a 422 at runtime.
  await fs.writeFile(path.join(dir, 'program.ts'), `import { createClient } from './index.ts';\nconst kj = createClient({ baseUrl: 'http://x' });\nawait kj.api.POST('/v1/jobs', { body: { type: 'fit', fit: { x: [[1]], y: [1], epohcs: 2 } } });\n`);
  const bad = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stdout, /epohcs/);
  await fs.rm(dir, { recursive: true, force: true });
});

describe('the tutorial through the typed client', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack.close();
  });

  test('section 1: submit, follow with a resumed stream, poll, download, and a problem', async () => {
    const kj = createClient({ baseUrl: stack.baseUrl });
    const spec = JSON.parse(await fs.readFile(TUTORIAL_1, 'utf8')) as FitJobCreate;
    spec.fit.epochs = 3;
    const accepted = await kj.ok(kj.api.POST('/v1/jobs', { body: spec }));
    assert.equal(accepted.state, 'queued');

    // Read a few events, drop the connection, and go on from the last one seen.
    const first: JobEvent[] = [];
    for await (const e of kj.follow(accepted.id)) {
      first.push(e);
      if (first.length === 3) break;
    }
    const rest: JobEvent[] = [];
    for await (const e of kj.follow(accepted.id, { lastEventId: first.at(-1)!.id })) rest.push(e);
    const all: JobEvent[] = [];
    for await (const e of kj.follow(accepted.id)) all.push(e);
    assert.deepEqual([...first, ...rest].map((e) => e.id), all.map((e) => e.id), 'resumed: every event once, in order');
    const epochs = all.filter((e) => e.event === 'epoch_end');
    assert.equal(epochs.length, 3);
    assert.equal(all.at(-1)!.event, 'completed');

    const job = await kj.ok(kj.api.GET('/v1/jobs/{id}', { params: { path: { id: accepted.id } } }));
    assert.equal(job.state, 'completed');
    assert.deepEqual(Object.keys(job.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    for (const [i, e] of epochs.entries()) if (e.event === 'epoch_end') assert.equal(e.data.logs.loss, job.history.loss[i]);

    const model = await kj.ok(kj.api.GET('/v1/models/{id}', { params: { path: { id: job.model_id! } } }));
    assert.equal(model.summary.total_params, 6922);
    // The wildcard route: a path with a slash, as a generated client sends it.
    const file = await kj.api.GET('/v1/models/{id}/files/{path}', { params: { path: { id: model.id, path: 'final/model.json' } }, parseAs: 'text' });
    assert.equal(file.response.status, 200);
    assert.ok(JSON.parse(file.data as string).modelTopology);

    const missing = await kj.ok(kj.api.GET('/v1/jobs/{id}', { params: { path: { id: '00000000-0000-4000-8000-000000000000' } } })).catch((e: unknown) => e);
    assert.ok(missing instanceof ApiError);
    assert.equal(missing.status, 404);
    assert.equal(missing.problem?.status, 404);
    const refused = await kj.ok(kj.api.POST('/v1/jobs', { body: { ...spec, fit: { ...spec.fit, batch_size: 0 } } })).catch((e: unknown) => e);
    assert.ok(refused instanceof ApiError && refused.status === 400 && /batch_size/.test(JSON.stringify(refused.problem)));
  });

  test("the README's example (examples/client.ts) trains section 1 and prints its epochs", async () => {
    // Not spawnSync: this process serves the API and runs the worker meanwhile.
    const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, 'examples/client.ts')], { encoding: 'utf8', env: { ...process.env, KJOBS_URL: stack.baseUrl }, timeout: 180_000 });
    const epochs = JSON.parse(await fs.readFile(TUTORIAL_1, 'utf8')).fit.epochs;
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines.filter((l) => new RegExp(`^epoch \\d+/${epochs} \\{"accuracy"`).test(l)).length, epochs, run.stdout);
    assert.equal(lines.at(-1), 'completed');
  });
});
