/**
 * The dashboard's sweep pages in a real browser (Debian's Chromium driven by playwright-core)
 * against a real service: a grid sweep's page fills its trials table in live from the sweep's
 * event stream, sorts by objective, marks the best trial as the API names it, charts one objective
 * curve per trial and draws every trial across its hyperparameters; a long sweep is cancelled from
 * its page; with API keys the pages ask for a key once and show only that tenant's sweeps.
 * The screenshot is written to SCREENSHOT_DIR (the README's comes from here: SCREENSHOT_DIR=docs/screenshots).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startStack, type Stack } from './helpers/stack.ts';
import { post, waitForSweep } from './helpers/http.ts';
import { seedMlpJob } from './helpers/specs.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const missing = fs.existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH); .ci/run installs it`;
const screenshots = process.env.SCREENSHOT_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kj-screens-'));

async function launch(): Promise<Browser> {
  // As in dashboard.test.ts: no background networking (this network refuses Google's hosts), no sandbox (CI runs as root).
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

/** The tutorial MLP with its first layer's units and the learning rate as hyperparameters (as in sweeps.test.ts). */
function tutorialBase(epochs: number, samples = 300) {
  const job = seedMlpJob({ epochs, samples }) as any;
  job.model.layers[0].config.units = { $hp: 'units' };
  job.compile.optimizer.config.learning_rate = { $hp: 'learning_rate' };
  return job;
}
const space = { units: { type: 'choice', values: [8, 32] }, learning_rate: { type: 'choice', values: [0.001, 0.01] } };
const objective = { name: 'val_loss', direction: 'min' };

/** Every change of the trials table, recorded in the page from its first paint (no polling gaps). */
function recordTable(page: Page) {
  return page.addInitScript(() => {
    const w = window as any;
    w.__tableSnapshots = [];
    new MutationObserver(() => {
      const rows = [...document.querySelectorAll('#trials tbody tr')] as HTMLElement[];
      const snap = `${rows.length} rows, ${rows.filter((r) => r.dataset.state === 'completed').length} completed`;
      if (w.__tableSnapshots.at(-1) !== snap) w.__tableSnapshots.push(snap);
    }).observe(document, { childList: true, subtree: true, attributes: true });
  });
}

const rowObjectives = (page: Page) => page.locator('#trials tbody tr').evaluateAll((rows) => rows.map((r) => ((r as HTMLElement).dataset.objective ? Number((r as HTMLElement).dataset.objective) : null)));

describe('sweep pages in a browser', { skip: missing }, () => {
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

  test('a grid sweep: its page fills the trials table live, sorts by objective, marks the best, charts every trial', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = collectErrors(page);
    await recordTable(page);
    const res = await post(stack, '/v1/sweeps', { base: tutorialBase(2), search_space: space, algorithm: { class_name: 'GridSearch' }, objective, max_trials: 10, max_parallel_trials: 2 });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.id;
    await page.goto(`${stack.baseUrl}/ui/sweep.html?id=${id}`);

    // No reload: the rows come and complete from the event stream.
    await page.waitForFunction(() => document.querySelectorAll('#trials tbody tr[data-state="completed"]').length === 4, undefined, { timeout: 180_000 });
    await page.waitForSelector('body[data-state="completed"]', { timeout: 30_000 });
    const snapshots: string[] = await page.evaluate(() => (window as any).__tableSnapshots);
    assert.equal(snapshots.at(-1), '4 rows, 4 completed');
    assert.ok(snapshots.some((s) => !s.endsWith(' 4 completed')), `the table filled in while the page watched: ${snapshots.join(' → ')}`);
    assert.equal(await page.locator('#trials tbody tr').count(), 4);
    assert.equal(await page.locator('#cancel').isHidden(), true, 'no Cancel once the sweep has ended');

    const sweep = await waitForSweep(stack, id, ['completed']);
    assert.equal(sweep.trials.length, 4);
    assert.ok(sweep.best, 'the API names a best trial');

    // Each row shows its trial's hyperparameters, objective and job, as the API has them.
    for (const t of sweep.trials) {
      const row = page.locator(`#trials tbody tr[data-trial="${t.id}"]`);
      assert.equal(Number(await row.getAttribute('data-objective')), t.objective);
      const cells = await row.locator('td').allTextContents();
      assert.deepEqual(cells.slice(1, 3), [String(t.hyperparameters.units), String(t.hyperparameters.learning_rate)]);
      assert.equal(cells[4], t.objective.toFixed(4), 'the objective in Keras formatting');
      assert.equal(cells[5], '2', 'epochs run');
      assert.equal(await row.locator('a').getAttribute('href'), `/ui/job.html?id=${t.job_id}`);
    }

    // The best row is marked, and it is the API's best.
    const bestRows = page.locator('#trials tbody tr[data-best="true"]');
    assert.equal(await bestRows.count(), 1);
    assert.equal(await bestRows.getAttribute('data-trial'), sweep.best.trial_id);
    assert.match(await bestRows.textContent() ?? '', /best/);
    assert.equal(await page.locator('#best').getAttribute('data-trial'), sweep.best.trial_id);
    assert.equal(Math.min(...sweep.trials.map((t: any) => t.objective)), sweep.best.objective);

    // Sorting by objective: ascending on the first click, descending on the second.
    const apiObjectives = sweep.trials.map((t: any) => t.objective as number);
    await page.locator('#sort-objective button').click();
    assert.deepEqual(await rowObjectives(page), [...apiObjectives].sort((a, b) => a - b));
    assert.equal(await page.locator('#trials tbody tr').first().getAttribute('data-best'), 'true', 'val_loss is minimised: the best comes first');
    await page.locator('#sort-objective button').click();
    assert.deepEqual(await rowObjectives(page), [...apiObjectives].sort((a, b) => b - a));
    assert.equal(await page.locator('#sort-objective').getAttribute('aria-sort'), 'descending');

    // One objective curve per trial (each of 2 epochs), and one line per trial across the hyperparameters.
    await page.waitForFunction(() => document.getElementById('curves')?.dataset.points === '8', undefined, { timeout: 30_000 });
    assert.equal(await page.locator('#curves').getAttribute('data-series'), '4');
    const legend = (await page.locator('#curves .u-legend .u-series th').allTextContents()).filter(Boolean).slice(1);
    assert.deepEqual(legend.map((l) => l.replace(' ★', '')).sort(), sweep.trials.map((t: any) => `trial ${t.id}`).sort());
    assert.equal(await page.locator('#parallel').getAttribute('data-lines'), '4');
    assert.equal(await page.locator('#parallel path.trial.best').getAttribute('data-trial'), sweep.best.trial_id);
    assert.deepEqual(await page.locator('#parallel .axis-name').allTextContents(), ['units', 'learning_rate', 'val_loss']);

    await page.locator('#sort-objective button').click(); // back to best first for the picture
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(screenshots, 'sweep-page.png'), fullPage: true });

    // The sweeps list, from the dashboard's navigation, leads to the same page.
    await page.goto(`${stack.baseUrl}/ui/`);
    await page.locator('header nav a', { hasText: 'Sweeps' }).click();
    await page.waitForURL(/\/ui\/sweeps\.html$/);
    const listed = page.locator(`#sweeps tr[data-sweep="${id}"]`);
    await listed.waitFor();
    assert.equal(await listed.getAttribute('data-state'), 'completed');
    assert.match(await listed.textContent() ?? '', /GridSearch.*val_loss \(min\).*4 of 10/s);
    await listed.locator('a').click();
    await page.waitForURL(new RegExp(`/ui/sweep\\.html\\?id=${id}$`));
    await page.waitForSelector('body[data-state="completed"]');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a long sweep is cancelled from its page', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = collectErrors(page);
    const res = await post(stack, '/v1/sweeps', { base: tutorialBase(200, 3000), search_space: space, algorithm: { class_name: 'RandomSearch', config: { seed: 3 } }, objective, max_trials: 4, max_parallel_trials: 2 });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const id = res.body.id;
    await page.goto(`${stack.baseUrl}/ui/sweep.html?id=${id}`);
    await page.waitForSelector('body[data-state="running"]');
    await page.locator('#trials tbody tr[data-state="running"]').first().waitFor({ timeout: 60_000 });
    // The running trial's curve grows on the chart before it ends.
    await page.waitForFunction(() => Number(document.getElementById('curves')?.dataset.points) >= 2, undefined, { timeout: 60_000 });
    assert.equal(await page.locator('#cancel').isVisible(), true);

    await page.locator('#cancel').click();
    await page.waitForSelector('body[data-state="cancelled"]', { timeout: 60_000 });
    assert.equal(await page.locator('#state').textContent(), 'cancelled');
    assert.equal(await page.locator('#cancel').isHidden(), true);
    const sweep = await waitForSweep(stack, id, ['cancelled', 'completed']);
    assert.equal(sweep.state, 'cancelled');
    // Every trial the page shows is one the API has, cancelled with it.
    await page.waitForFunction((n) => document.querySelectorAll('#trials tbody tr[data-state="cancelled"]').length === n, sweep.trials.length, { timeout: 30_000 });
    assert.ok(sweep.trials.every((t: any) => t.state === 'cancelled'), JSON.stringify(sweep.trials));
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('with API keys the sweep pages ask for a key once, then show only that tenant\u2019s sweeps', async () => {
    const keyed = await startStack({ worker: false, env: { API_KEYS: 'acme:acme-key,other:other-key' } });
    try {
      const submit = (key: string) =>
        fetch(`${keyed.baseUrl}/v1/sweeps`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ base: tutorialBase(1, 64), search_space: space, algorithm: { class_name: 'GridSearch' }, objective, max_trials: 2 }),
        }).then((r) => r.json() as Promise<{ id: string }>);
      const mine = await submit('acme-key');
      const theirs = await submit('other-key');
      const page = await browser.newPage();
      const errors = collectErrors(page);
      await page.goto(`${keyed.baseUrl}/ui/sweeps.html`);
      await page.locator('#key-dialog input[name="key"]').fill('acme-key');
      await page.locator('#key-dialog button[type="submit"]').click();
      await page.locator(`tr[data-sweep="${mine.id}"]`).waitFor();
      assert.equal(await page.locator(`tr[data-sweep="${theirs.id}"]`).count(), 0);
      // The sweep page (and its event stream) go with the same key, not asked again. No worker
      // here: its first trial waits queued.
      await page.locator(`tr[data-sweep="${mine.id}"] a`).click();
      await page.waitForSelector('body[data-state="running"]');
      await page.locator('#trials tbody tr[data-trial="0"][data-state="queued"]').waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('#key-dialog').evaluate((d) => (d as HTMLDialogElement).open), false);
      assert.equal(await page.locator('#cancel').isVisible(), true);
      assert.deepEqual(errors.filter((e) => !/status of 401/.test(e)), []);
      await page.close();
    } finally {
      await keyed.close();
    }
  });
});
