// Decision 16: a write's answer goes before its outbox flush. The flush runs in the request's
// FetchEvent.waitUntil once the answer is sent; the order of the runtime's log lines shows it (the
// request line is written when the response ends, the flush's debug line when it has published).
import { fileURLToPath } from 'node:url';
import type { TestApp } from '@authorworks/spin-local';
import { startService } from '@authorworks/spin-local/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_SECRET, newUser } from './content-app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startService({ manifest: fileURLToPath(new URL('../spin.toml', import.meta.url)), authSecret: AUTH_SECRET, components: ['content-api'], variables: { log_level: 'debug' } });
});
afterAll(async () => {
  await app?.close();
});

describe('work after the answer', () => {
  it('answers a write before its events are published, and publishes them right after', async () => {
    const author = newUser();
    const from = app.logs.lines.length;
    // A client of the server (the harness's own fetch would wait for the flush too).
    const response = await fetch(new URL('/v1/content/books', app.url), {
      method: 'POST',
      headers: { ...author.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'After the answer' }),
    });
    expect(response.status).toBe(201);
    await response.json();
    await app.app.waitForRequests();
    const lines = app.logs.lines.slice(from);
    const answered = lines.findIndex((line) => line.kind === 'request' && /POST \/v1\/content\/books -> content-api 201/.test(line.text));
    const flushed = lines.findIndex((line) => line.kind === 'guest' && line.text.includes('"msg":"outbox flushed"'));
    expect(answered).toBeGreaterThanOrEqual(0);
    expect(flushed).toBeGreaterThan(answered);
    // The request's own line (the guest's) came before the answer: its `ms` is the time to the answer.
    const requestLine = lines.findIndex((line) => line.kind === 'guest' && line.text.includes('"msg":"request"') && line.text.includes('"status":201'));
    expect(requestLine).toBeGreaterThanOrEqual(0);
    expect(requestLine).toBeLessThan(answered);
    expect(app.logs.text('error')).toBe('');
  });
});
