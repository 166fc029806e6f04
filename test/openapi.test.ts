import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { OPENAPI_FILE, generateOpenApi } from '../scripts/write-openapi.ts';

test('the committed OpenAPI document is what the code generates (run `npm run openapi` after changing a route)', async () => {
  const committed = await fs.readFile(OPENAPI_FILE, 'utf8');
  const generated = await generateOpenApi();
  assert.equal(committed, generated);
  const doc = JSON.parse(generated);
  assert.ok(doc.paths['/v1/jobs'].post.requestBody, 'job submission is documented with its body');
  assert.ok(doc.paths['/v1/jobs/{id}/events'].get, 'the event stream is documented');
  assert.ok(doc.paths['/v1/models/{id}'].get);
});
