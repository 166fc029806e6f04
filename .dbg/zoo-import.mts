import fs from 'node:fs';
import { startStack } from '/work/main/test/helpers/stack.ts';
const dir = '/work/main/test/fixtures/zoo';
const stack = await startStack();
const only = process.argv.slice(2);
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.keras'))) {
  if (only.length && !only.some((o) => f.startsWith(o))) continue;
  const form = new FormData();
  form.append('file', new Blob([fs.readFileSync(`${dir}/${f}`)]), f);
  console.log('posting', f); const res = await fetch(`${stack.baseUrl}/v1/models/import`, { method: 'POST', body: form, signal: AbortSignal.timeout(120000) });
  const body: any = await res.json();
  console.log(f, res.status, res.status >= 300 ? JSON.stringify(body).slice(0, 600) : body.id);
}
await stack.close();
