import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import type { Stack } from './stack.ts';
import { until } from './until.ts';

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
  let body: any;
  return until(
    () => `job ${id} to be ${states.join(' or ')}, still ${body?.state}`,
    async () => {
      body = (await getJson(stack, `/v1/jobs/${id}`)).body;
      return states.includes(body.state) && body;
    },
    timeoutMs,
    50,
  );
}

/** Polls a sweep until it is in one of states; the timeout's error names its trials, to show where it stuck. */
export async function waitForSweep(stack: Stack, id: string, states: string[], timeoutMs = 180_000) {
  let body: any;
  return until(
    () => `sweep ${id} to be ${states.join(' or ')}, still ${body?.state}: ${JSON.stringify(body?.trials)}`,
    async () => {
      body = (await getJson(stack, `/v1/sweeps/${id}`)).body;
      return states.includes(body.state) && body;
    },
    timeoutMs,
    200,
  );
}
