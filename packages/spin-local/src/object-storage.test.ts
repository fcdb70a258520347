/**
 * The kit's object store inside a compiled component, on the object storage spin-local puts
 * behind the `minio_*` variables: embedded s3rver by default, the server at MINIO_ENDPOINT when
 * that is set (and, below, a second server reached through MINIO_ENDPOINT in every run).
 * s3rver does not check signatures; the kit's signing is proven against AWS's published examples
 * (packages/kit/src/object-store.test.ts), and here once more inside the engine.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createObjectStore } from '@authorworks/kit';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startApp } from './harness.ts';

const manifest = fileURLToPath(new URL('../test/fixtures/objects.toml', import.meta.url));
const MiB = 1024 * 1024;

/** byte[i] = i % 251 from `offset` on. */
function patternChunk(offset: number, length: number): Buffer {
  const chunk = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) chunk[i] = (offset + i) % 251;
  return chunk;
}
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** `size` pattern bytes as a stream of 256 KiB chunks, never held whole; `digest` once read. */
function patternStream(size: number): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  let offset = 0;
  const stream = new Readable({
    read() {
      if (offset >= size) return void this.push(null);
      const chunk = patternChunk(offset, Math.min(256 * 1024, size - offset));
      offset += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

async function readStreamed(body: ReadableStream<Uint8Array>): Promise<{ length: number; sha256: string }> {
  const hash = createHash('sha256');
  let length = 0;
  const reader = body.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    hash.update(next.value);
    length += next.value.length;
  }
  return { length, sha256: hash.digest('hex') };
}

let app: TestApp;
const secret = () => process.env.MINIO_SECRET_KEY || 'S3RVER';

beforeAll(async () => {
  app = await startApp({ manifest });
});
afterAll(async () => {
  await app?.close();
});

const put = (key: string, body: BodyInit, headers: Record<string, string> = {}) => app.fetch(`/objects/object/${key}`, { method: 'PUT', body, headers });

describe('object storage through a component', () => {
  it('runs on the backend the environment selects, behind the component variables', () => {
    expect(app.app.objectStorage?.kind).toBe(process.env.MINIO_ENDPOINT ? 'real' : 'embedded');
    expect(app.app.objectStorage?.endpoint).toMatch(/^http:\/\//);
  });

  it('signs AWS\u2019s PUT Object example right inside the engine', async () => {
    const answer = (await (await app.fetch('/objects/sign')).json()) as { authorization: string; firstMs: number; msPerSignature: number };
    console.log(`SigV4 header signature inside the engine: first ${answer.firstMs} ms, then ${answer.msPerSignature} ms each (20)`);
    expect(answer.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, ' +
        'Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
    );
  });

  it('puts, heads, gets (whole and a range), deletes', async () => {
    const put1 = await put('books/1/a%20b.txt', 'hello, objects', { 'content-type': 'text/plain' });
    expect(put1.status, await put1.clone().text()).toBe(200);
    const head = (await (await app.fetch('/objects/head/books/1/a%20b.txt')).json()) as { size: number; contentType: string; etag: string };
    expect(head).toMatchObject({ size: 14, contentType: 'text/plain' });
    const got = await app.fetch('/objects/object/books/1/a%20b.txt');
    expect(got.status).toBe(200);
    expect(await got.text()).toBe('hello, objects');
    const ranged = await app.fetch('/objects/object/books/1/a%20b.txt', { headers: { range: 'bytes=7-13' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe('bytes 7-13/14');
    expect(await ranged.text()).toBe('objects');
    expect((await app.fetch('/objects/object/books/1/a%20b.txt', { method: 'DELETE' })).status).toBe(204);
    expect(await (await app.fetch('/objects/head/books/1/a%20b.txt')).json()).toBeNull();
  });

  it('maps S3 errors to the envelope, with no credential in them', async () => {
    const missing = await app.fetch('/objects/object/no/such/key');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: 'No such object', details: [] } });

    const badRange = await put('ranged', 'short');
    expect(badRange.status).toBe(200);
    const unsatisfiable = await app.fetch('/objects/object/ranged', { headers: { range: 'bytes=100-200' } });
    expect(unsatisfiable.status).toBe(416);
    expect(((await unsatisfiable.json()) as { error: { code: string } }).error.code).toBe('range_not_satisfiable');

    const refused = await app.fetch('/objects/object/x?accessKey=NOT-A-KNOWN-KEY');
    const refusedText = await refused.text();
    expect(refused.status).toBe(500);
    expect(JSON.parse(refusedText)).toMatchObject({ error: { code: 'storage_error', message: 'Object storage refused the request (InvalidAccessKeyId)' } });
    expect(refusedText).not.toContain(secret());

    const unreachable = await app.fetch('/objects/object/x?endpoint=http://127.0.0.1:1');
    expect(unreachable.status).toBe(503);
    expect(((await unreachable.json()) as { error: { code: string } }).error.code).toBe('storage_unavailable');
    expect(app.logs.text()).not.toContain(secret());
  });

  it('presigns a GET and a PUT that work until they expire', async () => {
    expect((await put('presigned/get', 'for the browser')).status).toBe(200);
    const presign = async (key: string, query: string) =>
      ((await (await app.fetch(`/objects/presign/${key}?${query}`)).json()) as { url: string }).url;

    const getUrl = await presign('presigned/get', 'method=GET&expires=60');
    expect(new URL(getUrl).origin).toBe(app.app.objectStorage?.endpoint);
    expect(await (await fetch(getUrl)).text()).toBe('for the browser');

    // Signed two minutes ago for one minute: expired.
    const expired = await fetch(await presign('presigned/get', 'method=GET&expires=60&signedSecondsAgo=120'));
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('Request has expired');
    // Signed two minutes ago for five: still good.
    expect((await fetch(await presign('presigned/get', 'method=GET&expires=300&signedSecondsAgo=120'))).status).toBe(200);

    const putUrl = await presign('presigned/put', 'method=PUT&expires=60');
    expect((await fetch(putUrl, { method: 'PUT', body: 'uploaded directly' })).status).toBe(200);
    expect(await (await app.fetch('/objects/object/presigned/put')).text()).toBe('uploaded directly');
    const expiredPut = await fetch(await presign('presigned/put2', 'method=PUT&expires=60&signedSecondsAgo=120'), { method: 'PUT', body: 'late' });
    expect(expiredPut.status).toBe(403);
  });

  it('writes a body over 1 MiB given to fetch as one buffer exactly (the cjs 0.10 defect)', async () => {
    const size = 3 * MiB + 7;
    const answer = await app.fetch(`/objects/buffer/one-buffer?size=${size}`);
    expect(answer.status, await answer.clone().text()).toBe(200);
    const stored = await app.fetch('/objects/object/one-buffer');
    expect(await readStreamed(stored.body!)).toEqual({ length: size, sha256: sha256(patternChunk(0, size)) });
  });

  it('streams a 50 MiB download through the component in bounded memory', async () => {
    const size = 50 * MiB;
    // Uploaded straight to storage, as a browser would with a presigned URL (and by the kit's
    // client in Node, from a stream with its length).
    const upload = patternStream(size);
    const direct = createObjectStore({ endpoint: app.app.objectStorage!.endpoint, bucket: 'probe-objects', accessKeyId: process.env.MINIO_ACCESS_KEY || 'S3RVER', secretAccessKey: secret() });
    await direct.put('large', Readable.toWeb(upload.stream) as ReadableStream<Uint8Array>, { contentLength: size });

    // A small download first: the instance's memory after it is the baseline.
    expect((await put('warm-up', 'x')).status).toBe(200);
    await (await app.fetch('/objects/object/warm-up')).text();
    const baseline = app.app.runtimeStats().instances.peakGuestMemoryBytes;
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 10);
    const downloaded = await app.fetch('/objects/object/large');
    expect(downloaded.status).toBe(200);
    expect(downloaded.headers.get('content-length')).toBe(String(size));
    const received = await readStreamed(downloaded.body!);
    clearInterval(sampler);

    expect(received).toEqual({ length: size, sha256: upload.digest() });
    const guestPeak = app.app.runtimeStats().instances.peakGuestMemoryBytes;
    console.log(`50 MiB download: guest linear memory ${(baseline / MiB).toFixed(1)} → ${(guestPeak / MiB).toFixed(1)} MiB; process RSS ${(rssBefore / MiB).toFixed(0)} → peak ${(rssPeak / MiB).toFixed(0)} MiB`);
    // Holding the object would take 50 MiB of linear memory in the guest (it never shrinks).
    expect(guestPeak - baseline).toBeLessThan(8 * MiB);
    // Nor in this process (host, s3rver, this test): collecting the body in the host takes at
    // least three copies (response, message to the executor, guest); streaming churns < one.
    expect(rssPeak - rssBefore).toBeLessThan(2 * size);
  });

  // Runs after the download test: it raises the instances' peak memory that test reads.
  it('streams a 50 MiB upload through the component to storage intact', async () => {
    const size = 50 * MiB;
    const before = app.app.runtimeStats().instances.peakGuestMemoryBytes;
    const upload = patternStream(size);
    const uploaded = await app.fetch('/objects/object/uploaded', {
      method: 'PUT',
      body: Readable.toWeb(upload.stream) as ReadableStream<Uint8Array>,
      headers: { 'content-length': String(size), 'content-type': 'application/octet-stream' },
      duplex: 'half',
    } as RequestInit);
    expect(uploaded.status, await uploaded.clone().text()).toBe(200);
    const stored = await (await app.fetch('/objects/object/uploaded')).body!;
    expect(await readStreamed(stored)).toEqual({ length: size, sha256: upload.digest() });
    // The engine collects no garbage within a request (docs/decisions.md, Decision 6): every
    // 8 KiB chunk the guest reads stays in its memory until the instance ends.
    const after = app.app.runtimeStats().instances.peakGuestMemoryBytes;
    console.log(`50 MiB upload through the component: guest linear memory peak ${(before / MiB).toFixed(1)} → ${(after / MiB).toFixed(1)} MiB`);
  });
});

describe('MINIO_ENDPOINT selects a real server', () => {
  let server: S3rver;
  let dir: string;
  let endpoint: string;
  let other: TestApp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'minio-endpoint-'));
    server = new S3rver({ address: '127.0.0.1', port: 0, directory: dir, silent: true });
    endpoint = `http://127.0.0.1:${(await server.run()).port}`;
    other = await startApp({ manifest, env: { MINIO_ENDPOINT: endpoint, MINIO_ACCESS_KEY: 'S3RVER', MINIO_SECRET_KEY: 'S3RVER' } });
  });
  afterAll(async () => {
    await other?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the bucket there and stores what the component puts', async () => {
    expect(other.app.objectStorage).toEqual({ kind: 'real', endpoint });
    expect((await other.fetch('/objects/object/real/1', { method: 'PUT', body: 'on the real server' })).status).toBe(200);
    const direct = createObjectStore({ endpoint, bucket: 'probe-objects', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
    const object = await direct.get('real/1');
    expect(await new Response(object.body).text()).toBe('on the real server');
  });
});

describe('a start-up that fails after the object server started', () => {
  it('stops it and removes its folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'objects-manifest-'));
    const broken = join(dir, 'spin.toml');
    writeFileSync(broken, 'spin_manifest_version = 2\n[application]\nname = "broken"\n[variables]\nminio_endpoint = { default = "http://127.0.0.1:9000" }\n[[trigger.http]]\nroute = "/..."\ncomponent = "missing"\n[component.missing]\nsource = "missing.wasm"\n');
    const serverFolders = () => new Set(readdirSync(tmpdir()).filter((name) => name.startsWith('spin-local-s3-')));
    const before = serverFolders();
    await expect(startApp({ manifest: broken, env: { MINIO_ENDPOINT: '' } })).rejects.toThrow(/missing\.wasm does not exist/);
    expect([...serverFolders()].filter((name) => !before.has(name))).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});
