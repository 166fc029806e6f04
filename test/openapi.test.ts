/**
 * The OpenAPI document: current (the committed file is what the code generates), valid for
 * Redocly's recommended ruleset, and shaped for client generators — named components, operationIds,
 * problems on every error, examples on every JSON body, the event stream described.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import { OPENAPI_FILE, generateOpenApi } from '../scripts/write-openapi.ts';

const REDOCLY = new URL('../node_modules/.bin/redocly', import.meta.url).pathname;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const operations = (doc: any) => Object.entries(doc.paths).flatMap(([route, item]: [string, any]) => METHODS.filter((m) => item[m]).map((m) => ({ route, method: m, op: item[m] })));

test('the committed OpenAPI document is what the code generates (run `npm run openapi` after changing a route)', async () => {
  const committed = await fs.readFile(OPENAPI_FILE, 'utf8');
  assert.equal(committed, await generateOpenApi());
});

test('redocly lint (recommended ruleset) finds no errors', () => {
  const run = spawnSync(REDOCLY, ['lint', OPENAPI_FILE, '--format=json', '--max-problems=1000'], { encoding: 'utf8', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
  const report = JSON.parse(run.stdout) as { problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }> };
  const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
  assert.deepEqual(errors, []);
});

test('client generators get named types, operationIds, problems and examples', async () => {
  const doc = JSON.parse(await fs.readFile(OPENAPI_FILE, 'utf8'));
  for (const name of ['JobCreate', 'FitJobCreate', 'ModelSpec', 'Layer', 'CompileSpec', 'FitSpec', 'Job', 'JobEvent', 'Model', 'Dataset', 'Problem', 'Usage']) assert.ok(doc.components.schemas[name], `component ${name}`);
  assert.ok(!JSON.stringify(doc).includes('"def-'), 'no unnamed def-N components');
  assert.deepEqual(doc.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', description: doc.components.securitySchemes.bearer.description });
  assert.ok(doc.servers.length > 0 && doc.info.license.name);
  const ops = operations(doc);
  const ids = ops.map((o) => o.op.operationId);
  assert.equal(new Set(ids).size, ops.length, `every operation has its own operationId: ${ids}`);
  for (const id of ['createJob', 'getJob', 'listJobs', 'cancelJob', 'streamJobEvents', 'importModel', 'exportModel', 'uploadDataset']) assert.ok(ids.includes(id), id);
  for (const { route, method, op } of ops) {
    const where = `${method.toUpperCase()} ${route}`;
    for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
      if (!/^[45]/.test(status) || route === '/ready') continue;
      assert.deepEqual(Object.keys(response.content), ['application/problem+json'], `${where} ${status}`);
      assert.equal(response.content['application/problem+json'].schema.$ref, '#/components/schemas/Problem', `${where} ${status}`);
    }
    const json = op.requestBody?.content['application/json'];
    if (json) assert.ok(Object.keys(json.examples ?? {}).length > 0, `${where}: a JSON body with no example`);
    if (op.security?.length !== 0) assert.ok(op.responses['401'], `${where}: needs a key, so documents 401`);
  }
  const sse = doc.paths['/v1/jobs/{id}/events'].get.responses['200'].content['text/event-stream'].schema;
  assert.equal(sse.$ref, '#/components/schemas/JobEvent');
  const events = doc.components.schemas.JobEvent.anyOf.map((ref: any) => doc.components.schemas[ref.$ref.split('/').pop()].properties.event.enum[0]);
  for (const type of ['state', 'epoch_end', 'checkpoint', 'early_stopping', 'lr_reduced', 'completed', 'failed', 'cancelled']) assert.ok(events.includes(type), `event ${type}`);
  // Tutorial examples are real bodies: section 1's fit is among them.
  assert.equal(doc.paths['/v1/jobs'].post.requestBody.content['application/json'].examples['1a_first_model_validation_data'].value.type, 'fit');
});
