import { createHash } from 'node:crypto';
import { FileVersionList, Grant, MultipartUploadTicket, Quota, SingleUploadTicket, StoredFile, UploadedPartDigest, UploadPartUrlPage } from '@authorworks/domain';
import { createObjectStore } from '@authorworks/kit';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKET, dbQuery, expectError, expectJson, ledger, newUser, objectCredentials, objectKeys, patternBytes, startStorageApp, storage, type User } from './storage-app.ts';

// Multipart uploads: files above the single-PUT limit (16 MiB) go to object storage in 8 MiB
// parts, each PUT to its presigned URL or through the service; completing checks the parts S3
// lists, joins them and reads each back (one internal request per part) against its SHA-256.

const MiB = 1024 * 1024;
const PART = 8 * MiB;

let app: TestApp;
beforeAll(async () => {
  app = await startStorageApp({ storage_quota_bytes: String(200 * MiB), storage_sweep_every_seconds: '1' });
});
afterAll(async () => {
  await app?.close();
});

/**
 * `length` bytes that differ from part to part (patternBytes repeats every 256 bytes, so its
 * 8 MiB parts would all be equal), from a seeded xorshift; the first 64 are patternBytes', which
 * no type sniffer takes for a format.
 */
function fileBytes(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  let x = seed * 2654435761 || 1;
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
    bytes[i + 1] = (x >>> 8) & 0xff;
    bytes[i + 2] = (x >>> 16) & 0xff;
    bytes[i + 3] = (x >>> 24) & 0xff;
  }
  bytes.set(patternBytes(64));
  return bytes;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const partsOf = (bytes: Uint8Array<ArrayBuffer>) => Array.from({ length: Math.ceil(bytes.length / PART) }, (_, i) => bytes.subarray(i * PART, (i + 1) * PART));
const declared = (bytes: Uint8Array<ArrayBuffer>) => partsOf(bytes).map((part, i) => ({ partNumber: i + 1, sha256: sha256(part) }));
/** S3's composite checksum: the SHA-256 of the parts' raw digests joined, `-<parts>`. */
const compositeOf = (bytes: Uint8Array<ArrayBuffer>) =>
  `${sha256(Buffer.concat(partsOf(bytes).map((part) => createHash('sha256').update(part).digest())))}-${partsOf(bytes).length}`;

async function ticketFor(user: User, size: number, fields: Record<string, unknown> = {}) {
  return expectJson(storage(app)('POST', '/uploads', { as: user, body: { filename: 'audiobook.m4b', size, ...fields } }), 201, MultipartUploadTicket);
}

const putParts = async (ticket: MultipartUploadTicket, bytes: Uint8Array<ArrayBuffer>, skip: number[] = []) => {
  for (const [i, part] of partsOf(bytes).entries()) {
    if (skip.includes(i + 1)) continue;
    const answer = await fetch(ticket.parts[i]!.url, { method: 'PUT', body: part });
    expect(answer.status, await answer.clone().text()).toBe(200);
  }
};
type MultipartUploadTicket = ReturnType<typeof MultipartUploadTicket.parse>;

const complete = (user: User, id: string, body?: unknown) => storage(app)('POST', `/uploads/${id}/complete`, { as: user, ...(body === undefined ? {} : { body }) });

/** The S3 store the app uses, straight. */
function directStore() {
  return createObjectStore({ ...objectCredentials(app), bucket: BUCKET });
}

/** The ticket's S3 upload: its object key and id, read from a part URL. */
function s3UploadOf(ticket: MultipartUploadTicket) {
  const url = new URL(ticket.parts[0]!.url);
  return { key: decodeURIComponent(url.pathname.slice(`/${BUCKET}/`.length)), uploadId: url.searchParams.get('uploadId')! };
}

/** No record, no reserved byte, no object, and no multipart upload left of `ticket`. */
async function expectNothingLeft(user: User, ticket: MultipartUploadTicket) {
  expect(await ledger(app, user.id)).toEqual({ usedBytes: 0, recountBytes: 0, versions: 0, files: 0 });
  expect((await objectKeys(app)).filter((key) => key.includes(user.id))).toEqual([]);
  const { key, uploadId } = s3UploadOf(ticket);
  expect(await directStore().listParts(key, uploadId)).toBeNull();
  await expectError(storage(app)('GET', `/files/${ticket.file.id}`, { as: user }), 404);
}

describe('multipart uploads', () => {
  it('uploads 40 MiB in parts through presigned URLs, verifies every part, serves a range across a part boundary', async () => {
    const ada = newUser();
    const bytes = fileBytes(40 * MiB + 12_345, 3);
    const ticket = await ticketFor(ada, bytes.length, { sha256: 'ab'.repeat(32), expiresInSeconds: 600 });
    expect(ticket).toMatchObject({ kind: 'multipart', partSize: PART, partCount: 6, nextFirst: null, method: 'PUT', partProxyPath: `/v1/storage/uploads/${ticket.file.id}/parts/{partNumber}` });
    expect(ticket.file).toMatchObject({ status: 'pending', size: bytes.length, sha256: null, checksum: null });
    expect(ticket.parts.map((part) => [part.partNumber, part.size])).toEqual([[1, PART], [2, PART], [3, PART], [4, PART], [5, PART], [6, 12_345]]);
    for (const part of ticket.parts) {
      const url = new URL(part.url);
      expect(url.searchParams.get('partNumber')).toBe(String(part.partNumber));
      expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
      expect(url.pathname).not.toContain('audiobook');
    }
    expect(await expectJson(storage(app)('GET', '/quota', { as: ada }), 200, Quota)).toMatchObject({ usedBytes: bytes.length });

    await expectError(complete(ada, ticket.file.id, { parts: declared(bytes) }), 409, 'upload_missing');
    await putParts(ticket, bytes);
    await expectError(complete(newUser(), ticket.file.id, { parts: declared(bytes) }), 404);
    await expectError(complete(ada, ticket.file.id), 400, 'parts_required');

    const before = app.app.runtimeStats().instances.peakGuestMemoryBytes;
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
    const started = performance.now();
    const done = await expectJson(complete(ada, ticket.file.id, { parts: declared(bytes) }), 200, StoredFile).finally(() => clearInterval(sampler));
    console.log(
      `complete of ${(bytes.length / MiB).toFixed(1)} MiB in 6 parts: ${Math.round(performance.now() - started)} ms; ` +
        `the complete request's own instance: peak guest memory ${(before / MiB).toFixed(1)} → ${(app.app.runtimeStats().instances.peakGuestMemoryBytes / MiB).toFixed(1)} MiB ` +
        `(parts are read back in nested requests, not counted there); ` +
        `process RSS +${((rssPeak - rssBefore) / MiB).toFixed(1)} MiB`,
    );
    expect(done).toMatchObject({ status: 'available', size: bytes.length, sha256: null, checksum: compositeOf(bytes), contentType: 'application/octet-stream' });
    await expectError(complete(ada, ticket.file.id, { parts: declared(bytes) }), 409, 'no_pending_upload');

    // Bytes 8 MiB − 10 … 8 MiB + 9: the end of part 1 and the start of part 2.
    const range = await storage(app)('GET', `/files/${done.id}/content`, { as: ada, headers: { range: `bytes=${PART - 10}-${PART + 9}` } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes ${PART - 10}-${PART + 9}/${bytes.length}`);
    expect(range.headers.get('etag')).toBe(`"${compositeOf(bytes)}"`);
    expect(Buffer.from(await range.arrayBuffer()).equals(Buffer.from(bytes.subarray(PART - 10, PART + 10)))).toBe(true);
    const whole = await storage(app)('GET', `/files/${done.id}/content`, { as: ada });
    expect(sha256(new Uint8Array(await whole.arrayBuffer()))).toBe(sha256(bytes));
    const versions = await expectJson(storage(app)('GET', `/files/${done.id}/versions`, { as: ada }), 200, FileVersionList);
    expect(versions.items).toMatchObject([{ version: 1, status: 'available', sha256: null, checksum: compositeOf(bytes) }]);

    const events = await dbQuery(app, `SELECT data::text AS data FROM outbox WHERE subject = $1 AND type = 'file.uploaded'`, [done.id]);
    expect(JSON.parse(String(events.rows[0]!.data))).toMatchObject({ id: done.id, size: bytes.length, sha256: null, checksum: compositeOf(bytes) });
    expect(await ledger(app, ada.id)).toMatchObject({ usedBytes: bytes.length, recountBytes: bytes.length, files: 1 });
    expect(await directStore().listParts(s3UploadOf(ticket).key, s3UploadOf(ticket).uploadId)).toBeNull();
  });

  it('takes parts through the service (PUT /uploads/{id}/parts/{n}) for clients that cannot reach object storage', async () => {
    const ada = newUser();
    const ben = newUser();
    const bytes = fileBytes(40 * MiB, 11);
    const ticket = await ticketFor(ada, bytes.length);
    expect(ticket.partCount).toBe(5);
    const putPart = (n: number, body: Uint8Array<ArrayBuffer>, as: User = ada, headers: Record<string, string> = {}) =>
      app.fetch(`/v1/storage/uploads/${ticket.file.id}/parts/${n}`, { method: 'PUT', headers: { ...as.headers, 'content-type': 'application/octet-stream', ...headers }, body });
    const parts = partsOf(bytes);
    expect(new Set(parts.map(sha256)).size).toBe(5);

    await expectError(putPart(1, parts[0]!, ben), 404);
    await expectError(putPart(6, parts[0]!), 404);
    await expectError(putPart(1, parts[0]!.subarray(0, 1000)), 400, 'part_size_mismatch');
    await expectError(putPart(1, parts[0]!, ada, { 'x-checksum-sha256': sha256(parts[1]!) }), 400, 'checksum_mismatch');
    expect(await directStore().listParts(s3UploadOf(ticket).key, s3UploadOf(ticket).uploadId)).toEqual([]);

    const baseline = app.app.runtimeStats().instances.peakGuestMemoryBytes;
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
    for (const [i, part] of parts.entries()) {
      const answer = await expectJson(putPart(i + 1, part, ada, { 'x-checksum-sha256': sha256(part) }), 200, UploadedPartDigest);
      expect(answer).toEqual({ partNumber: i + 1, size: part.length, sha256: sha256(part) });
    }
    clearInterval(sampler);
    const guestPeak = app.app.runtimeStats().instances.peakGuestMemoryBytes;
    console.log(`5 parts of 8 MiB through the service: peak guest memory ${(guestPeak / MiB).toFixed(1)} MiB; process RSS +${((rssPeak - rssBefore) / MiB).toFixed(1)} MiB`);
    // One request holds one part (its body, read whole to be hashed, sent on in views of it), never the file.
    expect(guestPeak - baseline).toBeLessThan(2 * PART);
    const done = await expectJson(complete(ada, ticket.file.id, { parts: declared(bytes) }), 200, StoredFile);
    expect(done).toMatchObject({ status: 'available', checksum: compositeOf(bytes) });
    const whole = await storage(app)('GET', `/files/${done.id}/content`, { as: ada });
    expect(sha256(new Uint8Array(await whole.arrayBuffer()))).toBe(sha256(bytes));
    // A part after completion: the upload is gone.
    await expectError(putPart(1, parts[0]!), 409, 'no_pending_upload');
  });

  it('refuses a part whose SHA-256 does not match and leaves nothing: parts, object, record, reserved bytes', async () => {
    const ada = newUser();
    const bytes = fileBytes(17 * MiB, 5);
    const ticket = await ticketFor(ada, bytes.length);
    await putParts(ticket, bytes);
    const parts = declared(bytes);
    parts[1] = { partNumber: 2, sha256: sha256(fileBytes(PART, 6)) };
    const refused = await expectError(complete(ada, ticket.file.id, { parts }), 422, 'checksum_mismatch');
    expect(refused.message).toContain('Part 2');
    await expectNothingLeft(ada, ticket);
  });

  it('refuses an upload with a part missing, and one completed with the wrong number of parts', async () => {
    const ada = newUser();
    const bytes = fileBytes(17 * MiB, 9);
    const missing = await ticketFor(ada, bytes.length);
    await putParts(missing, bytes, [2]);
    const refused = await expectError(complete(ada, missing.file.id, { parts: declared(bytes) }), 422, 'parts_missing');
    expect(refused.message).toContain('Part 2 not uploaded');
    await expectNothingLeft(ada, missing);

    const miscounted = await ticketFor(ada, bytes.length);
    await putParts(miscounted, bytes);
    // Parts not numbered 1, 2, 3 is a malformed request: nothing is removed for it.
    await expectError(complete(ada, miscounted.file.id, { parts: declared(bytes).reverse() }), 400, 'validation_failed');
    await expectError(complete(ada, miscounted.file.id, { parts: declared(bytes).slice(0, 2) }), 422, 'part_count_mismatch');
    await expectNothingLeft(ada, miscounted);
  });

  it('sweeps a multipart upload never completed: the S3 upload aborted, record and reserved bytes gone', async () => {
    const ada = newUser();
    const bytes = fileBytes(17 * MiB, 13);
    const ticket = await ticketFor(ada, bytes.length);
    await putParts(ticket, bytes, [3]);
    expect((await directStore().listParts(s3UploadOf(ticket).key, s3UploadOf(ticket).uploadId))?.length).toBe(2);
    await dbQuery(app, `UPDATE file_versions SET expires_at = now() - interval '1 second' WHERE file_id = $1::uuid`, [ticket.file.id]);
    await expectError(complete(ada, ticket.file.id, { parts: declared(bytes) }), 409, 'no_pending_upload');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await expectJson(storage(app)('GET', '/quota', { as: ada }), 200, Quota);
    await expectNothingLeft(ada, ticket);
    // The last part's URL is dead with the upload.
    expect((await fetch(ticket.parts[2]!.url, { method: 'PUT', body: partsOf(bytes)[2] })).status).toBe(404);
    expect((await directStore().head(s3UploadOf(ticket).key))).toBeNull();
  });

  it('keeps every part route to the owner: another user gets 404, no token 401', async () => {
    const ada = newUser();
    const ben = newUser();
    const ticket = await ticketFor(ada, 17 * MiB);
    const id = ticket.file.id;
    await expectError(storage(app)('GET', `/uploads/${id}/parts`, { as: ben }), 404);
    await expectError(storage(app)('GET', `/uploads/${id}/parts/1/digest`, { as: ben }), 404);
    await expectError(storage(app)('GET', `/uploads/${id}/parts/1/digest`, {}), 401);
    await expectError(app.fetch(`/v1/storage/uploads/${id}/parts/1`, { method: 'PUT', headers: ben.headers, body: 'x' }), 404);
    await expectError(complete(ben, id, { parts: [{ partNumber: 1, sha256: 'a'.repeat(64) }] }), 404);
    // The owner reading a part back before the parts are joined is told so (the route changes nothing).
    await expectError(storage(app)('GET', `/uploads/${id}/parts/1/digest`, { as: ada }), 409, 'upload_not_assembled');
    await expectError(storage(app)('GET', `/uploads/${id}/parts/4/digest`, { as: ada }), 404);
    // Even a write grant does not open the upload to Ben: he may see the file, not complete it.
    await expectJson(storage(app)('POST', `/files/${id}/grants`, { as: ada, body: { granteeId: ben.id, permission: 'write' } }), 201, Grant);
    await expectError(storage(app)('GET', `/uploads/${id}/parts`, { as: ben }), 403);
    await expectError(storage(app)('GET', `/uploads/${id}/parts/1/digest`, { as: ben }), 403);
    await expectError(complete(ben, id, { parts: [{ partNumber: 1, sha256: 'a'.repeat(64) }] }), 403);
  });

  it('pages part URLs, bounds what a client may ask for, keeps single PUTs up to the limit', async () => {
    const ada = newUser();
    const ticket = await ticketFor(ada, 40 * MiB);
    const page = await expectJson(storage(app)('GET', `/uploads/${ticket.file.id}/parts?first=2&limit=2`, { as: ada }), 200, UploadPartUrlPage);
    expect(page.items.map((part) => part.partNumber)).toEqual([2, 3]);
    expect(page.nextFirst).toBe(4);
    expect(new URL(page.items[0]!.url).searchParams.get('uploadId')).toBe(s3UploadOf(ticket).uploadId);
    const end = await expectJson(storage(app)('GET', `/uploads/${ticket.file.id}/parts?first=5`, { as: ada }), 200, UploadPartUrlPage);
    expect(end).toMatchObject({ items: [{ partNumber: 5, size: PART }], nextFirst: null });
    await expectError(storage(app)('GET', `/uploads/${ticket.file.id}/parts?limit=1001`, { as: ada }), 400, 'validation_failed');

    const ask = (body: Record<string, unknown>) => storage(app)('POST', '/uploads', { as: ada, body: { filename: 'f', ...body } });
    const single = await expectJson(ask({ size: 16 * MiB, sha256: 'a'.repeat(64) }), 201, SingleUploadTicket);
    expect(single.kind).toBe('single');
    await expectError(complete(ada, single.file.id, { parts: [{ partNumber: 1, sha256: 'a'.repeat(64) }] }), 400, 'not_multipart');
    await expectError(storage(app)('GET', `/uploads/${single.file.id}/parts`, { as: ada }), 409, 'not_multipart');
    await expectError(ask({ size: 2 * 1024 * MiB + 1 }), 413, 'payload_too_large');
    // Over the quota (200 MiB here, 56 MiB already reserved).
    await expectError(ask({ size: 150 * MiB }), 413, 'quota_exceeded');
  });
});
