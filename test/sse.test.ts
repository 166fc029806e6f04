/** SSE details a client depends on: heartbeats on a quiet stream, and bad Last-Event-IDs refused. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type Stack } from './helpers/stack.ts';
import { seedMlpJob } from './helpers/specs.ts';
import { readEvents } from './helpers/sse.ts';

describe('event stream of a job nobody has picked up yet', () => {
  let stack: Stack;
  let id: string;
  before(async () => {
    stack = await startStack({ worker: false, env: { SSE_HEARTBEAT_S: '1' } });
    const res = await fetch(`${stack.baseUrl}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(seedMlpJob()) });
    id = ((await res.json()) as any).id;
  });
  after(async () => {
    await stack.close();
  });

  test('stays open, shows the queued state and sends heartbeat comments', async () => {
    const controller = new AbortController();
    const res = await fetch(`${stack.baseUrl}/v1/jobs/${id}/events`, { signal: controller.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    let text = '';
    const decoder = new TextDecoder();
    const deadline = Date.now() + 2600;
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    while (Date.now() < deadline) {
      const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), deadline - Date.now()))]);
      if (chunk && !chunk.done) text += decoder.decode(chunk.value, { stream: true });
    }
    controller.abort();
    assert.match(text, /^retry: \d+\n\n/);
    assert.match(text, /id: \d+-\d+\nevent: state\ndata: \{"state":"queued"\}\n\n/);
    assert.ok((text.match(/^: heartbeat$/gm) ?? []).length >= 2, text);
  });

  test('a Last-Event-ID that is not a stream id is a 400', async () => {
    const res = await fetch(`${stack.baseUrl}/v1/jobs/${id}/events`, { headers: { 'last-event-id': 'yesterday' } });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as any).detail, /yesterday/);
  });

  test('many followers of one job (one shared read per event) each get every event once, in order', async () => {
    const url = `${stack.baseUrl}/v1/jobs/${id}/events`;
    const followers = Array.from({ length: 12 }, () => readEvents(url, { limit: 1 + 30, timeoutMs: 20_000 }));
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 30; i++) {
      await stack.app.services.events.append(id, 'tick', { i });
      if (i === 10) followers.push(readEvents(url, { limit: 1 + 30, timeoutMs: 20_000 })); // joins mid-stream
    }
    const seen = await Promise.all(followers);
    for (const events of seen) {
      assert.equal(events[0].event, 'state');
      assert.deepEqual(events.slice(1).map((e) => JSON.parse(e.data).i), [...Array(30).keys()]);
      assert.equal(new Set(events.map((e) => e.id)).size, events.length);
    }
  });

  test('Swagger UI is served at /docs', async () => {
    const res = await fetch(`${stack.baseUrl}/docs/`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /swagger/i);
  });
});
