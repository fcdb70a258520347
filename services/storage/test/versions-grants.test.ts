import { FileVersionList, Grant, GrantList } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbQuery, expectError, expectJson, ledger, newUser, objectKeys, sendBytes, startStorageApp, storage, StoredFile, upload } from './storage-app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startStorageApp();
});
afterAll(async () => {
  await app?.close();
});

const newVersion = (as: Parameters<typeof sendBytes>[1], id: string, text: string, query = '') => sendBytes(app, as, text, { path: `/files/${id}/versions${query}` });

describe('versions', () => {
  it('adds versions, lists them, serves each, and keeps the quota exact through them and the delete', async () => {
    const ada = newUser();
    const file = await upload(app, ada, 'first draft', 'draft.txt');
    const second = await expectJson(newVersion(ada, file.id, 'second, longer draft'), 201, StoredFile);
    expect(second).toMatchObject({ id: file.id, version: 2, size: 20, filename: 'draft.txt' });
    const third = await expectJson(newVersion(ada, file.id, '<html><script>x</script>', '?filename=final.html'), 201, StoredFile);
    expect(third).toMatchObject({ version: 3, filename: 'final.html', contentType: 'text/html' });
    // Each version's file.uploaded names the file as that upload left it.
    const events = await dbQuery(app, `SELECT data::text AS data FROM outbox WHERE subject = $1 AND type = 'file.uploaded' ORDER BY created_at`, [file.id]);
    expect(events.rows.map((row) => JSON.parse(String(row.data)) as unknown)).toMatchObject([
      { version: 1, filename: 'draft.txt', contentType: 'text/plain', size: 11 },
      { version: 2, filename: 'draft.txt', size: 20 },
      { version: 3, filename: 'final.html', contentType: 'text/html', size: 24 },
    ]);

    const versions = await expectJson(storage(app)('GET', `/files/${file.id}/versions`, { as: ada }), 200, FileVersionList);
    expect(versions.items.map((v) => [v.version, v.size, v.status])).toEqual([
      [3, 24, 'available'],
      [2, 20, 'available'],
      [1, 11, 'available'],
    ]);
    expect(await (await storage(app)('GET', `/files/${file.id}/versions/1/content`, { as: ada })).text()).toBe('first draft');
    const current = await storage(app)('GET', `/files/${file.id}/content`, { as: ada });
    expect(current.headers.get('content-disposition')).toMatch(/^attachment; filename="final.html"/);
    expect(await current.text()).toBe('<html><script>x</script>');
    expect(await ledger(app, ada.id)).toMatchObject({ usedBytes: 55, recountBytes: 55, versions: 3 });
    expect((await objectKeys(app)).filter((key) => key.includes(file.id))).toHaveLength(3);

    expect((await storage(app)('DELETE', `/files/${file.id}`, { as: ada })).status).toBe(204);
    expect((await objectKeys(app)).filter((key) => key.includes(file.id))).toEqual([]);
    expect(await ledger(app, ada.id)).toEqual({ usedBytes: 0, recountBytes: 0, versions: 0, files: 0 });
  });
});

describe('grants', () => {
  it('lets a grantee read or write until revoked or expired; only the owner manages them', async () => {
    const ada = newUser();
    const bob = newUser();
    const eve = newUser();
    const file = await upload(app, ada, 'shared words', 'shared.txt');
    await expectError(storage(app)('GET', `/files/${file.id}`, { as: bob }), 404);

    const read = await expectJson(storage(app)('POST', `/files/${file.id}/grants`, { as: ada, body: { granteeId: bob.id, permission: 'read' } }), 201, Grant);
    expect(read).toMatchObject({ fileId: file.id, granteeId: bob.id, permission: 'read', expiresAt: null });
    expect((await expectJson(storage(app)('GET', `/files/${file.id}`, { as: bob }), 200, StoredFile)).permissions).toEqual({ read: true, write: false, owner: false });
    expect(await (await storage(app)('GET', `/files/${file.id}/content`, { as: bob })).text()).toBe('shared words');
    await expectError(newVersion(bob, file.id, 'bob was here'), 403, 'forbidden');
    await expectError(storage(app)('GET', `/files/${file.id}/content`, { as: eve }), 404);
    // Only the owner sees and changes grants.
    await expectError(storage(app)('GET', `/files/${file.id}/grants`, { as: bob }), 403);
    await expectError(storage(app)('POST', `/files/${file.id}/grants`, { as: bob, body: { granteeId: eve.id, permission: 'write' } }), 403);
    await expectError(storage(app)('POST', `/files/${file.id}/grants`, { as: ada, body: { granteeId: ada.id, permission: 'write' } }), 422, 'grantee_is_owner');
    await expectError(storage(app)('POST', `/files/${file.id}/grants`, { as: ada, body: { granteeId: bob.id, permission: 'admin' } }), 400, 'validation_failed');
    await expectError(storage(app)('POST', `/files/${file.id}/grants`, { as: ada, body: { granteeId: bob.id, permission: 'read', expiresInSeconds: 5 } }), 400, 'validation_failed');

    // Write: a new version, charged to the owner.
    await expectJson(storage(app)('POST', `/files/${file.id}/grants`, { as: ada, body: { granteeId: bob.id, permission: 'write', expiresInSeconds: 3600 } }), 201, Grant);
    const byBob = await expectJson(newVersion(bob, file.id, 'bob edited'), 201, StoredFile);
    expect(byBob).toMatchObject({ version: 2, ownerId: ada.id, permissions: { read: true, write: true, owner: false } });
    expect(await ledger(app, ada.id)).toMatchObject({ usedBytes: 22, recountBytes: 22 });
    expect(await ledger(app, bob.id)).toMatchObject({ usedBytes: 0 });
    await expectError(storage(app)('PATCH', `/files/${file.id}`, { as: bob, body: { access: 'public' } }), 403);
    await expectError(storage(app)('DELETE', `/files/${file.id}`, { as: bob }), 403);

    const grants = await expectJson(storage(app)('GET', `/files/${file.id}/grants`, { as: ada }), 200, GrantList);
    expect(grants.items).toHaveLength(1);
    const grant = grants.items[0]!;

    // An expired grant is no grant.
    await dbQuery(app, `UPDATE grants SET expires_at = now() - interval '1 second' WHERE id = $1::uuid`, [grant.id]);
    await expectError(storage(app)('GET', `/files/${file.id}/content`, { as: bob }), 404);
    await dbQuery(app, `UPDATE grants SET expires_at = NULL WHERE id = $1::uuid`, [grant.id]);
    expect((await storage(app)('GET', `/files/${file.id}/content`, { as: bob })).status).toBe(200);

    // Revoked: gone at once.
    await expectError(storage(app)('DELETE', `/files/${file.id}/grants/${grant.id}`, { as: bob }), 403);
    expect((await storage(app)('DELETE', `/files/${file.id}/grants/${grant.id}`, { as: ada })).status).toBe(204);
    await expectError(storage(app)('DELETE', `/files/${file.id}/grants/${grant.id}`, { as: ada }), 404);
    await expectError(storage(app)('GET', `/files/${file.id}`, { as: bob }), 404);
    await expectError(newVersion(bob, file.id, 'again'), 404);
  });
});
