/**
 * `npm run openapi`: writes openapi/openapi.json from the route schemas. The test suite fails when
 * the committed file differs from what the code generates, so the document cannot go stale.
 */
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';

export const OPENAPI_FILE = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url));

export async function generateOpenApi(): Promise<string> {
  const app = await buildApp({ config: loadConfig({}), logger: false });
  await app.ready();
  const doc = JSON.stringify(app.swagger(), null, 2) + '\n';
  await app.close();
  return doc;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await fs.mkdir(fileURLToPath(new URL('../openapi/', import.meta.url)), { recursive: true });
  await fs.writeFile(OPENAPI_FILE, await generateOpenApi());
  console.log(`wrote ${OPENAPI_FILE}`);
}
