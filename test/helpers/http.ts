import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import type { Stack } from './stack.ts';

const DATASET_FIXTURES = new URL('../fixtures/datasets/', import.meta.url);

/** Uploads files of test/fixtures/datasets as one dataset (201 asserted). */
export async function uploadFixtures(stack: Stack, ...names: string[]) {
  const form = new FormData();
  for (const name of names) form.append('file', new Blob([await fs.readFile(new URL(name, DATASET_FIXTURES))]), name);
  const res = await fetch(`${stack.baseUrl}/v1/datasets`, { method: 'POST', body: form });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as { id: string; arrays: Record<string, { shape: number[]; dtype: string; columns?: string[] }> };
}

export async function post(stack: Stack, url: string, body: unknown) {
  const res = await fetch(`${stack.baseUrl}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

export async function getJson(stack: Stack, url: string) {
  const res = await fetch(`${stack.baseUrl}${url}`);
  return { status: res.status, body: (await res.json()) as any };
}

export async function del(stack: Stack, url: string) {
  const res = await fetch(`${stack.baseUrl}${url}`, { method: 'DELETE' });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export async function waitForState(stack: Stack, id: string, states: string[], timeoutMs = 60_000) {
  const start = Date.now();
  for (;;) {
    const { body } = await getJson(stack, `/v1/jobs/${id}`);
    if (states.includes(body.state)) return body;
    if (Date.now() - start > timeoutMs) throw new Error(`job ${id} still ${body.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls a sweep until it is in one of states; the error names its trials, to show where it stuck. */
export async function waitForSweep(stack: Stack, id: string, states: string[], timeoutMs = 180_000) {
  const start = Date.now();
  for (;;) {
    const { body } = await getJson(stack, `/v1/sweeps/${id}`);
    if (states.includes(body.state)) return body;
    if (Date.now() - start > timeoutMs) throw new Error(`sweep ${id} still ${body.state}: ${JSON.stringify(body.trials)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
