/**
 * The kit's object store inside a compiled component, on the object storage spin-local puts
 * behind the `minio_*` variables: embedded s3rver by default, the server at MINIO_ENDPOINT when
 * that is set (and, below, a second server reached through MINIO_ENDPOINT in every run).
 * s3rver does not check signatures; the kit's signing is proven against AWS's published examples
 * (packages/kit/src/object-store.test.ts), and here once more inside the engine.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createObjectStore, signS3Request } from '@authorworks/kit';
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

  it('loads the embedded server at its first request, with the app\u2019s bucket made then', async () => {
    const storage = app.app.objectStorage!;
    // Nothing has asked for an object yet: the embedded server listens, unloaded.
    expect(storage.started).toBe(storage.kind === 'real');
    expect((await put('lazy/first', 'the first object')).status).toBe(200);
    expect(storage.started).toBe(true);
    const direct = createObjectStore({ endpoint: storage.endpoint, bucket: 'probe-objects', accessKeyId: process.env.MINIO_ACCESS_KEY || 'S3RVER', secretAccessKey: secret() });
    expect(await new Response((await direct.get('lazy/first')).body).text()).toBe('the first object');
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
    // The code is S3's contract, the message is for people: s3rver and MinIO say "Request has
    // expired", Ceph's RADOS Gateway says nothing (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
    expect(await expired.text()).toContain('<Code>AccessDenied</Code>');
    // Signed two minutes ago for five: still good.
    expect((await fetch(await presign('presigned/get', 'method=GET&expires=300&signedSecondsAgo=120'))).status).toBe(200);

    const putUrl = await presign('presigned/put', 'method=PUT&expires=60');
    expect((await fetch(putUrl, { method: 'PUT', body: 'uploaded directly' })).status).toBe(200);
    expect(await (await app.fetch('/objects/object/presigned/put')).text()).toBe('uploaded directly');
    const expiredPut = await fetch(await presign('presigned/put2', 'method=PUT&expires=60&signedSecondsAgo=120'), { method: 'PUT', body: 'late' });
    expect(expiredPut.status).toBe(403);
  });

  it('keeps nothing of PUTs whose clients go away mid-body, and the process lives on', async () => {
    // A client that disconnects while its body streams in: the embedded server (patched to store
    // an object only once its whole body arrived) threw the half-written file away, and a disk
    // write still in flight then failed with ERR_STREAM_DESTROYED as an uncaught exception, which
    // ends the process — the runtime of `pnpm start`, or a test run (CI caught it twice).
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      const keys = Array.from({ length: 8 }, (_, i) => `cut/${i}`);
      for (const key of keys) {
        const url = new URL(((await (await app.fetch(`/objects/presign/${key}?method=PUT&expires=60`)).json()) as { url: string }).url);
        const socket = connect(Number(url.port), url.hostname);
        await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
        socket.on('error', () => {}); // the server may answer or reset: either way the body was cut
        socket.write(`PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: ${16 * MiB}\r\n\r\n`);
        // 6 of the 16 MiB announced, written without waiting, then gone while the server writes them to disk.
        for (let offset = 0; offset < 6 * MiB; offset += 256 * 1024) socket.write(patternChunk(offset, 256 * 1024));
        await new Promise((resolve) => setTimeout(resolve, 5));
        socket.destroy();
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const key of keys) expect(await (await app.fetch(`/objects/head/${key}`)).json()).toBeNull();
      expect((await put('cut/after', 'still storing')).status).toBe(200);
      expect(await (await app.fetch('/objects/object/cut/after')).text()).toBe('still storing');
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
    }
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
    // Straight from the server: the harness's fetch would hold the body until the request is done.
    const downloaded = await fetch(new URL('/objects/object/large', app.url));
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

describe('multipart uploads with the kit on this object storage (s3rver is patched for abort and ListParts)', () => {
  const store = () => createObjectStore({ endpoint: app.app.objectStorage!.endpoint, bucket: 'probe-objects', accessKeyId: process.env.MINIO_ACCESS_KEY || 'S3RVER', secretAccessKey: secret() });

  it('uploads parts (one through a presigned URL), lists them, completes them into one object', async () => {
    const s3 = store();
    const { uploadId } = await s3.createMultipartUpload('multipart/whole', { contentType: 'application/octet-stream' });
    const first = patternChunk(0, 5 * MiB);
    const last = patternChunk(5 * MiB, 1000);
    const one = await s3.uploadPart('multipart/whole', uploadId, 1, Readable.toWeb(Readable.from([first])) as ReadableStream<Uint8Array>, { contentLength: first.length });
    const presigned = await s3.presignUploadPart('multipart/whole', uploadId, 2, { expiresInSeconds: 60 });
    const putTwo = await fetch(presigned, { method: 'PUT', body: new Uint8Array(last) });
    expect(putTwo.status).toBe(200);
    const parts = await s3.listParts('multipart/whole', uploadId);
    expect(parts).toEqual([
      { partNumber: 1, etag: one.etag, size: first.length },
      { partNumber: 2, etag: putTwo.headers.get('etag'), size: 1000 },
    ]);
    expect(one.etag).toBe(`"${createHash('md5').update(first).digest('hex')}"`);
    await s3.completeMultipartUpload('multipart/whole', uploadId, parts!);
    const object = await s3.get('multipart/whole', { range: `bytes=${5 * MiB - 2}-${5 * MiB + 1}` });
    expect([...new Uint8Array(await new Response(object.body).arrayBuffer())]).toEqual([...first.subarray(-2), ...last.subarray(0, 2)]);
    expect((await s3.head('multipart/whole'))?.size).toBe(5 * MiB + 1000);
    // Completed: the upload is gone.
    expect(await s3.listParts('multipart/whole', uploadId)).toBeNull();
    await expect(s3.uploadPart('multipart/whole', uploadId, 3, 'late')).rejects.toMatchObject({ status: 404, code: 'upload_not_found' });
    await s3.delete('multipart/whole');
  });

  it('refuses what S3 refuses: a small part before the last, a wrong ETag, a part not uploaded', async () => {
    const s3 = store();
    const { uploadId } = await s3.createMultipartUpload('multipart/refused');
    const small = await s3.uploadPart('multipart/refused', uploadId, 1, 'too small to be followed');
    const two = await s3.uploadPart('multipart/refused', uploadId, 2, 'last');
    await expect(s3.completeMultipartUpload('multipart/refused', uploadId, [{ partNumber: 1, ...small }, { partNumber: 2, ...two }])).rejects.toMatchObject({ status: 422, code: 'part_too_small' });
    await expect(s3.completeMultipartUpload('multipart/refused', uploadId, [{ partNumber: 2, etag: '"0123456789abcdef0123456789abcdef"' }])).rejects.toMatchObject({ status: 422, code: 'invalid_part' });
    await expect(s3.completeMultipartUpload('multipart/refused', uploadId, [{ partNumber: 3, etag: two.etag }])).rejects.toMatchObject({ status: 422, code: 'invalid_part' });
    // Nothing was made of it.
    expect(await s3.head('multipart/refused')).toBeNull();
    expect((await s3.listParts('multipart/refused', uploadId))?.length).toBe(2);
    await s3.abortMultipartUpload('multipart/refused', uploadId);
  });

  it('aborts: the parts are gone, no part is taken after, aborting again is no error', async () => {
    const s3 = store();
    const { uploadId } = await s3.createMultipartUpload('multipart/aborted');
    await s3.uploadPart('multipart/aborted', uploadId, 1, 'a part');
    const late = await s3.presignUploadPart('multipart/aborted', uploadId, 2, { expiresInSeconds: 60 });
    expect(await s3.abortMultipartUpload('multipart/aborted', uploadId)).toBe(true);
    expect(await s3.listParts('multipart/aborted', uploadId)).toBeNull();
    expect((await fetch(late, { method: 'PUT', body: 'after the abort' })).status).toBe(404);
    expect(await s3.listParts('multipart/aborted', uploadId)).toBeNull();
    expect(await s3.abortMultipartUpload('multipart/aborted', uploadId)).toBe(false);
    expect(await s3.head('multipart/aborted')).toBeNull();
    // Another key's upload id is no upload of this key.
    const other = await s3.createMultipartUpload('multipart/other');
    expect(await s3.listParts('multipart/aborted', other.uploadId)).toBeNull();
    await s3.abortMultipartUpload('multipart/other', other.uploadId);
  });

  it('pages ListParts by part-number-marker and max-parts', async () => {
    const s3 = store();
    const { uploadId } = await s3.createMultipartUpload('multipart/paged');
    for (const n of [1, 2, 3]) await s3.uploadPart('multipart/paged', uploadId, n, `part ${n}`);
    const endpoint = app.app.objectStorage!.endpoint;
    const signed = await signS3Request({
      method: 'GET',
      url: `${endpoint}/probe-objects/multipart/paged?uploadId=${uploadId}&max-parts=2&part-number-marker=0`,
      accessKeyId: process.env.MINIO_ACCESS_KEY || 'S3RVER',
      secretAccessKey: secret(),
      region: 'us-east-1',
      time: Date.now(),
    });
    const page = await (await fetch(signed.url, { headers: signed.headers })).text();
    expect([...page.matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((match) => match[1])).toEqual(['1', '2']);
    expect(page).toContain('<IsTruncated>true</IsTruncated>');
    expect(page).toContain('<NextPartNumberMarker>2</NextPartNumberMarker>');
    expect((await s3.listParts('multipart/paged', uploadId))?.map((part) => part.partNumber)).toEqual([1, 2, 3]);
    await s3.abortMultipartUpload('multipart/paged', uploadId);
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
    expect(other.app.objectStorage).toEqual({ kind: 'real', endpoint, started: true });
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
    // A private temporary folder: test files running beside this one start embedded servers of their own,
    // and their folders in the shared one made this test fail once in CI.
    const scratch = mkdtempSync(join(tmpdir(), 'objects-tmp-'));
    const sharedTmp = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    try {
      expect(tmpdir()).toBe(scratch);
      await expect(startApp({ manifest: broken, env: { MINIO_ENDPOINT: '' } })).rejects.toThrow(/missing\.wasm does not exist/);
      expect(readdirSync(scratch).filter((name) => name.startsWith('spin-local-s3-'))).toEqual([]);
    } finally {
      if (sharedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = sharedTmp;
      rmSync(scratch, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
