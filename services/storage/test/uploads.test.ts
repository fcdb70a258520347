import { Quota, SingleUploadTicket, StoredFile } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbQuery, expectError, expectJson, ledger, newUser, objectKeys, patternBytes, sha256Hex, startStorageApp, storage, type User } from './storage-app.ts';

// Large uploads: a presigned PUT straight to object storage, then a completion that checks it.
let app: TestApp;
beforeAll(async () => {
  app = await startStorageApp({ storage_max_large_upload_bytes: '3000000', storage_quota_bytes: '4000000', storage_sweep_every_seconds: '1' });
});
afterAll(async () => {
  await app?.close();
});

async function ticketFor(user: User, bytes: Uint8Array<ArrayBuffer>, fields: Record<string, unknown> = {}) {
  return expectJson(
    storage(app)('POST', '/uploads', { as: user, body: { filename: 'book.epub', size: bytes.length, sha256: await sha256Hex(bytes), ...fields } }),
    201,
    SingleUploadTicket,
  );
}

const put = (url: string, bytes: Uint8Array<ArrayBuffer>) => fetch(url, { method: 'PUT', body: bytes });
const complete = (user: User, id: string) => storage(app)('POST', `/uploads/${id}/complete`, { as: user });

async function expectNothingStored(user: User) {
  expect(await ledger(app, user.id)).toEqual({ usedBytes: 0, recountBytes: 0, versions: 0, files: 0 });
  expect((await objectKeys(app)).filter((key) => key.includes(user.id))).toEqual([]);
}

describe('presigned uploads', () => {
  it('reserves the quota, takes the PUT, verifies size and checksum, detects the type', async () => {
    const ada = newUser();
    // A zip-based format: file-type tells EPUB from zip by its first entry.
    const epub = new Uint8Array(2_500_000);
    epub.set(Buffer.from('PK\u0003\u0004\u0014\u0000\u0000\u0000\u0000\u0000'), 0);
    const header = Buffer.from('mimetypeapplication/epub+zip', 'latin1');
    epub.set([20, 0, 0, 0, 20, 0, 0, 0, 8, 0, 0, 0], 18); // sizes of the stored entry, name length
    epub.set(header, 30);
    epub.set(patternBytes(2_000_000), 400_000);
    const ticket = await ticketFor(ada, epub, { contentType: 'application/zip', expiresInSeconds: 120 });
    expect(ticket.file).toMatchObject({ status: 'pending', size: epub.length, filename: 'book.epub' });
    expect(ticket.method).toBe('PUT');
    expect(ticket.kind).toBe('single');
    expect(new URL(ticket.uploadUrl).searchParams.get('X-Amz-Expires')).toBe('120');
    expect(new URL(ticket.uploadUrl).pathname).not.toContain('book.epub');
    expect(await expectJson(storage(app)('GET', '/quota', { as: ada }), 200, Quota)).toMatchObject({ usedBytes: epub.length });

    await expectError(complete(ada, ticket.file.id), 409, 'upload_missing');
    expect((await put(ticket.uploadUrl, epub)).status).toBe(200);
    await expectError(complete(newUser(), ticket.file.id), 404);
    const done = await expectJson(complete(ada, ticket.file.id), 200, StoredFile);
    expect(done).toMatchObject({ status: 'available', size: epub.length, contentType: 'application/epub+zip', declaredType: 'application/zip', sha256: await sha256Hex(epub) });
    await expectError(complete(ada, ticket.file.id), 409, 'no_pending_upload');
    const range = await storage(app)('GET', `/files/${done.id}/content`, { as: ada, headers: { range: 'bytes=400000-400009' } });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer()).equals(Buffer.from(epub.subarray(400_000, 400_010)))).toBe(true);
    expect(await ledger(app, ada.id)).toMatchObject({ usedBytes: epub.length, recountBytes: epub.length, files: 1 });
  });

  it('records the SHA-256 of a single PUT that declared none (only its size is checked then)', async () => {
    const ada = newUser();
    const bytes = patternBytes(4000, 21);
    const ticket = await expectJson(storage(app)('POST', '/uploads', { as: ada, body: { filename: 'notes.bin', size: bytes.length } }), 201, SingleUploadTicket);
    expect(ticket.file).toMatchObject({ sha256: null, checksum: null });
    expect((await put(ticket.uploadUrl, bytes)).status).toBe(200);
    const done = await expectJson(complete(ada, ticket.file.id), 200, StoredFile);
    expect(done).toMatchObject({ status: 'available', sha256: await sha256Hex(bytes), checksum: await sha256Hex(bytes) });
  });

  it('removes an upload whose size or checksum is not what was declared', async () => {
    const ada = newUser();
    const bytes = patternBytes(5000);
    const longer = await ticketFor(ada, bytes);
    expect((await put(longer.uploadUrl, patternBytes(6000))).status).toBe(200);
    await expectError(complete(ada, longer.file.id), 422, 'size_mismatch');
    const other = await ticketFor(ada, bytes);
    expect((await put(other.uploadUrl, patternBytes(5000, 99))).status).toBe(200);
    await expectError(complete(ada, other.file.id), 422, 'checksum_mismatch');
    await expectNothingStored(ada);
  });

  it('bounds what a client may ask for', async () => {
    const ada = newUser();
    const ask = (body: Record<string, unknown>) => storage(app)('POST', '/uploads', { as: ada, body: { filename: 'f', size: 10, sha256: 'a'.repeat(64), ...body } });
    await expectError(ask({ size: 3_000_001 }), 413, 'payload_too_large');
    await expectError(ask({ size: 0 }), 400, 'validation_failed');
    await expectError(ask({ size: 2 ** 53 }), 400, 'validation_failed');
    await expectError(ask({ expiresInSeconds: 59 }), 400, 'validation_failed');
    await expectError(ask({ expiresInSeconds: 3601 }), 400, 'validation_failed');
    await expectError(ask({ sha256: 'xyz' }), 400, 'validation_failed');
    await expectError(ask({ objectKey: 'files/x' }), 400, 'validation_failed');
    // Two uploads that together pass the quota: the second is refused when it is asked for.
    await expectJson(ask({ size: 2_500_000 }), 201, SingleUploadTicket);
    await expectError(ask({ size: 2_000_000 }), 413, 'quota_exceeded');
  });

  it('refuses an expired or tampered URL, and sweeps an upload never completed', async () => {
    const ada = newUser();
    const bytes = patternBytes(3000);
    const ticket = await ticketFor(ada, bytes);
    // The signing time moved back a day: the URL has expired (s3rver checks expiry; MinIO and
    // Ceph's RADOS Gateway the signature too). S3's code, not its message (RGW sends none).
    const tampered = new URL(ticket.uploadUrl);
    tampered.searchParams.set('X-Amz-Date', `${new Date(Date.now() - 86_400_000).toISOString().replace(/[:-]|\.\d{3}/g, '')}`);
    const refused = await put(tampered.toString(), bytes);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('<Code>AccessDenied</Code>');
    await expectError(complete(ada, ticket.file.id), 409, 'upload_missing');

    // Never completed: once its time is up, a request's sweep removes record, object and reservation.
    expect((await put(ticket.uploadUrl, bytes)).status).toBe(200);
    await dbQuery(app, `UPDATE file_versions SET expires_at = now() - interval '1 second' WHERE file_id = $1::uuid`, [ticket.file.id]);
    await expectError(complete(ada, ticket.file.id), 409, 'no_pending_upload');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await expectJson(storage(app)('GET', '/quota', { as: ada }), 200, Quota);
    await expectNothingStored(ada);
  });
});
