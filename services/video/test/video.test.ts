// The video service end to end on the compiled components: uploads to storage are validated by
// the worker on its own, probe jobs read the file from storage as its owner, other users see
// nothing, bad requests are 400s, broken files fail their job with a code and the worker goes on.
import { createEvent, JobView } from '@authorworks/kit';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeVideo } from '../src/probe.ts';
import { bytesReader } from '../src/range-reader.ts';
import { expectError, expectJson, finishedJobWhere, fixture, JOBS_PER_MINUTE, newUser, settled, startVideoApp, upload, video, VIDEO_DB, type User } from './video-app.ts';

let app: TestApp;
let call: ReturnType<typeof video>;
let alice: User;
let bob: User;

beforeAll(async () => {
  app = await startVideoApp();
  call = video(app);
  alice = newUser();
  bob = newUser();
});

afterAll(async () => {
  await app?.close();
});

const withoutCosts = ({ reads: _reads, bytesRead: _bytes, milliseconds: _ms, ...rest }: Record<string, unknown>) => rest;

describe('video service', () => {
  let fileId: string;

  it('validates an uploaded video on its own, once per version', async () => {
    const bytes = fixture('h264-aac.mp4');
    const file = await upload(app, alice, bytes, 'clip.mp4');
    fileId = file.id;
    expect(file.contentType).toBe('video/mp4');
    const job = await finishedJobWhere(app, alice, 'kind=validate', (candidate) => (candidate.result as { fileId?: string } | null)?.fileId === file.id);
    expect(job.state).toBe('succeeded');
    expect(job.result).toMatchObject({ fileId: file.id, version: 1, valid: true, violations: [], probe: { container: 'mp4', video: { codec: 'h264', codedWidth: 160, codedHeight: 120 } } });

    // A second delivery of the same upload queues nothing.
    const again = createEvent({
      type: 'file.uploaded',
      source: 'storage',
      subject: file.id,
      data: { id: file.id, ownerId: alice.id, version: 1, filename: 'clip.mp4', contentType: 'video/mp4', size: bytes.length, sha256: file.sha256 },
      correlationId: 'replayed-upload',
    });
    await app.publish('storage-events', JSON.stringify(again));
    const db = await app.sql(VIDEO_DB);
    try {
      const rows = await db.query(`SELECT count(*)::int AS n FROM jobs WHERE kind = 'validate' AND payload->>'fileId' = $1`, [file.id]);
      expect(Number(rows.rows[0]!.n)).toBe(1);
    } finally {
      await db.close();
    }
  });

  it('probes a file as its owner: the result is what the probe reads in Node', async () => {
    const created = await expectJson(call('POST', '/jobs', { as: alice, body: { kind: 'probe', payload: { fileId } } }), 202, JobView);
    expect(created).toMatchObject({ kind: 'probe', state: 'queued' });
    const done = await settled(app, alice, created.id);
    expect(done.state).toBe('succeeded');
    const expected = await probeVideo(bytesReader(fixture('h264-aac.mp4')));
    expect(withoutCosts(done.result as Record<string, unknown>)).toEqual({ fileId, ...withoutCosts(expected) });
    // Through 64 KiB blocks of a 35 KB file: one storage request's worth.
    expect((done.result as { bytesRead: number }).bytesRead).toBeLessThan(10_000);
  });

  it('keeps each user to their own jobs and files', async () => {
    const mine = await expectJson(call('POST', '/jobs', { as: alice, body: { kind: 'probe', payload: { fileId } } }), 202, JobView);
    await expectError(call('GET', `/jobs/${mine.id}`, { as: bob }), 404);
    await expectError(call('DELETE', `/jobs/${mine.id}`, { as: bob }), 404);
    const theirs = (await call('GET', '/jobs', { as: bob })).body as { items: unknown[] };
    expect(theirs.items).toEqual([]);
    // Bob may not have Alice's file probed: storage does not show it to him.
    await expectError(call('POST', '/jobs', { as: bob, body: { kind: 'probe', payload: { fileId } } }), 404, 'file_not_found');
    await expectError(call('GET', '/jobs', { as: null }), 401);
    const done = await settled(app, alice, mine.id);
    await expectError(call('DELETE', `/jobs/${done.id}`, { as: alice }), 409);
  });

  it('refuses malformed job requests with 400', async () => {
    const bodies = [
      {},
      { kind: 'transcode', payload: { fileId } },
      { kind: 'probe', payload: { fileId: 'not-a-uuid' } },
      { kind: 'probe', payload: { fileId, extra: true } },
      { kind: 'trailer', payload: { fileId, durationSeconds: 100_000 } },
      { kind: 'poster', payload: { fileId, atSeconds: -1 } },
    ];
    for (const body of bodies) await expectError(call('POST', '/jobs', { as: alice, body }), 400, 'validation_failed');
    await expectError(call('GET', '/jobs?state=exploded', { as: alice }), 400);
    await expectError(call('GET', '/jobs/not-a-uuid', { as: alice }), 400);
  });

  it('fails a corrupt video with corrupt_video at its first attempt, and the worker goes on', async () => {
    const whole = fixture('h264-aac.mp4');
    const broken = await upload(app, alice, whole.subarray(0, 20_000), 'cut.mp4');
    const failed = await settled(app, alice, (await expectJson(call('POST', '/jobs', { as: alice, body: { kind: 'probe', payload: { fileId: broken.id } } }), 202, JobView)).id);
    expect(failed).toMatchObject({ state: 'failed', attempts: 1 });
    expect(failed.lastError).toMatch(/^corrupt_video: Box 'mdat'.*past the end/);
    // The automatic validation calls it invalid, with the same reason.
    const report = await finishedJobWhere(app, alice, 'kind=validate', (candidate) => (candidate.result as { fileId?: string } | null)?.fileId === broken.id);
    expect(report.result).toMatchObject({ valid: false, probe: null, violations: [{ code: 'corrupt_video' }] });

    const webm = await upload(app, alice, fixture('vp9-opus.webm'), 'next.webm');
    const next = await settled(app, alice, (await expectJson(call('POST', '/jobs', { as: alice, body: { kind: 'probe', payload: { fileId: webm.id } } }), 202, JobView)).id);
    expect(next.result).toMatchObject({ container: 'webm', video: { codec: 'vp9' }, audio: { codec: 'opus' } });
  });

  it('throttles job creation per user', async () => {
    const dave = newUser();
    const file = await upload(app, dave, fixture('hevc-noaudio.mp4'), 'many.mp4');
    // A refused request does not count.
    await expectError(call('POST', '/jobs', { as: dave, body: { kind: 'probe', payload: { fileId: '00000000-0000-4000-8000-000000000000' } } }), 404, 'file_not_found');
    for (let i = 0; i < JOBS_PER_MINUTE; i++) await expectJson(call('POST', '/jobs', { as: dave, body: { kind: 'probe', payload: { fileId: file.id } } }), 202, JobView);
    const refused = await call('POST', '/jobs', { as: dave, body: { kind: 'probe', payload: { fileId: file.id } } });
    await expectError(refused, 429, 'too_many_requests');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Others are not held up.
    await expectJson(call('POST', '/jobs', { as: alice, body: { kind: 'probe', payload: { fileId } } }), 202, JobView);
  });

  it("cancels a deleted user's unfinished jobs", async () => {
    const carol = newUser();
    const db = await app.sql(VIDEO_DB);
    try {
      // A job due in an hour: still queued when the event arrives.
      const inserted = await db.query(
        `INSERT INTO jobs (queue, kind, payload, max_attempts, lease_seconds, backoff_seconds, run_after, correlation_id, owner_id)
         VALUES ('video-jobs', 'probe', $1::jsonb, 3, 120, 5, now() + interval '1 hour', 'test', $2::uuid) RETURNING id::text AS id`,
        [JSON.stringify({ fileId }), carol.id],
      );
      const id = String(inserted.rows[0]!.id);
      await app.publish('user-events', JSON.stringify(createEvent({ type: 'user.deleted', source: 'user', subject: carol.id, data: { id: carol.id }, correlationId: 'deleted-user' })));
      expect(await expectJson(call('GET', `/jobs/${id}`, { as: carol }), 200, JobView)).toMatchObject({ state: 'cancelled' });
      // Alice's jobs are not touched.
      const alices = (await call('GET', '/jobs?state=cancelled', { as: alice })).body as { items: unknown[] };
      expect(alices.items).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('fails poster and trailer with transcoder_not_configured when no transcoder is set', async () => {
    const poster = await expectJson(call('POST', '/jobs', { as: alice, body: { kind: 'poster', payload: { fileId, atSeconds: 1 } } }), 202, JobView);
    const trailer = await expectJson(call('POST', '/jobs', { as: alice, body: { kind: 'trailer', payload: { fileId, durationSeconds: 5 } } }), 202, JobView);
    for (const id of [poster.id, trailer.id]) {
      const job = await settled(app, alice, id);
      expect(job).toMatchObject({ state: 'failed', attempts: 1 });
      expect(job.lastError).toMatch(/^transcoder_not_configured: /);
    }
    const failedPosters = (await call('GET', '/jobs?kind=poster&state=failed', { as: alice })).body as { items: JobView[] };
    expect(failedPosters.items.map((job) => job.id)).toEqual([poster.id]);
  });
});
