import { randomUUID } from 'node:crypto';
import { FileVersionList, StorageEventType } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGEST_SWEEP_BATCH, FILE_HASH_REQUESTED } from '../src/version-digests.ts';
import { startFaultyS3, type FaultyS3 } from './faulty-s3.ts';
import { dbQuery, expectError, expectJson, newUser, patternBytes, sendBytes, sha256Hex, startStorageApp, startStorageAppAt, storage, StoredFile, upload, type User } from './storage-app.ts';

// The storage worker records the SHA-256 of versions streamed without a declared checksum
// (src/version-digests.ts): from `file.uploaded`, and from the sweep for what the worker missed.

const MiB = 1024 * 1024;
const WORKER = 'storage-worker';

/** An envelope on storage-events, as the outbox or the sweep publishes it. */
const envelope = (type: string, subject: string, data: unknown) =>
  JSON.stringify({ id: randomUUID(), type, source: 'storage', time: new Date().toISOString(), subject, data, correlationId: randomUUID() });

const uploadedEvent = (file: StoredFile, version = file.version) =>
  envelope(StorageEventType.fileUploaded, file.id, {
    id: file.id,
    ownerId: file.ownerId,
    version,
    filename: file.filename,
    contentType: file.contentType,
    size: file.size,
    sha256: null,
  });

/** Streams `bytes` (no X-Checksum-SHA256) and returns the record as the upload answered it. */
async function streamed(app: TestApp, as: User, bytes: Uint8Array<ArrayBuffer>): Promise<StoredFile> {
  const file = await upload(app, as, bytes);
  expect(file).toMatchObject({ sha256: null, checksum: null });
  return file;
}

const versionRow = async (app: TestApp, fileId: string, version = 1) =>
  (
    await dbQuery(app, `SELECT sha256, sha256_deferred AS deferred, sha256_requested_at IS NOT NULL AS requested, status FROM file_versions WHERE file_id = $1::uuid AND version = $2::int`, [
      fileId,
      version,
    ])
  ).rows[0] as { sha256: string | null; deferred: boolean; requested: boolean; status: string } | undefined;

/** As if the worker never heard of the version: no digest yet, uploaded `minutesAgo` minutes ago. */
const forgetDigest = (app: TestApp, fileId: string, minutesAgo: number) =>
  dbQuery(
    app,
    `UPDATE file_versions SET sha256 = NULL, sha256_deferred = false, sha256_requested_at = NULL, created_at = now() - make_interval(mins => $2::int)
      WHERE file_id = $1::uuid`,
    [fileId, minutesAgo],
  );

/** A streamed version whose digest the worker never recorded (as if its event was lost), uploaded `minutesAgo` minutes ago. */
async function streamedWithoutDigest(app: TestApp, as: User, bytes: Uint8Array<ArrayBuffer>, minutesAgo: number): Promise<StoredFile> {
  const file = await streamed(app, as, bytes);
  await app.waitForIdle();
  await forgetDigest(app, file.id, minutesAgo);
  return file;
}

/** Sweeps, each set off by `trigger`, until every version of `fileIds` has its digest (at most 10). */
async function sweepUntilHashed(app: TestApp, fileIds: readonly string[], trigger: () => Promise<unknown>): Promise<void> {
  for (let round = 0; round < 10; round++) {
    await app.waitForIdle();
    const rows = await Promise.all(fileIds.map((id) => versionRow(app, id)));
    if (rows.every((row) => row?.sha256 != null)) return;
    await nextSweep();
    await trigger();
  }
}

/**
 * On real servers every test app shares the database: versions of earlier runs without a digest
 * (their objects in other S3 servers) would go first in this app's sweeps. Marked as just asked for.
 */
const setAsideOtherVersions = (app: TestApp) => dbQuery(app, `UPDATE file_versions SET sha256_requested_at = now() WHERE sha256 IS NULL`);

/** Lets the sweep run again (at most once a second in tests). */
const nextSweep = () => new Promise((resolve) => setTimeout(resolve, 1100));

/** How many of the worker's messages failed (spin-local's request log). */
const workerFailures = (app: TestApp) => app.logs.lines.filter((line) => line.kind === 'request' && line.text.includes(`-> ${WORKER} failed`)).length;

describe('storage worker', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startStorageApp({ log_level: 'info' });
    await setAsideOtherVersions(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('records the SHA-256 of a streamed upload and of a streamed new version; the ETag stays', async () => {
    const ada = newUser();
    const ben = newUser();
    const first = patternBytes(3 * MiB + 17, 3);
    const second = patternBytes(MiB, 5);
    const [file, bens] = await Promise.all([streamed(app, ada, first), streamed(app, ben, patternBytes(5000, 9))]);
    await app.waitForIdle();

    const hashed = await expectJson(storage(app)('GET', `/files/${file.id}`, { as: ada }), 200, StoredFile);
    expect(hashed).toMatchObject({ sha256: await sha256Hex(first), checksum: await sha256Hex(first), version: 1 });
    expect(await expectJson(storage(app)('GET', `/files/${bens.id}`, { as: ben }), 200, StoredFile)).toMatchObject({ sha256: await sha256Hex(patternBytes(5000, 9)) });
    await expectError(storage(app)('GET', `/files/${file.id}`, { as: ben }), 404);

    // Clients cached the version under "<file id>.<version>" before its digest existed: it stays.
    const content = await storage(app)('GET', `/files/${file.id}/content`, { as: ada, headers: { 'if-none-match': `"${file.id}.1"` } });
    expect(content.status).toBe(304);
    expect(content.headers.get('etag')).toBe(`"${file.id}.1"`);

    const next = await expectJson(sendBytes(app, ada, second, { path: `/files/${file.id}/versions` }), 201, StoredFile);
    expect(next).toMatchObject({ version: 2, sha256: null });
    await app.waitForIdle();
    const versions = await expectJson(storage(app)('GET', `/files/${file.id}/versions`, { as: ada }), 200, FileVersionList);
    expect(versions.items.map(({ version, sha256 }) => ({ version, sha256 }))).toEqual([
      { version: 2, sha256: await sha256Hex(second) },
      { version: 1, sha256: await sha256Hex(first) },
    ]);
    const latest = await storage(app)('GET', `/files/${file.id}/content`, { as: ada });
    expect(latest.headers.get('etag')).toBe(`"${file.id}.2"`);
    expect(Buffer.from(await latest.arrayBuffer()).equals(Buffer.from(second))).toBe(true);
    expect(await versionRow(app, file.id, 2)).toMatchObject({ deferred: true });

    // A version that declared its checksum has its digest from the upload, and its ETag is the digest.
    const declared = await upload(app, ada, second, 'declared.bin', { 'x-checksum-sha256': await sha256Hex(second) });
    await app.waitForIdle();
    expect(await versionRow(app, declared.id)).toMatchObject({ sha256: await sha256Hex(second), deferred: false });
    expect((await storage(app)('GET', `/files/${declared.id}/content`, { as: ada })).headers.get('etag')).toBe(`"${await sha256Hex(second)}"`);
    expect(workerFailures(app)).toBe(0);
  });

  it('hashes a version at the direct-upload limit (25 MiB) with the instance holding about two copies at most', async () => {
    const ada = newUser();
    const bytes = patternBytes(25 * MiB, 11);
    const file = await streamed(app, ada, bytes);
    await app.waitForIdle();
    expect(await expectJson(storage(app)('GET', `/files/${file.id}`, { as: ada }), 200, StoredFile)).toMatchObject({ sha256: await sha256Hex(bytes) });
    // The object is read into one buffer and digested natively (measured 61 MiB of linear memory
    // for 25 MiB); a read that kept more copies, or an incremental read into a growing list, exceeds this.
    expect(app.app.runtimeStats().instances.peakGuestMemoryBytes).toBeLessThan(3 * bytes.length);
  });

  it('neither resurrects nor hashes a file deleted before the worker runs, nor a pending upload', async () => {
    const ada = newUser();
    const bytes = patternBytes(4000, 13);

    // Deleted and removed, then the event arrives (late, or again).
    const gone = await streamedWithoutDigest(app, ada, bytes, 0);
    expect((await storage(app)('DELETE', `/files/${gone.id}`, { as: ada })).status).toBe(204);
    await app.publish('storage-events', uploadedEvent(gone));
    await app.publish('storage-events', envelope(FILE_HASH_REQUESTED, gone.id, { id: gone.id, version: 1 }));
    await app.waitForIdle();
    expect((await dbQuery(app, 'SELECT count(*)::int AS n FROM files WHERE id = $1::uuid', [gone.id])).rows[0]).toEqual({ n: 0 });
    expect((await dbQuery(app, 'SELECT count(*)::int AS n FROM file_versions WHERE file_id = $1::uuid', [gone.id])).rows[0]).toEqual({ n: 0 });
    await expectError(storage(app)('GET', `/files/${gone.id}`, { as: ada }), 404);

    // Deleted, its rows and object not yet removed (the delete's clean-up failed): the digest is not written.
    const deleting = await streamedWithoutDigest(app, ada, bytes, 0);
    await dbQuery(app, `UPDATE files SET status = 'deleted' WHERE id = $1::uuid`, [deleting.id]);
    await app.publish('storage-events', uploadedEvent(deleting));
    await app.publish('storage-events', envelope(FILE_HASH_REQUESTED, deleting.id, { id: deleting.id, version: 1 }));
    await app.waitForIdle();
    // The worker's own sweep may have finished the removal meanwhile; either way no digest, no file.
    const row = await versionRow(app, deleting.id);
    if (row) expect(row).toMatchObject({ sha256: null, deferred: false });
    expect((await dbQuery(app, `SELECT count(*)::int AS n FROM files WHERE id = $1::uuid AND status <> 'deleted'`, [deleting.id])).rows[0]).toEqual({ n: 0 });
    await expectError(storage(app)('GET', `/files/${deleting.id}`, { as: ada }), 404);

    // A pending upload (a presigned PUT not completed): nothing to read, nothing written.
    const ticket = (await (await storage(app)('POST', '/uploads', { as: ada, body: { filename: 'later.bin', size: 4000 } })).json()) as { file: StoredFile };
    await app.publish('storage-events', envelope(FILE_HASH_REQUESTED, ticket.file.id, { id: ticket.file.id, version: 1 }));
    await app.waitForIdle();
    expect(await versionRow(app, ticket.file.id)).toMatchObject({ sha256: null, status: 'pending' });
    expect(workerFailures(app)).toBe(0);
  });

  it('drops messages that are not events, or whose data does not match, and goes on', async () => {
    const ada = newUser();
    const file = await streamedWithoutDigest(app, ada, patternBytes(6000, 17), 0);
    const warningsBefore = app.logs.text('guest').split('\n').filter((line) => /message dropped|event dropped/.test(line)).length;
    const bad = [
      'not json',
      new Uint8Array([0xff, 0xfe, 0x00]),
      JSON.stringify({ type: FILE_HASH_REQUESTED }),
      envelope(StorageEventType.fileUploaded, file.id, { id: 'not-a-uuid', version: 1 }),
      envelope(FILE_HASH_REQUESTED, file.id, { id: file.id, version: 0 }),
      envelope(FILE_HASH_REQUESTED, file.id, { id: file.id, version: 1, objectKey: 'files/elsewhere' }),
      envelope(FILE_HASH_REQUESTED, file.id, { id: file.id, version: '1' }),
    ];
    for (const message of bad) await app.publish('storage-events', message);
    // A type the worker has no handler for is ignored.
    await app.publish('storage-events', envelope('file.renamed', file.id, { id: file.id, version: 1 }));
    await app.waitForIdle();
    const warnings = app.logs.text('guest').split('\n').filter((line) => /message dropped|event dropped/.test(line)).length;
    expect(warnings - warningsBefore).toBe(bad.length);
    expect(workerFailures(app)).toBe(0);
    expect(await versionRow(app, file.id)).toMatchObject({ sha256: null });

    await app.publish('storage-events', envelope(FILE_HASH_REQUESTED, file.id, { id: file.id, version: 1 }));
    await app.waitForIdle();
    expect(await versionRow(app, file.id)).toMatchObject({ sha256: await sha256Hex(patternBytes(6000, 17)), deferred: true });
  });

  it('fills in digests whose events were lost: the sweep asks the worker again, a few versions at a time', async () => {
    const ada = newUser();
    const files = [];
    for (let i = 0; i < DIGEST_SWEEP_BATCH + 1; i++) files.push(await streamed(app, ada, patternBytes(2000 + i, 20 + i)));
    const fresh = await streamed(app, ada, patternBytes(3000, 40));
    await app.waitForIdle();
    // As if no event had reached the worker: minutes old for the six, just uploaded for the last.
    for (const file of files) await forgetDigest(app, file.id, 10);
    await forgetDigest(app, fresh.id, 0);

    const linesBefore = app.logs.lines.length;
    await nextSweep();
    await storage(app)('GET', '/files', { as: ada });
    const sweep = app.logs.lines.slice(linesBefore).find((line) => line.text.includes('"storage sweep"'));
    expect(sweep).toBeDefined();
    const { digestsRequested } = JSON.parse(sweep!.text.slice(sweep!.text.indexOf('{'))) as { digestsRequested: number };
    expect(digestsRequested).toBeGreaterThan(0);
    expect(digestsRequested).toBeLessThanOrEqual(DIGEST_SWEEP_BATCH);
    const requested = await Promise.all(files.map((file) => versionRow(app, file.id)));
    expect(requested.filter((row) => row!.requested).length).toBeLessThanOrEqual(DIGEST_SWEEP_BATCH);

    // Each sweep (the API's requests, or the worker's own messages) asks for the next ones.
    await sweepUntilHashed(app, files.map((file) => file.id), () => storage(app)('GET', '/files', { as: ada }));
    for (const [i, file] of files.entries()) {
      expect(await versionRow(app, file.id)).toMatchObject({ sha256: await sha256Hex(patternBytes(2000 + i, 20 + i)), deferred: true });
      expect((await storage(app)('GET', `/files/${file.id}/content`, { as: ada })).headers.get('etag')).toBe(`"${file.id}.1"`);
    }
    // Uploaded moments ago: its event may still be on its way, so the sweep leaves it alone.
    expect(await versionRow(app, fresh.id)).toMatchObject({ sha256: null, requested: false });
  });

  it('converges on the deployment clock alone: a platform.tick runs the sweep in the worker', async () => {
    const ada = newUser();
    const bytes = patternBytes(7000, 50);
    const file = await streamedWithoutDigest(app, ada, bytes, 10);
    const tick = () =>
      app.publish('storage-events', JSON.stringify({ id: randomUUID(), type: 'platform.tick', source: 'ticker', time: new Date().toISOString(), subject: 'storage-events', data: {}, correlationId: 'ticker' }));
    await sweepUntilHashed(app, [file.id], tick);
    expect(await versionRow(app, file.id)).toMatchObject({ sha256: await sha256Hex(bytes), deferred: true });
  });
});

describe('storage worker when object storage fails', () => {
  let s3: FaultyS3;
  let app: TestApp;
  beforeAll(async () => {
    s3 = await startFaultyS3();
    app = await startStorageAppAt(s3.endpoint);
    await setAsideOtherVersions(app);
  });
  afterAll(async () => {
    await app?.close();
    await s3?.close();
  });

  it('a failed read leaves no digest; the sweep asks again once storage is back', async () => {
    const ada = newUser();
    const bytes = patternBytes(2 * MiB + 5, 60);
    s3.fail('GET whole', 'error');
    const file = await streamed(app, ada, bytes);
    await app.waitForIdle();
    // (At least: on shared servers other apps' uploads reach this worker too, and their reads fail here as well.)
    expect(workerFailures(app)).toBeGreaterThanOrEqual(1);
    expect(await versionRow(app, file.id)).toMatchObject({ sha256: null, deferred: false });

    s3.healAll();
    // Minutes later (the sweep leaves versions younger than that to their event).
    await dbQuery(app, `UPDATE file_versions SET created_at = now() - interval '10 minutes' WHERE file_id = $1::uuid`, [file.id]);
    await sweepUntilHashed(app, [file.id], () => storage(app)('GET', '/quota', { as: ada }));
    expect(await versionRow(app, file.id)).toMatchObject({ sha256: await sha256Hex(bytes), deferred: true });
    expect(await expectJson(storage(app)('GET', `/files/${file.id}`, { as: ada }), 200, StoredFile)).toMatchObject({ sha256: await sha256Hex(bytes) });
  });
});
