/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core) against a real
 * service: the jobs page lists a job as it runs, the job page's charts gain points as epochs end,
 * the cancel button stops the job, and an API key is asked for once. Screenshots are written to
 * SCREENSHOT_DIR (the README's come from here: SCREENSHOT_DIR=docs/screenshots).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startStack, type Stack } from './helpers/stack.ts';
import { getJson, post, waitForState } from './helpers/http.ts';
import { seedMlpJob } from './helpers/specs.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const missing = fs.existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); .ci/run installs it`;
const screenshots = process.env.SCREENSHOT_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kj-screens-'));

/** Enough epochs that the test can watch the charts grow and still cancel a running job. */
function longJob() {
  // Epochs of ~0.1 s at graph speed: the job is still running while the page watches it.
  const spec = seedMlpJob({ epochs: 200, samples: 30_000 });
  (spec.compile as any).optimizer = { class_name: 'Adam', config: { learning_rate: 0.01 } };
  (spec.fit as any).callbacks = [{ class_name: 'ReduceLROnPlateau', config: { monitor: 'val_loss', factor: 0.5, patience: 1 } }];
  return spec;
}

async function launch(): Promise<Browser> {
  // Without the background-networking flags Chromium keeps dialling Google's hosts, which this
  // network refuses; --no-sandbox because CI runs as root.
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  return errors;
}

const points = (page: Page, family: string) => page.locator(`.chart[data-family="${family}"]`).getAttribute('data-points').then(Number);

describe('dashboard in a browser', { skip: missing }, () => {
  let stack: Stack;
  let browser: Browser;
  before(async () => {
    fs.mkdirSync(screenshots, { recursive: true });
    stack = await startStack();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test('jobs page lists a running job live; its page charts epochs as they end; cancel stops it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = collectErrors(page);
    await page.goto(`${stack.baseUrl}/`);
    await page.waitForSelector('#empty:not([hidden])');

    // A finished job first, so the list has more than one state to show.
    const done = await post(stack, '/v1/jobs', seedMlpJob({ epochs: 2, samples: 200 }));
    await waitForState(stack, done.body.id, ['completed']);
    const { body } = await post(stack, '/v1/jobs', longJob());
    const row = page.locator(`tr[data-job="${body.id}"]`);
    // No reload: the page picks the job up by itself and shows it running.
    await row.and(page.locator('[data-state="running"]')).waitFor({ timeout: 30_000 });
    await page.waitForFunction((id) => Number(document.querySelector(`tr[data-job="${id}"] .progress`)?.getAttribute('data-epoch')) >= 2, body.id, { timeout: 30_000 });
    await page.screenshot({ path: path.join(screenshots, 'jobs.png') });
    assert.equal(await page.locator(`tr[data-job="${done.body.id}"] .state`).textContent(), 'completed');

    await row.locator('a').click();
    await page.waitForURL(/\/ui\/job\.html\?id=/);
    await page.waitForSelector('.chart[data-family="loss"]');
    const first = await points(page, 'loss');
    // The chart gains points while we watch.
    await page.waitForFunction(([n]) => Number(document.querySelector('.chart[data-family="loss"]')?.getAttribute('data-points')) >= n + 2, [first], { timeout: 30_000 });
    assert.ok((await points(page, 'accuracy')) >= first + 2, 'every history key has its chart');
    assert.deepEqual(await page.locator('.chart[data-family="loss"] .u-legend .u-series th').allTextContents().then((t) => t.filter(Boolean).slice(1)), ['loss', 'val_loss']);
    assert.match(await page.locator('#summary').textContent() ?? '', /dense_1.*Dense.*\(None, 64\)/s, 'model summary');
    assert.match(await page.locator('#spec').textContent() ?? '', /"ReduceLROnPlateau"/);
    await page.screenshot({ path: path.join(screenshots, 'job.png'), fullPage: true });

    await page.locator('#cancel').click();
    await page.waitForSelector('body[data-state="cancelled"]', { timeout: 30_000 });
    const record = await getJson(stack, `/v1/jobs/${body.id}`);
    assert.equal(record.body.state, 'cancelled');
    assert.ok(record.body.progress.epoch < 200, 'stopped long before its last epoch');
    assert.equal(await page.locator('#cancel').isHidden(), true);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a finished job with callbacks: marks on the charts, results, checkpoints', async () => {
    const spec = seedMlpJob({ epochs: 6, samples: 300 });
    (spec.compile as any).optimizer = { class_name: 'Adam', config: { learning_rate: 0.05 } };
    (spec.fit as any).callbacks = [
      { class_name: 'ModelCheckpoint', config: { filepath: 'best', monitor: 'val_loss', save_best_only: true } },
      { class_name: 'ReduceLROnPlateau', config: { monitor: 'val_loss', factor: 0.5, patience: 1 } },
      { class_name: 'EarlyStopping', config: { monitor: 'val_loss', patience: 2 } },
    ];
    (spec as any).evaluate = { x: spec.fit.validation_data.x, y: spec.fit.validation_data.y };
    (spec as any).predict = { x: { random: { kind: 'uniform', shape: [3, 32], seed: 9 } } };
    const { body } = await post(stack, '/v1/jobs', spec);
    const job = await waitForState(stack, body.id, ['completed', 'failed']);
    assert.equal(job.state, 'completed', job.error?.message);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = collectErrors(page);
    await page.goto(`${stack.baseUrl}/ui/job.html?id=${body.id}`);
    await page.waitForSelector('body[data-state="completed"]');
    await page.waitForFunction((n) => Number(document.querySelector('.chart[data-family="loss"]')?.getAttribute('data-points')) === n, job.history.loss.length);
    const kinds = await page.locator('#marks li').evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.kind));
    assert.ok(kinds.includes('checkpoint'), `marks: ${kinds}`);
    if (job.history.loss.length < 6) assert.ok(kinds.includes('early_stopping'), `stopped early, marks: ${kinds}`);
    assert.equal(kinds.includes('lr_reduced'), new Set(job.history.learning_rate).size > 1);
    assert.match(await page.locator('#evaluate').textContent() ?? '', /accuracy.*loss/s);
    assert.equal(await page.locator('#predictions tbody tr').count(), 3);
    await page.locator('#checkpoints li', { hasText: 'best' }).waitFor();
    // The archive link downloads through fetch (so an API key would go along).
    const [downloaded] = await Promise.all([page.waitForEvent('download'), page.locator('#summary button').click()]);
    assert.equal(downloaded.suggestedFilename(), `${job.model_id}.tar.gz`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('with API keys the dashboard asks for a key once, then shows only that tenant\u2019s jobs', async () => {
    const keyed = await startStack({ worker: false, env: { API_KEYS: 'acme:acme-key,other:other-key' } });
    try {
      const submit = (key: string) =>
        fetch(`${keyed.baseUrl}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(seedMlpJob({ epochs: 1, samples: 64 })) }).then((r) => r.json() as Promise<{ id: string }>);
      const mine = await submit('acme-key');
      const theirs = await submit('other-key');
      const page = await browser.newPage();
      const errors = collectErrors(page);
      await page.goto(`${keyed.baseUrl}/`);
      await page.locator('#key-dialog input[name="key"]').fill('acme-key');
      await page.locator('#key-dialog button[type="submit"]').click();
      await page.locator(`tr[data-job="${mine.id}"]`).waitFor();
      assert.equal(await page.locator(`tr[data-job="${theirs.id}"]`).count(), 0);
      // Kept for the session: another page of the dashboard does not ask again.
      await page.goto(`${keyed.baseUrl}/ui/job.html?id=${mine.id}`);
      await page.waitForSelector('body[data-state="queued"]');
      assert.equal(await page.locator('#key-dialog').evaluate((d) => (d as HTMLDialogElement).open), false);
      // Expected console noise: the 401s before the key was given, and /ready's 503 (this stack has
      // no worker). Nothing else.
      assert.deepEqual(errors.filter((e) => !/status of (401|503)/.test(e)), []);
      await page.close();
    } finally {
      await keyed.close();
    }
  });
});
