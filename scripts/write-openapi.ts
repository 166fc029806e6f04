/**
 * `npm run openapi`: writes openapi/openapi.json from the route schemas, and the typed client's
 * types (src/client/schema.d.ts) from that document with openapi-typescript. The test suite fails
 * when either committed file differs from what the code generates, so neither can go stale.
 */
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

export const OPENAPI_FILE = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url));
export const CLIENT_TYPES_FILE = fileURLToPath(new URL('../src/client/schema.d.ts', import.meta.url));

export async function generateOpenApi(): Promise<string> {
  const app = await buildApp({ config: loadConfig({}), logger: false });
  await app.ready();
  const doc = JSON.stringify(app.swagger(), null, 2) + '\n';
  await app.close();
  return doc;
}

/** The client's types, from the document's text (the committed one, in the test). */
export async function generateClientTypes(documentText: string): Promise<string> {
  const ast = await openapiTS(JSON.parse(documentText));
  return `/** Generated from openapi/openapi.json by openapi-typescript (npm run openapi); do not edit. */\n\n${astToString(ast)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await fs.mkdir(fileURLToPath(new URL('../openapi/', import.meta.url)), { recursive: true });
  const doc = await generateOpenApi();
  await fs.writeFile(OPENAPI_FILE, doc);
  await fs.writeFile(CLIENT_TYPES_FILE, await generateClientTypes(doc));
  console.log(`wrote ${OPENAPI_FILE} and ${CLIENT_TYPES_FILE}`);
}
