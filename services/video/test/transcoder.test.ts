// Posters and trailers end to end: the compiled video worker and storage on the local runtime, and
// SVT Encore's REST contract with a real transcode behind it (Debian's ffmpeg running the service's
// Encore profiles, test/encore-server.ts) plus the file server over its output folder. What a
// user gets: the job completes only when its outputs are files of theirs in storage.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoredFile, StoredFileList } from '@authorworks/domain';
import { createEvent, JobView } from '@authorworks/kit';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasFfmpeg, startEncoreServer, type EncoreServer } from './encore-server.ts';
import { expectError, expectJson, fixture, newUser, startVideoApp, upload, video, VIDEO_DB, type User } from './video-app.ts';

if (!hasFfmpeg) console.warn('ffmpeg/ffprobe not found: the transcoder tests are skipped (apt-get install -y ffmpeg)');

let app: TestApp;
let encore: EncoreServer;
let outputDir: string;
let call: ReturnType<typeof video>;
let alice: User;
let bob: User;
let clipId: string;
let front: Forwarder;

/**
 * What stands in front of the platform for Encore (Traefik, or `http://spin:3000` on the compose
 * network): a forwarder whose address is known before the app starts, so the app can be told its
 * callback URL; it forwards to the app once that is up.
 */
interface Forwarder {
  url: string;
  target: string | null;
  close(): Promise<void>;
}

async function startForwarder(): Promise<Forwarder> {
  const forwarder: Forwarder = { url: '', target: null, close: async () => {} };
  const server: Server = createServer((incoming, outgoing) => {
    if (!forwarder.target) return void outgoing.writeHead(503).end();
    const target = new URL(incoming.url ?? '/', forwarder.target);
    const upstream = httpRequest(target, { method: incoming.method, headers: { ...incoming.headers, host: target.host } }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    upstream.on('error', () => outgoing.writeHead(502).end());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  forwarder.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  forwarder.close = () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return forwarder;
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);
const sweep = () => JSON.stringify(createEvent({ type: 'job.sweep', source: 'ticker', subject: 'video-jobs', data: {}, correlationId: 'ticker' }));

/**
 * Plays the deployment's ticker (a `job.sweep` on video-jobs, here every 300 ms instead of 30 s)
 * until the job satisfies `until` (default: finished). Nothing else makes a waiting job run again.
 */
async function tickUntil(as: User, id: string, until: (job: JobView) => boolean = (job) => FINISHED.has(job.state), deadlineMs = 60_000): Promise<JobView> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const job = await expectJson(call('GET', `/jobs/${id}`, { as }), 200, JobView);
    if (until(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state} (${JSON.stringify(job.progress)}) after ${deadlineMs} ms\n${app.logs.text('guest').slice(-3000)}`);
    await app.publish('video-jobs', sweep());
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

async function createJob(as: User, body: unknown): Promise<JobView> {
  return expectJson(call('POST', '/jobs', { as, body }), 202, JobView);
}

async function filesOf(as: User): Promise<StoredFile[]> {
  return (await expectJson(app.fetch('/v1/storage/files?limit=100', { headers: as.headers }), 200, StoredFileList)).items;
}

async function content(as: User, fileId: string): Promise<Uint8Array> {
  const response = await app.fetch(`/v1/storage/files/${fileId}/content`, { headers: as.headers });
  expect(response.status).toBe(200);
  return new Uint8Array(await response.arrayBuffer());
}

async function jobRow(id: string): Promise<{ attempts: number; pending_checks: number }> {
  const db = await app.sql(VIDEO_DB);
  try {
    const { rows } = await db.query('SELECT attempts, pending_checks FROM jobs WHERE id = $1::uuid', [id]);
    return rows[0] as { attempts: number; pending_checks: number };
  } finally {
    await db.close();
  }
}

/** What ffprobe says of `bytes`: container, first video stream's size, duration. */
function ffprobe(bytes: Uint8Array): { format: string; width: number; height: number; codec: string; duration: number } {
  const dir = mkdtempSync(join(tmpdir(), 'probe-'));
  try {
    const file = join(dir, 'f');
    spawnSync('sh', ['-c', `cat > ${file}`], { input: bytes });
    const out = spawnSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], { encoding: 'utf8' });
    const info = JSON.parse(out.stdout) as { format: { format_name: string; duration?: string }; streams: { codec_type: string; codec_name: string; width: number; height: number }[] };
    const stream = info.streams.find((candidate) => candidate.codec_type === 'video')!;
    return { format: info.format.format_name, width: stream.width, height: stream.height, codec: stream.codec_name, duration: Number(info.format.duration ?? 0) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!hasFfmpeg)('posters and trailers through SVT Encore', () => {
  beforeAll(async () => {
    outputDir = mkdtempSync(join(tmpdir(), 'encore-output-'));
    encore = await startEncoreServer({ outputDir });
    front = await startForwarder();
    app = await startVideoApp({
      video_transcoder_url: encore.url,
      video_transcoder_allowed_host: encore.url,
      video_transcoder_output_url: encore.outputUrl,
      video_transcoder_output_allowed_host: encore.outputUrl,
      video_transcoder_check_seconds: '1',
      video_transcoder_timeout_seconds: '600',
      video_transcoder_callback_url: `${front.url}/v1/video`,
    });
    front.target = app.url;
    call = video(app);
    alice = newUser();
    bob = newUser();
    clipId = (await upload(app, alice, fixture('h264-aac.mp4'), 'clip.mp4')).id;
  });

  afterAll(async () => {
    await app?.close();
    await encore?.close();
    await front?.close();
    if (outputDir) rmSync(outputDir, { recursive: true, force: true });
  });

  it("makes a poster: a JPEG in storage owned by the user, readable by them and not by anyone else; waiting used no attempt", async () => {
    const before = (await filesOf(alice)).length;
    const created = await createJob(alice, { kind: 'poster', payload: { fileId: clipId, atSeconds: 1 } });
    const done = await tickUntil(alice, created.id);
    expect(done, done.lastError ?? '').toMatchObject({ state: 'succeeded', attempts: 1, lastError: null });

    const result = done.result as { posterFileId: string; outputFileIds: string[]; transcoderJobId: string; files: { fileId: string; contentType: string; filename: string }[] };
    expect(result.outputFileIds).toEqual([result.posterFileId]);
    expect(result.files).toEqual([expect.objectContaining({ fileId: result.posterFileId, filename: 'clip_poster01.jpg', contentType: 'image/jpeg', kind: 'image' })]);

    // Encore got the job once, named by our job id, with the time asked for.
    const posts = encore.requests.filter((request) => request.method === 'POST' && request.path === '/encoreJobs');
    expect(posts.map((request) => request.body)).toEqual([expect.objectContaining({ externalId: created.id, profile: 'poster', thumbnailTime: 1, baseName: 'clip', outputFolder: `/shared/authorworks-video/${created.id}` })]);
    expect(encore.jobs.get(result.transcoderJobId)?.status).toBe('SUCCESSFUL');

    // The poster is Alice's file, byte for byte what the transcoder wrote: a 1440×1080 JPEG (the profile's 1080 px high).
    const record = await expectJson(app.fetch(`/v1/storage/files/${result.posterFileId}`, { headers: alice.headers }), 200, StoredFile);
    expect(record).toMatchObject({ ownerId: alice.id, filename: 'clip_poster01.jpg', contentType: 'image/jpeg', status: 'available', permissions: { owner: true } });
    const bytes = await content(alice, result.posterFileId);
    expect(bytes).toEqual(new Uint8Array(readFileSync(join(outputDir, created.id, 'clip_poster01.jpg'))));
    expect(ffprobe(bytes)).toMatchObject({ codec: 'mjpeg', width: 1440, height: 1080 });
    expect((await filesOf(alice)).length).toBe(before + 1);

    // Bob sees neither the job nor the poster.
    await expectError(call('GET', `/jobs/${created.id}`, { as: bob }), 404);
    await expectError(app.fetch(`/v1/storage/files/${result.posterFileId}`, { headers: bob.headers }), 404);
    await expectError(app.fetch(`/v1/storage/files/${result.posterFileId}/content`, { headers: bob.headers }), 404);

    // The job waited at least once for Encore without an attempt: 1 attempt, ≥ 1 pending check.
    const row = await jobRow(created.id);
    expect(row.attempts).toBe(1);
    expect(row.pending_checks).toBeGreaterThanOrEqual(1);
  });

  it('keeps waiting while Encore is busy, using no attempts, and completes once it has worked', async () => {
    encore.hold = true;
    try {
      const created = await createJob(alice, { kind: 'poster', payload: { fileId: clipId } });
      const waiting = await tickUntil(alice, created.id, (job) => (job.progress as { status?: string } | null)?.status === 'QUEUED');
      expect(waiting).toMatchObject({ state: 'queued', attempts: 0, progress: { stage: 'transcoding', transcoder: 'encore', status: 'QUEUED' } });
      // Several more checks: still no attempt used (the job allows 3).
      for (let tick = 0; tick < 4; tick++) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        await app.publish('video-jobs', sweep());
      }
      const row = await jobRow(created.id);
      expect(row.pending_checks).toBeGreaterThanOrEqual(3);
      expect(row.attempts).toBe(0);
      encore.release();
      encore.hold = false;
      const done = await tickUntil(alice, created.id);
      expect(done).toMatchObject({ state: 'succeeded', attempts: 1 });
      expect((await jobRow(created.id)).attempts).toBe(1);
      // At a third of the 2 s clip (no time asked): the profile's percentage.
      expect(encore.jobs.get((done.result as { transcoderJobId: string }).transcoderJobId)?.thumbnailTime).toBeNull();
    } finally {
      encore.hold = false;
      encore.release();
    }
  });

  it('makes a trailer: an H.264 MP4 of the asked window and its poster frame, both the user\'s files', async () => {
    const created = await createJob(alice, { kind: 'trailer', payload: { fileId: clipId, startSeconds: 0.5, durationSeconds: 1 } });
    const done = await tickUntil(alice, created.id);
    expect(done, done.lastError ?? '').toMatchObject({ state: 'succeeded', attempts: 1 });
    const result = done.result as { trailerFileId: string; posterFileId: string; outputFileIds: string[] };
    expect(result.outputFileIds).toHaveLength(2);
    expect(result.outputFileIds).toEqual(expect.arrayContaining([result.trailerFileId, result.posterFileId]));
    const trailer = await expectJson(app.fetch(`/v1/storage/files/${result.trailerFileId}`, { headers: alice.headers }), 200, StoredFile);
    expect(trailer).toMatchObject({ ownerId: alice.id, filename: 'clip_720p.mp4', contentType: 'video/mp4' });
    const probed = ffprobe(await content(alice, result.trailerFileId));
    // 720 px high from the 160×120 clip; a 1 s window (within 0.1 s: AAC and frame boundaries).
    expect(probed).toMatchObject({ codec: 'h264', width: 960, height: 720 });
    expect(Math.abs(probed.duration - 1)).toBeLessThan(0.1);
    const frame = await expectJson(app.fetch(`/v1/storage/files/${result.posterFileId}`, { headers: alice.headers }), 200, StoredFile);
    expect(frame).toMatchObject({ ownerId: alice.id, filename: 'clip_poster01.jpg', contentType: 'image/jpeg' });
  });

  it('fails with transcoder_failed and Encore\'s reason when Encore fails the transcode; nothing is stored', async () => {
    const notes = await upload(app, alice, new TextEncoder().encode('chapter notes, not a video'), 'notes.txt');
    const before = (await filesOf(alice)).length;
    const created = await createJob(alice, { kind: 'poster', payload: { fileId: notes.id } });
    const failed = await tickUntil(alice, created.id);
    expect(failed).toMatchObject({ state: 'failed', attempts: 1 });
    expect(failed.lastError).toMatch(/^transcoder_failed: Encore job [0-9a-f-]{36} failed: Error probing input: /);
    expect((await filesOf(alice)).length).toBe(before);
  });

  it('leaves nothing in storage when an output is not on the file server', async () => {
    const before = (await filesOf(alice)).map((file) => file.id);
    // The trailer's video is stored first, then its poster frame is missing: the video goes again.
    encore.hiddenOutputs.add('clip_poster01.jpg');
    try {
      const created = await createJob(alice, { kind: 'trailer', payload: { fileId: clipId, durationSeconds: 1 } });
      const failed = await tickUntil(alice, created.id);
      expect(failed).toMatchObject({ state: 'failed', attempts: 1 });
      expect(failed.lastError).toMatch(/^transcoder_output_missing: Output clip_poster01\.jpg is listed by the transcoder but not on its file server \(404\)/);
      // The video had been stored (its id is in the job's progress) and was removed again.
      const uploaded = (failed.progress as { uploaded?: string[] }).uploaded ?? [];
      expect(uploaded).toHaveLength(1);
      await expectError(app.fetch(`/v1/storage/files/${uploaded[0]}`, { headers: alice.headers }), 404);
      expect((await filesOf(alice)).map((file) => file.id)).toEqual(before);
    } finally {
      encore.hiddenOutputs.clear();
    }
  });

  it('fails with transcoder_timeout when Encore has not finished by the deadline', async () => {
    encore.hold = true;
    try {
      const created = await createJob(alice, { kind: 'poster', payload: { fileId: clipId } });
      await tickUntil(alice, created.id, (job) => (job.progress as { status?: string } | null)?.status === 'QUEUED');
      // Ten minutes are not waited out: the wait is made to have begun two hours ago.
      const db = await app.sql(VIDEO_DB);
      try {
        await db.query(`UPDATE jobs SET pending_since = now() - interval '2 hours' WHERE id = $1::uuid`, [created.id]);
      } finally {
        await db.close();
      }
      const failed = await tickUntil(alice, created.id);
      expect(failed).toMatchObject({ state: 'failed' });
      expect(failed.lastError).toMatch(/^transcoder_timeout: The transcoder did not finish the poster within 600 s \(video_transcoder_timeout_seconds\); Encore job [0-9a-f-]{36} last said QUEUED/);
    } finally {
      encore.hold = false;
      encore.release();
    }
  });

  it("stores a finished poster at once when Encore calls back, without waiting for the next check", async () => {
    const created = await createJob(alice, { kind: 'poster', payload: { fileId: clipId, atSeconds: 0.5 } });
    // No ticks and no polling meanwhile: nothing but Encore's callback nudges the worker.
    const deadline = Date.now() + 30_000;
    const done = () => encore.callbacks.find((callback) => callback.body.externalId === created.id && callback.body.status === 'SUCCESSFUL');
    while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const callback = done();
    expect(callback, JSON.stringify(encore.callbacks.filter((sent) => sent.body.externalId === created.id))).toBeDefined();
    expect(callback!.uri).toMatch(new RegExp(`^${front.url}/v1/video/transcoder-callbacks/${created.id}\\?token=[0-9a-f]{64}$`));
    expect([callback!.status, JSON.parse(callback!.answer)]).toEqual([200, { woken: true }]);
    await app.waitForIdle();
    const job = await expectJson(call('GET', `/jobs/${created.id}`, { as: alice }), 200, JobView);
    expect(job).toMatchObject({ state: 'succeeded', attempts: 1 });
    // The progress callbacks along the way woke nothing.
    const along = encore.callbacks.filter((sent) => sent.body.externalId === created.id && sent.body.status !== 'SUCCESSFUL');
    expect(along.length).toBeGreaterThan(0);
    expect(along.map((sent) => JSON.parse(sent.answer))).toEqual(along.map(() => ({ woken: false })));

    // Anyone else's call is refused: a wrong token, another job's token, a body that is not Encore's.
    const [, token] = callback!.uri.split('token=');
    const other = await createJob(alice, { kind: 'probe', payload: { fileId: clipId } });
    const body = { jobId: callback!.body.jobId, externalId: other.id, progress: 100, status: 'SUCCESSFUL' };
    await expectError(call('POST', `/transcoder-callbacks/${other.id}?token=${'0'.repeat(64)}`, { body }), 404, 'not_found');
    await expectError(call('POST', `/transcoder-callbacks/${other.id}?token=${token}`, { body }), 404, 'not_found');
    await expectError(call('POST', `/transcoder-callbacks/${created.id}?token=${token}`, { body: { status: 'DONE' } }), 400, 'validation_failed');
    await expectError(call('POST', `/transcoder-callbacks/${created.id}`, { body: callback!.body }), 400, 'validation_failed');
    // A finished job is not woken again.
    expect((await call('POST', `/transcoder-callbacks/${created.id}?token=${token}`, { body: callback!.body })).body).toEqual({ woken: false });
  });

  it('retries when the file server cannot be reached, then fails with transcoder_output_unavailable and nothing stored', async () => {
    // Another user (Alice has used her jobs of the minute), with a clip of his own.
    const dave = newUser();
    const clip = await upload(app, dave, fixture('h264-aac.mp4'), 'holiday.mp4');
    encore.filesDown = true;
    try {
      const created = await createJob(dave, { kind: 'poster', payload: { fileId: clip.id } });
      // 3 attempts, 5 s then 10 s apart (VIDEO_JOB_DEFAULTS).
      const failed = await tickUntil(dave, created.id, undefined, 60_000);
      expect(failed).toMatchObject({ state: 'failed', attempts: 3 });
      expect(failed.lastError).toMatch(/^transcoder_output_unavailable: The transcoder's file server could not be reached for holiday_poster01\.jpg/);
      expect((await filesOf(dave)).map((file) => file.id)).toEqual([clip.id]);
      // Encore transcoded once: the retries only fetched again.
      expect(encore.requests.filter((request) => request.method === 'POST' && (request.body as { externalId?: string }).externalId === created.id)).toHaveLength(1);
    } finally {
      encore.filesDown = false;
    }
  });
});
