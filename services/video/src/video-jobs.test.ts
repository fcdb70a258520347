// The job runs over a stand-in for storage's content route (Range → 206 + Content-Range, the
// answers services/storage/src/download.ts gives). The real storage service is exercised by the
// component tests (test/video.test.ts); poster and trailer jobs by src/transcode.test.ts and
// test/transcoder.test.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openStorageFile, type Fetcher } from './storage-reader.ts';
import { CreateVideoJob, runPoster, runProbe, runTrailer, runValidate, type VideoJobEnv } from './video-jobs.ts';
import { VideoError } from './video-error.ts';

const FILE_ID = '6f1c2b7e-3f43-4c1e-9d2a-0b7f6c1d2e3f';
const SECRET = 'video-unit-tests-secret-0123456789abcdef';
const mp4 = new Uint8Array(readFileSync(new URL('../test/fixtures/h264-aac.mp4', import.meta.url)));

/** Storage's content route over `bytes`: ranges, 416 past the end, 302 with ?redirect=1, 404 for other ids. */
function storage(bytes: Uint8Array, log: string[] = []): Fetcher {
  return async (url, init) => {
    const headers = new Headers(init?.headers);
    log.push(`${url} ${headers.get('range') ?? ''}`);
    if (!url.includes(`/v1/storage/files/${FILE_ID}/content`) && !url.includes(`/v1/storage/files/${FILE_ID}/versions/1/content`)) return Response.json({ error: { code: 'not_found', message: 'No such file' } }, { status: 404 });
    if (url.endsWith('?redirect=1')) return new Response(null, { status: 302, headers: { location: 'http://minio:9000/authorworks/objects/x?X-Amz-Signature=abc' } });
    const match = /^bytes=(\d+)-(\d+)$/.exec(headers.get('range') ?? '');
    if (!match) return new Response(bytes.slice(), { status: 200 });
    const start = Number(match[1]);
    if (start >= bytes.length) return Response.json({ error: { code: 'range_not_satisfiable', message: '' } }, { status: 416, headers: { 'content-range': `bytes */${bytes.length}` } });
    const end = Math.min(Number(match[2]), bytes.length - 1);
    return new Response(bytes.slice(start, end + 1), { status: 206, headers: { 'content-range': `bytes ${start}-${end}/${bytes.length}` } });
  };
}

const env = (fetchAsOwner: Fetcher, variables: Record<string, string> = {}, fetchOutside: Fetcher = async () => new Response(null, { status: 599 })): VideoJobEnv => ({
  fetchAsOwner,
  fetchOutside,
  config: { optional: (name, fallback) => variables[name] ?? fallback, authSecret: SECRET },
  jobId: '0d3b0b4e-1111-4a4a-8b8b-222233334444',
  progress: null,
  heartbeat: async () => true,
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(VideoError);
  return (error as VideoError).code;
}

describe('storage reader', () => {
  it('reads a small file with one ranged request', async () => {
    const log: string[] = [];
    const reader = await openStorageFile(storage(mp4, log), 'http://storage-api.spin.internal', FILE_ID);
    expect(reader.size).toBe(mp4.length);
    expect(Array.from(await reader.read(4, 8))).toEqual([...'ftyp'].map((c) => c.charCodeAt(0)));
    expect(log).toEqual([`http://storage-api.spin.internal/v1/storage/files/${FILE_ID}/content bytes=0-65535`]);
  });

  it('maps storage answers to job errors', async () => {
    expect(await codeOf(openStorageFile(storage(mp4), 'http://s', '00000000-0000-4000-8000-000000000000'))).toBe('file_not_found');
    const empty = await openStorageFile(storage(new Uint8Array(0)), 'http://s', FILE_ID);
    expect(empty.size).toBe(0);
    const ignoring: Fetcher = async () => new Response(mp4.slice(), { status: 200 });
    expect(await codeOf(openStorageFile(ignoring, 'http://s', FILE_ID))).toBe('storage_error');
    const busy: Fetcher = async () => Response.json({ error: { code: 'storage_unavailable', message: '' } }, { status: 503 });
    const error = await openStorageFile(busy, 'http://s', FILE_ID).catch((caught: VideoError) => caught);
    expect(error).toMatchObject({ code: 'storage_error', permanent: false });
  });
});

describe('video jobs', () => {
  it('probe and validate read the file through storage', async () => {
    const probe = await runProbe({ fileId: FILE_ID }, env(storage(mp4)));
    expect(probe).toMatchObject({ fileId: FILE_ID, container: 'mp4', video: { codec: 'h264', codedWidth: 160 }, audio: { codec: 'aac' } });
    const report = await runValidate({ fileId: FILE_ID }, env(storage(mp4), { max_duration_seconds: '1' }));
    expect(report).toMatchObject({ fileId: FILE_ID, valid: false, violations: [{ code: 'duration_too_long' }] });
    // An upload's own version is read, not whatever is current by then.
    const log: string[] = [];
    expect(await runValidate({ fileId: FILE_ID, version: 1 }, env(storage(mp4, log)))).toMatchObject({ fileId: FILE_ID, version: 1, valid: true });
    expect(log[0]).toContain(`/v1/storage/files/${FILE_ID}/versions/1/content bytes=0-65535`);
    expect(await codeOf(runValidate({ fileId: FILE_ID, version: 2 }, env(storage(mp4))))).toBe('file_not_found');
  });

  it('a corrupt or empty file fails probe with its code and is invalid for validate', async () => {
    expect(await codeOf(runProbe({ fileId: FILE_ID }, env(storage(mp4.subarray(0, 3000)))))).toBe('corrupt_video');
    expect(await codeOf(runProbe({ fileId: FILE_ID }, env(storage(new Uint8Array(0)))))).toBe('corrupt_video');
    const report = await runValidate({ fileId: FILE_ID }, env(storage(new TextEncoder().encode('not a video at all, just text'))));
    expect(report).toMatchObject({ valid: false, probe: null, violations: [{ code: 'unsupported_format' }] });
  });

  it('poster and trailer without a transcoder fail with transcoder_not_configured', async () => {
    expect(await codeOf(runPoster({ fileId: FILE_ID }, env(storage(mp4))))).toBe('transcoder_not_configured');
    expect(await codeOf(runTrailer({ fileId: FILE_ID, startSeconds: 0, durationSeconds: 10 }, env(storage(mp4))))).toBe('transcoder_not_configured');
  });

  it('validates job requests per kind', () => {
    expect(CreateVideoJob.safeParse({ kind: 'probe', payload: { fileId: FILE_ID } }).success).toBe(true);
    expect(CreateVideoJob.safeParse({ kind: 'trailer', payload: { fileId: FILE_ID, durationSeconds: 30 } }).success).toBe(true);
    expect(CreateVideoJob.safeParse({ kind: 'trailer', payload: { fileId: FILE_ID, durationSeconds: 3000 } }).success).toBe(false);
    expect(CreateVideoJob.safeParse({ kind: 'probe', payload: { fileId: 'nope' } }).success).toBe(false);
    expect(CreateVideoJob.safeParse({ kind: 'transcode', payload: { fileId: FILE_ID } }).success).toBe(false);
    expect(CreateVideoJob.safeParse({ kind: 'probe', payload: { fileId: FILE_ID, extra: 1 } }).success).toBe(false);
  });
});
