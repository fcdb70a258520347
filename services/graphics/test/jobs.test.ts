// The graphics service end to end on compiled components: uploads to storage become thumbnail
// jobs by themselves, probe and resize jobs on request, results stored as the owner's files,
// owners only, bad payloads and bad images refused with codes, and the worker going on after.
import { readFile } from 'node:fs/promises';
import { JobView } from '@authorworks/kit';
import type { TestApp } from '@authorworks/spin-local';
import { expectError, expectJson } from '@authorworks/spin-local/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { probeImage } from '../src/image/probe.ts';
import { clients, GRAPHICS_DB, JobList, newUser, startGraphicsApp } from './graphics-app.ts';

const fixture = async (name: string) => new Uint8Array(await readFile(new URL(`../fixtures/${name}`, import.meta.url)));

let app: TestApp;
let api: ReturnType<typeof clients>;
const alice = newUser();
const bob = newUser();

beforeAll(async () => {
  app = await startGraphicsApp();
  api = clients(app);
}, 120_000);
afterAll(async () => app?.close());

interface StoredResult { fileId: string; width: number; height: number; contentType: string; size: number }
const filesOf = (job: JobView) => (job.result as { files: StoredResult[] }).files;

describe('graphics jobs', () => {
  it('makes thumbnails of every uploaded PNG and JPEG by itself, readable by the owner only', async () => {
    const jpeg = await api.upload(alice, await fixture('photo-small.jpg'), 'photo.jpg');
    const png = await api.upload(alice, await fixture('logo-palette.png'), 'logo.png');
    const text = await api.upload(alice, new TextEncoder().encode('not an image'), 'notes.txt');

    const jpegJob = await api.settled(alice, (await api.thumbnailJobOf(alice, jpeg.id)).id);
    expect(jpegJob).toMatchObject({ kind: 'thumbnail', state: 'succeeded', ownerId: alice.id });
    expect(filesOf(jpegJob).map((f) => [f.width, f.height, f.contentType])).toEqual([[320, 212], [256, 170], [128, 85]].map(([w, h]) => [w, h, 'image/jpeg']));
    for (const file of filesOf(jpegJob)) {
      const mine = await api.download(alice, file.fileId);
      expect(mine.status).toBe(200);
      expect(probeImage(mine.bytes)).toMatchObject({ format: 'jpeg', width: file.width, height: file.height });
      expect((await api.download(bob, file.fileId)).status).toBe(404);
    }

    const pngJob = await api.settled(alice, (await api.thumbnailJobOf(alice, png.id)).id);
    // 320×240: never enlarged, so the 512 one keeps its size.
    expect(filesOf(pngJob).map((f) => [f.width, f.height, f.contentType])).toEqual([[320, 240], [256, 192], [128, 96]].map(([w, h]) => [w, h, 'image/png']));
    expect(probeImage((await api.download(alice, filesOf(pngJob)[2]!.fileId)).bytes)).toMatchObject({ format: 'png', width: 128, height: 96 });

    // No thumbnails of the text file, none of the thumbnails themselves, and one job per upload.
    await expectError(api.graphics('GET', `/files/${text.id}/thumbnails`, { as: alice }), 404, 'not_found');
    await expectError(api.graphics('GET', `/files/${filesOf(jpegJob)[0]!.fileId}/thumbnails`, { as: alice }), 404, 'not_found');
    const thumbnails = await expectJson(api.graphics('GET', '/jobs?kind=thumbnail', { as: alice }), 200, JobList);
    expect(thumbnails.items.map((j) => j.id).sort()).toEqual([jpegJob.id, pngJob.id].sort());
    await expectError(api.graphics('GET', `/files/${jpeg.id}/thumbnails`, { as: bob }), 404, 'not_found');

    // The same upload announced again (a redelivery with a new envelope id) makes no second job.
    const again = {
      id: crypto.randomUUID(), type: 'file.uploaded', source: 'storage-api', time: new Date().toISOString(), subject: jpeg.id, correlationId: crypto.randomUUID(),
      data: { id: jpeg.id, ownerId: alice.id, version: 1, filename: 'photo.jpg', contentType: 'image/jpeg', size: jpeg.size, sha256: jpeg.sha256 },
    };
    await app.publish('storage-events', JSON.stringify(again));
    expect((await api.thumbnailJobOf(alice, jpeg.id)).id).toBe(jpegJob.id);
    expect((await expectJson(api.graphics('GET', '/jobs?kind=thumbnail', { as: alice }), 200, JobList)).items).toHaveLength(2);
  });

  it('probes from the header and resizes on request; another user sees none of it', async () => {
    const photo = await api.upload(alice, await fixture('photo-small.jpg'), 'photo.jpg');
    const probe = await expectJson(api.graphics('POST', '/jobs', { as: alice, body: { kind: 'probe', payload: { fileId: photo.id } } }), 202, JobView);
    expect(probe).toMatchObject({ kind: 'probe', ownerId: alice.id });
    expect((await api.settled(alice, probe.id)).result).toMatchObject({ format: 'jpeg', width: 320, height: 212, bitDepth: 8, colorType: 'ycbcr', encoding: 'baseline', orientation: 1, bytesRead: 32885 });

    const resize = await expectJson(
      api.graphics('POST', '/jobs', { as: alice, body: { kind: 'resize', payload: { fileId: photo.id, width: 300, height: 300, fit: 'cover', format: 'png' } } }),
      202,
      JobView,
    );
    const done = await api.settled(alice, resize.id);
    expect(done.state).toBe('succeeded');
    const [file] = filesOf(done);
    expect(file).toMatchObject({ width: 300, height: 300, contentType: 'image/png' });
    expect(probeImage((await api.download(alice, file!.fileId)).bytes)).toMatchObject({ format: 'png', width: 300, height: 300 });

    // Bob: not his file to read, not his jobs to see or cancel.
    await expectError(api.graphics('POST', '/jobs', { as: bob, body: { kind: 'probe', payload: { fileId: photo.id } } }), 404, 'not_found');
    await expectError(api.graphics('GET', `/jobs/${probe.id}`, { as: bob }), 404, 'not_found');
    await expectError(api.graphics('DELETE', `/jobs/${probe.id}`, { as: bob }), 404, 'not_found');
    expect((await expectJson(api.graphics('GET', '/jobs', { as: bob }), 200, JobList)).items).toEqual([]);
    // A finished job cannot be cancelled.
    await expectError(api.graphics('DELETE', `/jobs/${probe.id}`, { as: alice }), 409);
  });

  it('refuses bad payloads with the error envelope', async () => {
    const photo = await api.upload(alice, await fixture('photo-small.jpg'), 'photo.jpg');
    const text = await api.upload(alice, new TextEncoder().encode('plain words'), 'words.txt');
    const bad: unknown[] = [
      { kind: 'sharpen', payload: { fileId: photo.id } },
      { kind: 'probe', payload: {} },
      { kind: 'probe', payload: { fileId: 'not-a-uuid' } },
      { kind: 'thumbnail', payload: { fileId: photo.id, sizes: [100] } },
      { kind: 'thumbnail', payload: { fileId: photo.id, sizes: [128, 128] } },
      { kind: 'resize', payload: { fileId: photo.id } },
      { kind: 'resize', payload: { fileId: photo.id, width: 100_000 } },
      { kind: 'resize', payload: { fileId: photo.id, width: 100, quality: 0 } },
      { kind: 'resize', payload: { fileId: photo.id, width: 100, extra: true } },
    ];
    for (const body of bad) await expectError(api.graphics('POST', '/jobs', { as: alice, body }), 400, 'validation_failed');
    await expectError(api.graphics('POST', '/jobs', { as: alice, rawBody: '{"kind":' , headers: { 'content-type': 'application/json' } }), 400);
    await expectError(api.graphics('POST', '/jobs', { body: { kind: 'probe', payload: { fileId: photo.id } } }), 401);
    await expectError(api.graphics('POST', '/jobs', { as: alice, body: { kind: 'probe', payload: { fileId: crypto.randomUUID() } } }), 404, 'not_found');
    await expectError(api.graphics('POST', '/jobs', { as: alice, body: { kind: 'thumbnail', payload: { fileId: text.id } } }), 422, 'unsupported_format');
    await expectError(api.graphics('GET', '/jobs?cursor=garbage', { as: alice }), 400, 'invalid_cursor');
  });

  it('fails a corrupt image with its code, keeps nothing of it, and goes on working', async () => {
    const photo = await fixture('photo-small.jpg');
    const truncated = await api.upload(alice, photo.subarray(0, Math.floor(photo.length * 0.6)), 'cut.jpg');
    const failed = await api.settled(alice, (await api.thumbnailJobOf(alice, truncated.id)).id);
    expect(failed.state).toBe('failed');
    expect(failed.lastError).toMatch(/^corrupt_image: /);
    // Retrying cannot mend the bytes: one attempt, not the job's three.
    expect(failed.attempts).toBe(1);
    const files = await expectJson(api.storage('GET', '/files?limit=100', { as: alice }), 200, z.object({ items: z.array(z.object({ filename: z.string() })) }));
    expect(files.items.map((f) => f.filename).filter((name) => name.startsWith('cut.'))).toEqual(['cut.jpg']);
    const probe = await expectJson(api.graphics('POST', '/jobs', { as: alice, body: { kind: 'probe', payload: { fileId: truncated.id } } }), 202, JobView);
    // The header is whole: a probe reads it fine.
    expect((await api.settled(alice, probe.id)).result).toMatchObject({ format: 'jpeg', width: 320 });
    const after = await api.upload(alice, photo, 'after.jpg');
    expect((await api.settled(alice, (await api.thumbnailJobOf(alice, after.id)).id)).state).toBe('succeeded');
  });

  it('cancels a deleted user\'s jobs that have not run, leaves finished ones as they are', async () => {
    const carol = newUser();
    const photo = await api.upload(carol, await fixture('photo-small.jpg'), 'carol.jpg');
    const done = await api.settled(carol, (await api.thumbnailJobOf(carol, photo.id)).id);
    const deleted = { id: crypto.randomUUID(), type: 'user.deleted', source: 'user-api', time: new Date().toISOString(), subject: carol.id, correlationId: crypto.randomUUID(), data: { id: carol.id } };
    await app.publish('user-events', JSON.stringify(deleted));
    expect((await expectJson(api.graphics('GET', `/jobs/${done.id}`, { as: carol }), 200, JobView)).state).toBe('succeeded');
    // A job still waiting (here: due in an hour, as after a back-off) is cancelled and never runs.
    const db = await app.sql(GRAPHICS_DB);
    let waiting: string;
    try {
      const inserted = await db.query(
        `INSERT INTO jobs (queue, kind, payload, max_attempts, lease_seconds, backoff_seconds, run_after, correlation_id, owner_id)
         VALUES ('graphics-jobs', 'probe', $1::text::jsonb, 3, 120, 0, now() + interval '1 hour', 'test', $2::text::uuid) RETURNING id::text AS id`,
        [JSON.stringify({ fileId: photo.id }), carol.id],
      );
      waiting = String(inserted.rows[0]!.id);
    } finally {
      await db.close();
    }
    expect((await expectJson(api.graphics('GET', `/jobs/${waiting}`, { as: carol }), 200, JobView)).state).toBe('queued');
    await app.publish('user-events', JSON.stringify({ ...deleted, id: crypto.randomUUID() }));
    expect((await expectJson(api.graphics('GET', `/jobs/${waiting}`, { as: carol }), 200, JobView)).state).toBe('cancelled');
  });
});
