import { Quota } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFaultyS3, type FaultyS3 } from './faulty-s3.ts';
import { dbQuery, expectError, expectJson, ledger, newUser, objectKeys, patternBytes, sendBytes, startStorageAppAt, storage, upload, type User } from './storage-app.ts';

// A failure at any step of an upload leaves neither an object nor a record; where the service
// cannot clean up at once (storage gone), the sweep does once the pending record expires.

let s3: FaultyS3;
let app: TestApp;
beforeAll(async () => {
  s3 = await startFaultyS3();
  app = await startStorageAppAt(s3.endpoint, { storage_sweep_every_seconds: '1' });
});
afterAll(async () => {
  await app?.close();
  await s3?.close();
});
afterEach(async () => {
  s3.healAll();
  await dbQuery(app, 'DROP TRIGGER IF EXISTS inject_failure ON file_versions');
});

async function expectNothingStored(user: User) {
  expect(await ledger(app, user.id)).toEqual({ usedBytes: 0, recountBytes: 0, versions: 0, files: 0 });
  expect((await objectKeys(app)).filter((key) => key.includes(user.id))).toEqual([]);
}

/** Makes the database refuse `operation` on file_versions for rows declared `application/x-fail`. */
async function failDatabaseOn(operation: 'INSERT' | 'UPDATE') {
  await dbQuery(app, `CREATE OR REPLACE FUNCTION inject_failure() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.declared_type = 'application/x-fail' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$`);
  await dbQuery(app, `CREATE TRIGGER inject_failure BEFORE ${operation} ON file_versions FOR EACH ROW EXECUTE FUNCTION inject_failure()`);
}

/** Lets the sweep run on the next request (at most once a second here). */
const nextSweep = () => new Promise((resolve) => setTimeout(resolve, 1100));

describe('no orphans', () => {
  it('object storage refusing the PUT: 503, nothing stored', async () => {
    const ada = newUser();
    s3.fail('PUT', 'refuse');
    await expectError(sendBytes(app, ada, patternBytes(3000)), 503, 'storage_unavailable');
    s3.fail('PUT', 'error');
    await expectError(sendBytes(app, ada, patternBytes(3000)), 503, 'storage_unavailable');
    await expectNothingStored(ada);
  });

  it('the PUT written but its answer lost: the object is deleted again', async () => {
    const ada = newUser();
    s3.fail('PUT', 'cut-answer');
    await expectError(sendBytes(app, ada, patternBytes(3000)), 503, 'storage_unavailable');
    await expectNothingStored(ada);
  });

  it('the database failing before or after the PUT: nothing stored', async () => {
    const ada = newUser();
    await failDatabaseOn('INSERT');
    expect((await sendBytes(app, ada, patternBytes(3000), { headers: { 'content-type': 'application/x-fail' } })).status).toBe(500);
    await expectNothingStored(ada);
    await dbQuery(app, 'DROP TRIGGER inject_failure ON file_versions');
    // After the object is written, making the version available fails.
    await failDatabaseOn('UPDATE');
    expect((await sendBytes(app, ada, patternBytes(3000), { headers: { 'content-type': 'application/x-fail' } })).status).toBe(500);
    await expectNothingStored(ada);
    // Other uploads are unaffected.
    expect((await upload(app, ada, 'fine', 'fine.txt')).status).toBe('available');
  });

  it('storage gone before the clean-up could run: the sweep removes object and record after expiry', async () => {
    const ada = newUser();
    // The object is written, the answer lost, and the DELETE of the clean-up refused.
    s3.fail('PUT', 'cut-answer');
    s3.fail('DELETE', 'refuse');
    await expectError(sendBytes(app, ada, patternBytes(4000)), 503);
    expect(await ledger(app, ada.id)).toMatchObject({ usedBytes: 4000, recountBytes: 4000, files: 1 });
    expect((await objectKeys(app)).filter((key) => key.includes(ada.id))).toHaveLength(1);
    const listed = await expectJson(storage(app)('GET', '/files?status=pending', { as: ada }), 200, (await import('@authorworks/domain')).StoredFileList);
    expect(listed.items.map((file) => file.status)).toEqual(['pending']);
    await expectError(storage(app)('GET', `/files/${listed.items[0]!.id}/content`, { as: ada }), 409, 'file_not_available');

    s3.healAll();
    // Not yet expired: the sweep leaves it.
    await nextSweep();
    await expectJson(storage(app)('GET', '/quota', { as: ada }), 200, Quota);
    expect(await ledger(app, ada.id)).toMatchObject({ files: 1 });
    // Expired (moved back in time): the next request's sweep removes it.
    await dbQuery(app, `UPDATE file_versions SET expires_at = now() - interval '1 second' WHERE owner_id = $1::uuid`, [ada.id]);
    await nextSweep();
    expect(await expectJson(storage(app)('GET', '/quota', { as: ada }), 200, Quota)).toMatchObject({ usedBytes: 0, files: 0 });
    await expectNothingStored(ada);
  });

  it('a delete while storage is down: gone for every caller at once, objects removed by the sweep', async () => {
    const ada = newUser();
    const file = await upload(app, ada, patternBytes(2000), 'doomed.bin');
    s3.fail('DELETE', 'refuse');
    expect((await storage(app)('DELETE', `/files/${file.id}`, { as: ada })).status).toBe(204);
    await expectError(storage(app)('GET', `/files/${file.id}`, { as: ada }), 404);
    expect((await objectKeys(app)).filter((key) => key.includes(file.id))).toHaveLength(1);
    expect(await ledger(app, ada.id)).toMatchObject({ usedBytes: 0, recountBytes: 0 });
    s3.healAll();
    await nextSweep();
    await expectJson(storage(app)('GET', '/quota', { as: ada }), 200, Quota);
    await expectNothingStored(ada);
  });
});
