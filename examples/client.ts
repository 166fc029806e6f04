// Tutorial section 1 through the typed client: submit the fit, print each epoch as it ends.
import { readFileSync } from 'node:fs';
import { createClient, type JobCreate } from 'keras-jobs/client';

const kj = createClient({ baseUrl: process.env.KJOBS_URL ?? 'http://127.0.0.1:3000', apiKey: process.env.KJOBS_API_KEY });
const spec = JSON.parse(readFileSync(new URL('./1a-first-model-validation-data.json', import.meta.url), 'utf8')) as JobCreate;
const job = await kj.ok(kj.api.POST('/v1/jobs', { body: spec }));
for await (const e of kj.follow(job.id)) {
  if (e.event === 'epoch_end') console.log(`epoch ${e.data.epoch + 1}/${e.data.epochs}`, JSON.stringify(e.data.logs));
  if (e.event === 'completed' || e.event === 'failed' || e.event === 'cancelled') console.log(e.event);
}
