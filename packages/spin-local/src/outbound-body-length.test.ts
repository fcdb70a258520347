/**
 * An outbound request's body is held to the Content-Length the guest declared, as Spin's host
 * (wasmtime-wasi-http) holds it: finishing short of it, or writing past it, fails the request
 * with `HTTP-request-body-size`, and the server never receives a complete request. (A body the
 * guest forwards from a client who went away must not reach object storage as a whole object.)
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './harness.ts';
import { startFixtureApp } from '../test/probe-app.ts';

let app: TestApp;
let upstream: Server;
let upstreamUrl: string;
/** What the upstream server saw of each request: the bytes and whether the request completed. */
const seen: { bytes: number; complete: boolean }[] = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      seen.push({ bytes, complete: true });
      res.end(`got ${bytes}`);
    });
    req.on('close', () => {
      if (!req.complete) seen.push({ bytes, complete: false });
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/object`;
  app = await startFixtureApp({ components: ['probe', 'hidden'] });
});
afterAll(async () => {
  await app?.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

async function putDeclared(chunks: string[], contentLength: number): Promise<{ status?: number; body?: string; error?: string }> {
  const response = await app.fetch('/probe/fetchDeclared', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: upstreamUrl, chunks, contentLength }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { status?: number; body?: string; error?: string };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

describe('an outbound body and its Content-Length', () => {
  it('sends a body of exactly its declared length', async () => {
    seen.length = 0;
    expect(await putDeclared(['hello ', 'world'], 11)).toEqual({ status: 200, body: 'got 11' });
    await settle();
    expect(seen).toEqual([{ bytes: 11, complete: true }]);
  });

  it('fails a body that ends short of its Content-Length, and the server gets no complete request', async () => {
    seen.length = 0;
    const result = await putDeclared(['abc'], 10);
    expect(result.status).toBeUndefined();
    expect(result.error).toBeTruthy();
    await settle();
    expect(seen.every((request) => !request.complete)).toBe(true);
  });

  it('fails a body that runs past its Content-Length', async () => {
    seen.length = 0;
    const response = await app.fetch('/probe/fetchDeclared', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: upstreamUrl, chunks: ['abcdef', 'ghijkl'], contentLength: 8 }),
    });
    // The write past the limit fails; this engine (StarlingMonkey) treats a failed body write as
    // fatal, so the guest traps (500), as it would under Spin.
    expect(response.status).toBe(500);
    expect(app.logs.text()).toContain('unreachable');
    await settle();
    expect(seen.every((request) => !request.complete)).toBe(true);
  });
});
