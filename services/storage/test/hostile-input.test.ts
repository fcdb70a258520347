import { Quota, StoredFileList } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbQuery, expectError, expectJson, ledger, newUser, objectKeys, patternBytes, rawExchange, sendBytes, sha256Hex, startStorageApp, storage, upload } from './storage-app.ts';

// Limits small enough to reach: a 2 MB direct upload, a 3 MB quota. (spin-local hands a body of
// up to 1 MiB to the component only once it has all of it; a larger one streams, as in Spin, so
// the checks made before reading are seen with larger declared lengths.)
let app: TestApp;
beforeAll(async () => {
  app = await startStorageApp({ storage_max_upload_bytes: '2000000', storage_quota_bytes: '3000000', storage_sweep_every_seconds: '1' });
});
afterAll(async () => {
  await app?.close();
});

/** Nothing of `user`'s in the database or the bucket. */
async function expectNothingStored(user: { id: string }) {
  expect(await ledger(app, user.id)).toEqual({ usedBytes: 0, recountBytes: 0, versions: 0, files: 0 });
  expect((await objectKeys(app)).filter((key) => key.includes(user.id))).toEqual([]);
}

describe('bad input stores nothing and answers with the envelope', () => {
  it('needs a token on every non-public route', async () => {
    await expectError(sendBytes(app, null, 'x'), 401);
    await expectError(storage(app)('GET', '/files'), 401);
    await expectError(storage(app)('GET', '/quota'), 401);
    await expectError(storage(app)('POST', '/uploads', { body: { filename: 'a', size: 1, sha256: '0'.repeat(64) } }), 401);
    await expectError(storage(app)('GET', '/files', { as: 'not.a.token' }), 401);
  });

  it('refuses empty bodies, missing lengths, missing names and bad checksums', async () => {
    const ada = newUser();
    await expectError(sendBytes(app, ada, new Uint8Array(0)), 400, 'empty_file');
    await expectError(sendBytes(app, ada, 'abc', { path: '/files' }), 400, 'filename_required');
    await expectError(sendBytes(app, ada, 'abc', { headers: { 'x-checksum-sha256': 'nothex' } }), 400, 'validation_failed');
    await expectError(sendBytes(app, ada, 'abc', { headers: { 'x-checksum-sha256': await sha256Hex(new TextEncoder().encode('abd')) } }), 400, 'checksum_mismatch');
    const chunked = await app.fetch('/v1/storage/files?filename=a', {
      method: 'POST',
      headers: ada.headers,
      body: new ReadableStream({ start: (controller) => (controller.enqueue(new Uint8Array([1, 2, 3])), controller.close()) }),
      duplex: 'half',
    } as RequestInit);
    await expectError(chunked, 411, 'length_required');
    await expectError(sendBytes(app, ada, 'abc', { path: '/files?filename=a&owner=x' }), 400, 'validation_failed');
    await expectNothingStored(ada);
  });

  it('refuses a body over the limit, and a 2 GB Content-Length before reading any of it', async () => {
    const ada = newUser();
    await expectError(sendBytes(app, ada, patternBytes(2_000_001)), 413, 'payload_too_large');
    const huge = await rawExchange(app, `POST /v1/storage/files?filename=big HTTP/1.1\nHost: x\nAuthorization: ${ada.headers.authorization}\nContent-Type: application/octet-stream\nContent-Length: 2147483648\n`);
    expect(huge.status).toBe(413);
    expect(huge.text).toContain('payload_too_large');
    await expectNothingStored(ada);
  });

  it('stores nothing from a body that breaks off, or that does not match its checksum', async () => {
    const ada = newUser();
    const cut = await rawExchange(
      app,
      `POST /v1/storage/files?filename=cut HTTP/1.1\nHost: x\nAuthorization: ${ada.headers.authorization}\nContent-Type: application/octet-stream\nContent-Length: 1500000\n`,
      patternBytes(600_000),
      { cut: true, waitMs: 5000 },
    );
    expect([0, 400, 500]).toContain(cut.status);
    // The body streamed to object storage, so its version was pending when the body broke off;
    // the engine then ends the request (Spin's JS engine cannot hand a broken body to the
    // handler), so nothing was made available, S3 got no object, and the pending record is the
    // sweep's once it expires.
    await app.waitForIdle();
    expect((await objectKeys(app)).filter((key) => key.includes(ada.id))).toEqual([]);
    const listed = await expectJson(storage(app)('GET', '/files', { as: ada }), 200, StoredFileList);
    expect(listed.items.map((item) => item.status)).toEqual(['pending']);
    await dbQuery(app, `UPDATE file_versions SET expires_at = now() - interval '1 second' WHERE owner_id = $1::uuid`, [ada.id]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await storage(app)('GET', '/files', { as: ada });
    await expectNothingStored(ada);
    // A body longer than its Content-Length: the server reads the declared bytes; the checksum of
    // what the client meant to send does not match them.
    const meant = patternBytes(1500);
    const longer = await rawExchange(
      app,
      `POST /v1/storage/files?filename=long HTTP/1.1\nHost: x\nAuthorization: ${ada.headers.authorization}\nContent-Type: application/octet-stream\nX-Checksum-SHA256: ${await sha256Hex(meant)}\nContent-Length: 1000\n`,
      meant,
    );
    expect(longer.status).toBe(400);
    await app.waitForIdle();
    await expectNothingStored(ada);
    // The service is fine afterwards.
    expect((await upload(app, ada, 'still here', 'ok.txt')).size).toBe(10);
  });

  it('refuses malformed multipart bodies', async () => {
    const ada = newUser();
    const send = (contentType: string, body: string) => app.fetch('/v1/storage/files', { method: 'POST', headers: { ...ada.headers, 'content-type': contentType }, body });
    await expectError(send('multipart/form-data', '--x\r\n'), 400, 'bad_multipart');
    await expectError(send('multipart/form-data; boundary=x', 'nothing like a form'), 400, 'bad_multipart');
    await expectError(send('multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--x--\r\n'), 400, 'bad_multipart');
    await expectError(send('multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\ncut'), 400, 'bad_multipart');
    await expectError(send('multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n\r\n--x--\r\n'), 400, 'empty_file');
    await expectNothingStored(ada);
  });

  it('answers unknown and malformed ids, and other users\' files, as not found', async () => {
    const ada = newUser();
    const eve = newUser();
    const file = await upload(app, ada, 'private words', 'secret.txt');
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['GET', `/files/${file.id}`],
      ['GET', `/files/${file.id}/content`],
      ['GET', `/files/${file.id}/versions`],
      ['GET', `/files/${file.id}/versions/1/content`],
      ['PATCH', `/files/${file.id}`],
      ['DELETE', `/files/${file.id}`],
      ['GET', `/files/${file.id}/grants`],
      ['POST', `/uploads/${file.id}/complete`],
      ['GET', `/files/${unknown}`],
      ['GET', `/files/${unknown}/content`],
    ] as const) {
      const body = method === 'PATCH' ? { filename: 'mine' } : undefined;
      await expectError(storage(app)(method, path, { as: eve, ...(body ? { body } : {}) }), 404, 'not_found');
    }
    await expectError(sendBytes(app, eve, 'overwrite', { path: `/files/${file.id}/versions` }), 404, 'not_found');
    await expectError(storage(app)('GET', '/files/not-a-uuid', { as: ada }), 400, 'validation_failed');
    await expectError(storage(app)('GET', `/files/${file.id}/versions/0/content`, { as: ada }), 400, 'validation_failed');
    await expectError(storage(app)('GET', `/files/${file.id}/versions/9/content`, { as: ada }), 404, 'not_found');
    await expectError(storage(app)('GET', `/files/${file.id}/content?redirect=maybe`, { as: ada }), 400, 'validation_failed');
    expect(await (await storage(app)('GET', `/files/${file.id}/content`, { as: ada })).text()).toBe('private words');
  });
});

describe('quota', () => {
  it('is checked before the body is read', async () => {
    const ada = newUser();
    await upload(app, ada, patternBytes(1_500_000));
    await upload(app, ada, patternBytes(1_000_000));
    // 500 kB left: a 1.5 MB upload is refused on its Content-Length alone (no body sent).
    const refused = await rawExchange(app, `POST /v1/storage/files?filename=more HTTP/1.1\nHost: x\nAuthorization: ${ada.headers.authorization}\nContent-Length: 1500000\n`);
    expect(refused.status).toBe(413);
    expect(refused.text).toContain('quota_exceeded');
    expect(await ledger(app, ada.id)).toMatchObject({ usedBytes: 2_500_000, recountBytes: 2_500_000, files: 2 });
  });

  it('lets exactly one of two racing uploads take the last bytes, and stays exact', async () => {
    const ada = newUser();
    await upload(app, ada, patternBytes(1_000_000));
    const answers = await Promise.all([sendBytes(app, ada, patternBytes(1_500_000, 1)), sendBytes(app, ada, patternBytes(1_500_000, 2))]);
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([201, 413]);
    await expectError(answers.find((answer) => answer.status === 413)!, 413, 'quota_exceeded');
    await answers.find((answer) => answer.status === 201)!.arrayBuffer();
    expect(await ledger(app, ada.id)).toMatchObject({ usedBytes: 2_500_000, recountBytes: 2_500_000, versions: 2, files: 2 });
    expect(await expectJson(storage(app)('GET', '/quota', { as: ada }), 200, Quota)).toEqual({ usedBytes: 2_500_000, allowedBytes: 3_000_000, files: 2 });
    expect((await objectKeys(app)).filter((key) => key.includes(ada.id))).toHaveLength(2);
  });
});
