import { Quota, StoredFileList } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbQuery, expectError, expectJson, ledger, newUser, objectKeys, patternBytes, sendBytes, sha256Hex, startStorageApp, storage, StoredFile, upload } from './storage-app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startStorageApp();
});
afterAll(async () => {
  await app?.close();
});

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89]);

describe('files', () => {
  it('uploads a raw body, records what the bytes are, and serves them back', async () => {
    const ada = newUser();
    const bytes = patternBytes(70_000);
    const file = await upload(app, ada, bytes, '../../etc/Chapter "1".bin', { 'x-checksum-sha256': await sha256Hex(bytes) });
    expect(file).toMatchObject({
      ownerId: ada.id,
      filename: "Chapter '1'.bin",
      access: 'private',
      status: 'available',
      version: 1,
      size: 70_000,
      contentType: 'application/octet-stream',
      declaredType: 'application/octet-stream',
      sha256: await sha256Hex(bytes),
      permissions: { read: true, write: true, owner: true },
    });
    expect(await expectJson(storage(app)('GET', `/files/${file.id}`, { as: ada }), 200, StoredFile)).toEqual(file);

    const content = await storage(app)('GET', `/files/${file.id}/content`, { as: ada });
    expect(content.status).toBe(200);
    expect(content.headers.get('content-length')).toBe('70000');
    expect(content.headers.get('etag')).toBe(`"${file.sha256}"`);
    expect(content.headers.get('x-content-type-options')).toBe('nosniff');
    expect(content.headers.get('content-disposition')).toBe(`inline; filename="Chapter '1'.bin"; filename*=UTF-8''Chapter%20%271%27.bin`);
    expect(Buffer.from(await content.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('detects the type from the bytes, not from what the client says', async () => {
    const ada = newUser();
    const file = await upload(app, ada, PNG, 'cover.txt', { 'content-type': 'text/plain' });
    expect(file.contentType).toBe('image/png');
    expect(file.declaredType).toBe('text/plain');
    const content = await storage(app)('GET', `/files/${file.id}/content`, { as: ada });
    expect(content.headers.get('content-type')).toBe('image/png');
  });

  it('streams a raw body above 1 MiB and detects its type from its first bytes, read back', async () => {
    const ada = newUser();
    const bytes = patternBytes(1024 * 1024 + 1);
    bytes.set(PNG);
    const file = await upload(app, ada, bytes, 'big.png', { 'content-type': 'application/octet-stream' });
    expect(file).toMatchObject({ size: bytes.length, contentType: 'image/png', sha256: null, checksum: null, status: 'available' });
    const content = await storage(app)('GET', `/files/${file.id}/content`, { as: ada });
    expect(content.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await content.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    const events = await dbQuery(app, `SELECT data::text AS data FROM outbox WHERE subject = $1`, [file.id]);
    expect(events.rows.map((row) => JSON.parse(String(row.data)) as unknown)).toEqual([
      { id: file.id, ownerId: ada.id, version: 1, filename: 'big.png', contentType: 'image/png', size: bytes.length, sha256: null },
    ]);
  });

  it('serves active content (HTML, SVG) only as an attachment, with nosniff and a CSP', async () => {
    const ada = newUser();
    for (const [text, type] of [
      ['<!doctype html><script>alert(document.cookie)</script>', 'text/html'],
      ['<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', 'image/svg+xml'],
    ] as const) {
      const file = await upload(app, ada, text, 'innocent.png', { 'content-type': 'image/png' });
      expect(file.contentType).toBe(type);
      const content = await storage(app)('GET', `/files/${file.id}/content`, { as: ada });
      expect(content.headers.get('content-disposition')).toMatch(/^attachment; /);
      expect(content.headers.get('x-content-type-options')).toBe('nosniff');
      expect(content.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(content.headers.get('content-security-policy')).toContain('sandbox');
      expect(await content.text()).toBe(text);
    }
    // Declared active but plain text: still an attachment.
    const declared = await upload(app, ada, 'alert(1)', 'x.js', { 'content-type': 'text/javascript' });
    expect(declared.contentType).toBe('text/plain');
    const content = await storage(app)('GET', `/files/${declared.id}/content`, { as: ada });
    expect(content.headers.get('content-disposition')).toMatch(/^attachment; /);
    expect(content.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  });

  it('accepts multipart/form-data with the file part', async () => {
    const ada = newUser();
    const boundary = '----formboundary7MA4YWxk';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="pic.png"\r\nContent-Type: image/png\r\n\r\n`),
      Buffer.from(PNG),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const file = await expectJson(
      app.fetch('/v1/storage/files', { method: 'POST', headers: { ...ada.headers, 'content-type': `multipart/form-data; boundary=${boundary}` }, body }),
      201,
      StoredFile,
    );
    expect(file).toMatchObject({ filename: 'pic.png', contentType: 'image/png', size: PNG.length });
    const content = await storage(app)('GET', `/files/${file.id}/content`, { as: ada });
    expect(Buffer.from(await content.arrayBuffer()).equals(Buffer.from(PNG))).toBe(true);

    // A form built by fetch's own FormData, as a browser sends it.
    const form = new FormData();
    form.append('file', new Blob([PNG], { type: 'image/png' }), 'blob.png');
    const viaForm = await expectJson(app.fetch('/v1/storage/files', { method: 'POST', headers: ada.headers, body: form }), 201, StoredFile);
    expect(viaForm).toMatchObject({ filename: 'blob.png', contentType: 'image/png' });
  });

  it('serves ranges (206, 416), conditional requests (304) and presigned redirects', async () => {
    const ada = newUser();
    const bytes = patternBytes(10_000, 3);
    const file = await upload(app, ada, bytes);
    const get = (headers: Record<string, string>, query = '') => storage(app)('GET', `/files/${file.id}/content${query}`, { as: ada, headers });

    // HEAD is the GET without its body (the kit answers it; the engine must not trap on the
    // forwarded body it drops), a range's head included.
    for (const [headers, status, length] of [[{}, 200, '10000'], [{ range: 'bytes=0-9' }, 206, '10']] as const) {
      const head = await storage(app)('HEAD', `/files/${file.id}/content`, { as: ada, headers });
      expect(head.status).toBe(status);
      expect(head.headers.get('content-length')).toBe(length);
      expect((await head.arrayBuffer()).byteLength).toBe(0);
    }

    const part = await get({ range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 100-199/10000');
    expect(part.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await part.arrayBuffer()).equals(Buffer.from(bytes.subarray(100, 200)))).toBe(true);

    const tail = await get({ range: 'bytes=-10' });
    expect(tail.status).toBe(206);
    expect(Buffer.from(await tail.arrayBuffer()).equals(Buffer.from(bytes.subarray(9990)))).toBe(true);

    const outside = await get({ range: 'bytes=10000-' });
    expect(outside.headers.get('content-range')).toBe('bytes */10000');
    await expectError(outside, 416, 'range_not_satisfiable');

    // If-Range with another validator: the whole file.
    const stale = await get({ range: 'bytes=0-9', 'if-range': '"something-else"' });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();

    // Streamed without a declared checksum: no digest is made, and file and version are the ETag
    // (a version's bytes never change).
    expect(file).toMatchObject({ sha256: null, checksum: null });
    const notModified = await get({ 'if-none-match': `"${file.id}.1"` });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('etag')).toBe(`"${file.id}.1"`);
    expect((await get({ 'if-none-match': '"other"' })).status).toBe(200);

    const redirect = await app.fetch(`/v1/storage/files/${file.id}/content?redirect=1`, { headers: ada.headers, redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const location = new URL(redirect.headers.get('location')!);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(location.searchParams.get('response-content-disposition')).toMatch(/^inline; /);
    const direct = await fetch(location);
    expect(direct.status).toBe(200);
    expect(Buffer.from(await direct.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('lists my files in cursor pages, filtered by family and status', async () => {
    const ada = newUser();
    const other = newUser();
    await upload(app, other, 'not yours', 'theirs.txt');
    const text = await upload(app, ada, 'plain words', 'a.txt');
    const image = await upload(app, ada, PNG, 'b.png');
    const binary = await upload(app, ada, patternBytes(100), 'c.bin');
    const list = (query: string) => expectJson(storage(app)('GET', `/files${query}`, { as: ada }), 200, StoredFileList);

    const first = await list('?limit=2');
    expect(first.items.map((f) => f.id)).toEqual([binary.id, image.id]);
    const second = await list(`?limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((f) => f.id)).toEqual([text.id]);
    expect(second.nextCursor).toBeNull();
    expect((await list('?family=image')).items.map((f) => f.id)).toEqual([image.id]);
    expect((await list('?family=text')).items.map((f) => f.id)).toEqual([text.id]);
    expect((await list('?status=pending')).items).toEqual([]);
    await expectError(storage(app)('GET', '/files?family=spaceship', { as: ada }), 400, 'validation_failed');
    await expectError(storage(app)('GET', '/files?cursor=bm9wZQ', { as: ada }), 400, 'invalid_cursor');
  });

  it('renames, changes access, and makes public files readable without a token', async () => {
    const ada = newUser();
    const bob = newUser();
    const file = await upload(app, ada, 'a public note', 'note.txt');
    await expectError(storage(app)('GET', `/files/${file.id}`, { as: bob }), 404, 'not_found');
    await expectError(storage(app)('GET', `/files/${file.id}/content`), 404, 'not_found');

    const renamed = await expectJson(storage(app)('PATCH', `/files/${file.id}`, { as: ada, body: { filename: 'dir/Renamed.txt', access: 'public' } }), 200, StoredFile);
    expect(renamed).toMatchObject({ filename: 'Renamed.txt', access: 'public' });
    const anonymous = await storage(app)('GET', `/files/${file.id}/content`);
    expect(anonymous.status).toBe(200);
    expect(anonymous.headers.get('cache-control')).toBe('public, no-cache');
    expect(await anonymous.text()).toBe('a public note');
    const seenByBob = await expectJson(storage(app)('GET', `/files/${file.id}`, { as: bob }), 200, StoredFile);
    expect(seenByBob.permissions).toEqual({ read: true, write: false, owner: false });
    await expectError(storage(app)('PATCH', `/files/${file.id}`, { as: bob, body: { filename: 'mine.txt' } }), 403, 'forbidden');
    await expectError(storage(app)('DELETE', `/files/${file.id}`, { as: bob }), 403, 'forbidden');
    await expectError(storage(app)('PATCH', `/files/${file.id}`, { as: ada, body: {} }), 400, 'validation_failed');
    await expectError(storage(app)('PATCH', `/files/${file.id}`, { as: ada, body: { owner: bob.id } }), 400, 'validation_failed');
  });

  it('deletes a file with its object, gives the bytes back and records file.deleted', async () => {
    const ada = newUser();
    const file = await upload(app, ada, patternBytes(5000), 'gone.bin');
    const keysBefore = await objectKeys(app);
    expect(keysBefore.filter((key) => key.includes(file.id))).toHaveLength(1);
    expect(await expectJson(storage(app)('GET', '/quota', { as: ada }), 200, Quota)).toMatchObject({ usedBytes: 5000, files: 1 });

    const deleted = await storage(app)('DELETE', `/files/${file.id}`, { as: ada });
    expect(deleted.status).toBe(204);
    await expectError(storage(app)('GET', `/files/${file.id}`, { as: ada }), 404);
    await expectError(storage(app)('GET', `/files/${file.id}/content`, { as: ada }), 404);
    await expectError(storage(app)('DELETE', `/files/${file.id}`, { as: ada }), 404);
    expect((await objectKeys(app)).filter((key) => key.includes(file.id))).toEqual([]);
    expect(await expectJson(storage(app)('GET', '/quota', { as: ada }), 200, Quota)).toMatchObject({ usedBytes: 0, files: 0 });
    expect(await ledger(app, ada.id)).toMatchObject({ usedBytes: 0, recountBytes: 0, files: 0 });
    const events = await dbQuery(app, `SELECT type, data::text AS data, published_at IS NOT NULL AS published FROM outbox WHERE subject = $1 ORDER BY created_at`, [file.id]);
    expect(events.rows.map((row) => [row.type, row.published])).toEqual([
      ['file.uploaded', true],
      ['file.deleted', true],
    ]);
    expect(JSON.parse(String(events.rows[0]!.data))).toMatchObject({ id: file.id, ownerId: ada.id, size: 5000, contentType: 'application/octet-stream', sha256: file.sha256 });
  });
});
