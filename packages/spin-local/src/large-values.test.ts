/**
 * 5 MiB through every boundary of a compiled component, each as one buffer: outbound Redis,
 * a Postgres bytea parameter and result, an outbound HTTP request and response, the incoming
 * request body and the response body. componentize-js 0.10 trapped on host values above
 * ~256 KiB and wrote outgoing bodies above 1 MiB wrongly; this pins that both are gone.
 * Embedded backends by default; the real servers when DB_CONNECTION / REDIS_ADDRESS are set.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './harness.ts';
import { startFixtureApp } from '../test/probe-app.ts';

const SIZE = 5 * 1024 * 1024;

/** The probe's pattern: byte[i] = i % 251. */
function pattern(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = i % 251;
  return bytes;
}
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const expected = { length: SIZE, sha256: sha256(pattern(SIZE)) };

let app: TestApp;
let server: Server;
let target: string;

beforeAll(async () => {
  // The outbound target: reports what it received in headers and answers `size` pattern bytes.
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const size = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('size'));
      response.writeHead(200, { 'x-received-length': String(body.byteLength), 'x-received-sha256': sha256(body) });
      response.end(pattern(size));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/echo`;
  app = await startFixtureApp({ components: ['limits'] });
});
afterAll(async () => {
  await app?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function probe(path: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const response = await app.fetch(`/limits/${path}`, init);
  const text = await response.text();
  expect(response.status, text.slice(0, 500)).toBe(200);
  return JSON.parse(text) as Record<string, unknown>;
}

describe('5 MiB across the component boundary', () => {
  it('through Redis set and get', async () => {
    expect(await probe(`redis?size=${SIZE}`)).toEqual(expected);
  });

  it('as a Postgres bytea parameter and result', async () => {
    expect(await probe(`pg?size=${SIZE}`)).toEqual({ serverLength: SIZE, ...expected });
  });

  it('as an outbound HTTP request body and response body', async () => {
    expect(await probe(`fetch?size=${SIZE}&target=${encodeURIComponent(target)}`)).toEqual({
      status: 200,
      serverReceivedLength: SIZE,
      serverReceivedSha256: expected.sha256,
      ...expected,
    });
  });

  it('as the incoming request body', async () => {
    expect(await probe('upload', { method: 'POST', body: pattern(SIZE) })).toEqual(expected);
  });

  it('streamed from an outbound response into the response, and from the request into an outbound request', async () => {
    // The two paths of a file service, neither holding the whole body: the executor reads and
    // writes them in pieces of up to 1 MiB / 256 KiB while the guest streams 8 KiB at a time.
    const relayed = await app.fetch(`/limits/relay?target=${encodeURIComponent(`${target}?size=${SIZE}`)}`);
    expect(relayed.status).toBe(200);
    const body = new Uint8Array(await relayed.arrayBuffer());
    expect({ length: body.byteLength, sha256: sha256(body) }).toEqual(expected);
    expect(await probe(`forward?target=${encodeURIComponent(target)}`, { method: 'POST', body: pattern(SIZE) })).toEqual({
      status: 200,
      serverReceivedLength: SIZE,
      serverReceivedSha256: expected.sha256,
    });
  });

  it('as the response body, given to Response as one buffer', async () => {
    const response = await app.fetch(`/limits/response?size=${SIZE}`);
    expect(response.status).toBe(200);
    const body = new Uint8Array(await response.arrayBuffer());
    expect({ length: body.byteLength, sha256: sha256(body) }).toEqual(expected);
  });
});
