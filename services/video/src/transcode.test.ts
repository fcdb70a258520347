// The poster/trailer job's steps over stand-ins for storage (its record, presigned and upload
// routes as services/storage answers them) and for Encore and its output file server (the answers
// of Encore's EncoreController). The real thing — ffmpeg behind Encore's API, the compiled worker,
// the storage service — is test/transcoder.test.ts.
import { createHmac, randomUUID } from 'node:crypto';
import { JobPending } from '@authorworks/kit';
import { StoredFile } from '@authorworks/domain';
import { describe, expect, it } from 'vitest';
import type { Fetcher } from './storage-reader.ts';
import { baseNameOf, TranscodeProgress, type TranscodeResult } from './transcode.ts';
import { VideoError } from './video-error.ts';
import { runPoster, runTrailer, type VideoJobEnv } from './video-jobs.ts';

const FILE_ID = '6f1c2b7e-3f43-4c1e-9d2a-0b7f6c1d2e3f';
const SECRET = 'video-unit-tests-secret-0123456789abcdef';
const OWNER = '0a0a0a0a-1111-4222-8333-444455556666';
const JOB_ID = '0d3b0b4e-1111-4a4a-8b8b-222233334444';
const S = 'http://storage-api.spin.internal';
const E = 'http://encore:8080';
const O = 'http://encore-output:8080';
const FOLDER = `/shared/authorworks-video/${JOB_ID}`;
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, ...new Array(200).fill(7), 0xff, 0xd9]);
const MP4 = new Uint8Array([0, 0, 0, 0x18, ...new TextEncoder().encode('ftypisom'), 0, 0, 2, 0, ...new TextEncoder().encode('isomiso2'), ...new Array(300).fill(1)]);

/** Storage as the owner sees it: the input's record and presigned link, new files, deletes. */
class StorageStandIn {
  readonly files = new Map<string, { filename: string; bytes: Uint8Array }>();
  quotaBytes = Number.POSITIVE_INFINITY;

  record(id: string, filename: string, bytes: number, contentType: string): StoredFile {
    const at = new Date().toISOString();
    return StoredFile.parse({
      id, ownerId: OWNER, filename, access: 'private', status: 'available', version: 1, size: bytes, contentType, declaredType: null, sha256: null, checksum: null,
      permissions: { read: true, write: true, owner: true }, createdAt: at, updatedAt: at,
    });
  }

  readonly fetch: Fetcher = async (url, init = {}) => {
    const method = init.method ?? 'GET';
    if (method === 'GET' && url === `${S}/v1/storage/files/${FILE_ID}`) return Response.json(this.record(FILE_ID, 'My Clip (final).mp4', 34_846, 'video/mp4'));
    if (method === 'GET' && url === `${S}/v1/storage/files/${FILE_ID}/content?redirect=1`) return new Response(null, { status: 302, headers: { location: 'http://minio:9000/authorworks/x?X-Amz-Signature=abc' } });
    if (method === 'POST' && url.startsWith(`${S}/v1/storage/files?filename=`)) {
      const declared = Number(new Headers(init.headers).get('content-length'));
      const bytes = new Uint8Array(await new Response(init.body as ReadableStream).arrayBuffer());
      if (bytes.length !== declared) return Response.json({ error: { code: 'validation_failed', message: 'short body' } }, { status: 400 });
      const used = [...this.files.values()].reduce((sum, file) => sum + file.bytes.length, 0);
      if (used + bytes.length > this.quotaBytes) return Response.json({ error: { code: 'quota_exceeded', message: 'Your storage is full' } }, { status: 413 });
      const id = randomUUID();
      const filename = decodeURIComponent(url.slice(url.indexOf('=') + 1));
      this.files.set(id, { filename, bytes });
      const type = bytes[0] === 0xff && bytes[1] === 0xd8 ? 'image/jpeg' : new TextDecoder().decode(bytes.subarray(4, 8)) === 'ftyp' ? 'video/mp4' : 'text/plain';
      return Response.json(this.record(id, filename, bytes.length, type), { status: 201 });
    }
    const one = /\/v1\/storage\/files\/([0-9a-f-]{36})$/.exec(url);
    if (method === 'DELETE' && one) return new Response(null, { status: this.files.delete(one[1]!) ? 204 : 404 });
    return Response.json({ error: { code: 'not_found', message: url } }, { status: 404 });
  };
}

interface EncoreJobStandIn {
  id: string;
  externalId: string;
  status: string;
  progress: number;
  message?: string;
  output: { type: string; file: string; fileSize?: number; width?: number; height?: number; duration?: number }[];
}

/** Encore's job routes and the file server over its output folder. */
class EncoreStandIn {
  readonly jobs = new Map<string, EncoreJobStandIn>();
  readonly submitted: Record<string, unknown>[] = [];
  readonly served: string[] = [];
  readonly outputs = new Map<string, Uint8Array>();
  down = false;
  filesDown = false;

  fetch: Fetcher = async (url, init = {}) => {
    if (url.startsWith(O)) {
      if (this.filesDown) throw new TypeError('connect ECONNREFUSED encore-output:8080');
      this.served.push(url);
      const bytes = this.outputs.get(url.slice(`${O}/${JOB_ID}/`.length));
      return bytes ? new Response(bytes.slice(), { headers: { 'content-length': String(bytes.length) } }) : new Response('<html>404</html>', { status: 404 });
    }
    if (this.down) throw new TypeError('connect ECONNREFUSED encore:8080');
    if (url.startsWith(`${E}/encoreJobs/search/findByExternalId?externalId=`)) {
      const externalId = decodeURIComponent(url.split('=')[1]!);
      const found = [...this.jobs.values()].filter((job) => job.externalId === externalId);
      return Response.json({ ...(found.length ? { _embedded: { encoreJobs: found } } : {}), page: { totalElements: found.length } });
    }
    if (init.method === 'POST' && url === `${E}/encoreJobs`) {
      const body = JSON.parse(String(init.body)) as Record<string, unknown>;
      this.submitted.push(body);
      const job: EncoreJobStandIn = { id: randomUUID(), externalId: String(body.externalId), status: 'QUEUED', progress: 0, output: [] };
      this.jobs.set(job.id, job);
      return Response.json(job, { status: 201 });
    }
    const job = this.jobs.get(url.slice(`${E}/encoreJobs/`.length));
    return job ? Response.json(job) : Response.json({ status: 404, error: 'Not Found' }, { status: 404 });
  };

  /** The one job, done with these outputs (served by the file server unless `serve` is false). */
  succeed(outputs: { name: string; type: string; bytes: Uint8Array; serve?: boolean; fileSize?: number }[]): EncoreJobStandIn {
    const [job] = [...this.jobs.values()];
    job!.status = 'SUCCESSFUL';
    job!.progress = 100;
    job!.output = outputs.map((output) => ({ type: output.type, file: `${FOLDER}/${output.name}`, fileSize: output.fileSize ?? output.bytes.length, width: 1440, height: 1080 }));
    for (const output of outputs) if (output.serve !== false) this.outputs.set(output.name, output.bytes);
    return job!;
  }
}

const VARIABLES = { transcoder_url: E, transcoder_output_url: O, transcoder_check_seconds: '7', transcoder_timeout_seconds: '600' };

function setUp(variables: Record<string, string> = VARIABLES) {
  const storage = new StorageStandIn();
  const encore = new EncoreStandIn();
  const beats: unknown[] = [];
  let progress: unknown = null;
  let alive = true;
  const env = (): VideoJobEnv => ({
    fetchAsOwner: storage.fetch,
    fetchOutside: encore.fetch,
    config: { optional: (name, fallback) => variables[name] ?? fallback, authSecret: SECRET },
    jobId: JOB_ID,
    progress,
    heartbeat: async (next) => {
      beats.push(next);
      progress = next;
      return alive;
    },
  });
  /** One run of the job as the kit does it: a JobPending's progress is what the next run gets. */
  const run = async (kind: 'poster' | 'trailer' = 'poster'): Promise<TranscodeResult | JobPending | VideoError> => {
    try {
      return kind === 'poster' ? await runPoster({ fileId: FILE_ID, atSeconds: 1.5 }, env()) : await runTrailer({ fileId: FILE_ID, startSeconds: 0.5, durationSeconds: 1 }, env());
    } catch (error) {
      if (error instanceof JobPending) {
        if (error.progress !== undefined) progress = error.progress;
        return error;
      }
      if (error instanceof VideoError) return error;
      throw error;
    }
  };
  return {
    storage,
    encore,
    beats,
    run,
    setProgress: (value: unknown) => (progress = value),
    cancel: () => (alive = false),
  };
}

const pendingOf = (outcome: unknown) => {
  expect(outcome).toBeInstanceOf(JobPending);
  return outcome as JobPending;
};
const errorOf = (outcome: unknown) => {
  expect(outcome).toBeInstanceOf(VideoError);
  return outcome as VideoError;
};

describe('poster and trailer jobs', () => {
  it('hand the file to Encore once, then wait without using an attempt', async () => {
    const { encore, run } = setUp({ ...VARIABLES, transcoder_callback_url: 'http://spin:3000/v1/video' });
    const first = pendingOf(await run());
    expect(encore.submitted).toEqual([
      {
        externalId: JOB_ID,
        profile: 'poster',
        outputFolder: FOLDER,
        baseName: 'My_Clip_final',
        inputs: [{ uri: 'http://minio:9000/authorworks/x?X-Amz-Signature=abc', type: 'AudioVideo' }],
        thumbnailTime: 1.5,
        // The token is the HMAC of the job id under the platform's secret (transcoder-callbacks.ts checks it).
        progressCallbackUri: `http://spin:3000/v1/video/transcoder-callbacks/${JOB_ID}?token=${createHmac('sha256', SECRET).update(`video-transcoder-callback:${JOB_ID}`).digest('hex')}`,
      },
    ]);
    const [job] = [...encore.jobs.values()];
    expect(TranscodeProgress.parse(first.progress)).toEqual({
      stage: 'transcoding',
      transcoder: 'encore',
      transcoderJobId: job!.id,
      statusUrl: `${E}/encoreJobs/${job!.id}`,
      profile: 'poster',
      outputFolder: FOLDER,
      baseName: 'My_Clip_final',
      status: 'QUEUED',
      percent: 0,
    });
    expect(first).toMatchObject({ checkAgainSeconds: 7, deadlineSeconds: 600 });

    // Still at work: pending again, with Encore's progress; no second submit.
    job!.status = 'IN_PROGRESS';
    job!.progress = 40;
    const second = pendingOf(await run());
    expect(second.progress).toMatchObject({ status: 'IN_PROGRESS', percent: 40 });
    expect(second.message).toBe(`Encore job ${job!.id}: IN_PROGRESS 40%`);
    expect(encore.submitted).toHaveLength(1);
    // What the kit records when the deadline passes: transcoder_timeout, with the last word.
    expect(String(second.deadlineError)).toBe(`transcoder_timeout: The transcoder did not finish the poster within 600 s (video_transcoder_timeout_seconds); Encore job ${job!.id} last said IN_PROGRESS 40%`);
    expect((second.deadlineError as VideoError).permanent).toBe(true);

    // Encore unreachable: that too is waiting (until the deadline), and says why.
    encore.down = true;
    const third = pendingOf(await run());
    expect(third.progress).toMatchObject({ status: 'IN_PROGRESS', problem: expect.stringContaining('ECONNREFUSED') });
  });

  it('adopt the Encore job of a run that died after submitting, instead of submitting again', async () => {
    const { encore, run, setProgress } = setUp();
    pendingOf(await run());
    setProgress(null); // the progress was never stored
    const again = pendingOf(await run());
    expect(encore.submitted).toHaveLength(1);
    expect((again.progress as TranscodeProgress).transcoderJobId).toBe([...encore.jobs.keys()][0]);
  });

  it("store a finished poster as the owner's JPEG and complete with its id", async () => {
    const { encore, storage, beats, run } = setUp();
    pendingOf(await run());
    const job = encore.succeed([{ name: 'My_Clip_final_poster01.jpg', type: 'ImageFile', bytes: JPEG }]);
    const result = (await run()) as TranscodeResult;
    const [fileId, stored] = [...storage.files.entries()][0]!;
    expect(stored).toEqual({ filename: 'My_Clip_final_poster01.jpg', bytes: JPEG });
    expect(result).toEqual({
      transcoder: 'encore',
      transcoderJobId: job.id,
      statusUrl: `${E}/encoreJobs/${job.id}`,
      profile: 'poster',
      files: [{ fileId, filename: 'My_Clip_final_poster01.jpg', contentType: 'image/jpeg', size: JPEG.length, kind: 'image', width: 1440, height: 1080, durationSeconds: null }],
      outputFileIds: [fileId],
      posterFileId: fileId,
    });
    expect(encore.served).toEqual([`${O}/${JOB_ID}/My_Clip_final_poster01.jpg`]);
    // The upload is in the progress before the job completes (a crash then leaves nothing behind).
    expect(beats).toEqual([expect.objectContaining({ stage: 'importing', uploaded: [fileId], status: 'SUCCESSFUL' })]);
  });

  it('store a trailer and its poster frame', async () => {
    const { encore, storage, run } = setUp();
    pendingOf(await run('trailer'));
    expect(encore.submitted[0]).toMatchObject({ profile: 'trailer', seekTo: 0.5, duration: 1 });
    expect(encore.submitted[0]).not.toHaveProperty('thumbnailTime');
    encore.succeed([
      { name: 'My_Clip_final_720p.mp4', type: 'VideoFile', bytes: MP4 },
      { name: 'My_Clip_final_poster01.jpg', type: 'ImageFile', bytes: JPEG },
    ]);
    const result = (await run('trailer')) as TranscodeResult;
    const byName = new Map([...storage.files.entries()].map(([id, file]) => [file.filename, id]));
    expect(result).toMatchObject({ trailerFileId: byName.get('My_Clip_final_720p.mp4'), posterFileId: byName.get('My_Clip_final_poster01.jpg'), outputFileIds: [...byName.values()] });
    expect(result.files.map((file) => [file.kind, file.contentType])).toEqual([
      ['video', 'video/mp4'],
      ['image', 'image/jpeg'],
    ]);
  });

  it("fail with Encore's reason when it fails, is cancelled or forgets the job", async () => {
    const { encore, run } = setUp();
    pendingOf(await run());
    const [job] = [...encore.jobs.values()];
    job!.status = 'FAILED';
    job!.message = 'Error running ffmpeg: Invalid data found when processing input';
    expect(String(errorOf(await run()))).toBe(`transcoder_failed: Encore job ${job!.id} failed: Error running ffmpeg: Invalid data found when processing input`);
    job!.status = 'CANCELLED';
    expect(errorOf(await run()).code).toBe('transcoder_cancelled');
    encore.jobs.clear();
    expect(errorOf(await run())).toMatchObject({ code: 'transcoder_failed', permanent: true, message: expect.stringContaining('no longer knows') });
  });

  it('leave nothing in storage when an output is missing, too large, refused or not what it should be', async () => {
    const cases: { outputs: Parameters<EncoreStandIn['succeed']>[0]; kind?: 'poster' | 'trailer'; quota?: number; filesDown?: boolean; code: string; permanent: boolean; fetched: number }[] = [
      // The video is stored, then the poster frame is not on the file server: the video goes again.
      { kind: 'trailer', outputs: [{ name: 'My_Clip_final_720p.mp4', type: 'VideoFile', bytes: MP4 }, { name: 'My_Clip_final_poster01.jpg', type: 'ImageFile', bytes: JPEG, serve: false }], code: 'transcoder_output_missing', permanent: true, fetched: 2 },
      // Too large by Encore's word: refused before anything is fetched.
      { outputs: [{ name: 'My_Clip_final_poster01.jpg', type: 'ImageFile', bytes: JPEG, fileSize: 30_000_000 }], code: 'transcoder_output_too_large', permanent: true, fetched: 0 },
      // The owner's quota is full.
      { outputs: [{ name: 'My_Clip_final_poster01.jpg', type: 'ImageFile', bytes: JPEG }], quota: 100, code: 'quota_exceeded', permanent: true, fetched: 1 },
      // A "poster" that is not an image.
      { outputs: [{ name: 'My_Clip_final_poster01.jpg', type: 'ImageFile', bytes: new TextEncoder().encode('not an image at all') }], code: 'transcoder_failed', permanent: true, fetched: 1 },
      // Success, but no image among the outputs.
      { outputs: [{ name: 'My_Clip_final_720p.mp4', type: 'VideoFile', bytes: MP4 }], code: 'transcoder_output_missing', permanent: true, fetched: 0 },
      // An output outside the job's folder is not fetched.
      { outputs: [{ name: '../other-job/secret.jpg', type: 'ImageFile', bytes: JPEG }], code: 'transcoder_failed', permanent: true, fetched: 0 },
      // The file server is down: retried (the kit's attempts), nothing stored meanwhile.
      { outputs: [{ name: 'My_Clip_final_poster01.jpg', type: 'ImageFile', bytes: JPEG }], filesDown: true, code: 'transcoder_output_unavailable', permanent: false, fetched: 0 },
    ];
    for (const c of cases) {
      const { encore, storage, run } = setUp();
      pendingOf(await run(c.kind));
      encore.succeed(c.outputs);
      storage.quotaBytes = c.quota ?? Number.POSITIVE_INFINITY;
      encore.filesDown = c.filesDown ?? false;
      const error = errorOf(await run(c.kind));
      expect([error.code, error.permanent], error.message).toEqual([c.code, c.permanent]);
      expect(storage.files.size).toBe(0);
      expect(encore.served).toHaveLength(c.fetched);
    }
  });

  it("remove what a run that died while importing stored, and what a cancelled job's import stored", async () => {
    const { encore, storage, run, setProgress } = setUp();
    const waiting = pendingOf(await run());
    encore.succeed([{ name: 'My_Clip_final_poster01.jpg', type: 'ImageFile', bytes: JPEG }]);
    // A previous run stored this, recorded it, and died.
    const leftover = randomUUID();
    storage.files.set(leftover, { filename: 'My_Clip_final_poster01.jpg', bytes: JPEG });
    setProgress({ ...(waiting.progress as TranscodeProgress), stage: 'importing', uploaded: [leftover] });
    const result = (await run()) as TranscodeResult;
    expect([...storage.files.keys()]).toEqual(result.outputFileIds);
    expect(storage.files.has(leftover)).toBe(false);

    const second = setUp();
    pendingOf(await second.run());
    second.encore.succeed([{ name: 'My_Clip_final_poster01.jpg', type: 'ImageFile', bytes: JPEG }]);
    second.cancel();
    await expect(second.run()).rejects.toThrow(/cancelled while its outputs were being stored/);
    expect(second.storage.files.size).toBe(0);
  });

  it('need both Encore and its file server configured', async () => {
    expect(errorOf(await setUp({}).run())).toMatchObject({ code: 'transcoder_not_configured', message: expect.stringContaining('VIDEO_TRANSCODER_URL') });
    const { run, encore } = setUp({ transcoder_url: E });
    expect(errorOf(await run())).toMatchObject({ code: 'transcoder_not_configured', message: expect.stringContaining('VIDEO_TRANSCODER_OUTPUT_URL') });
    expect(encore.submitted).toEqual([]);
    // Refused by Encore (4xx) is final; unreachable at submit is retried.
    const refused = setUp();
    const answers = refused.encore.fetch;
    refused.encore.fetch = async (url, init) => (init?.method === 'POST' ? new Response('{"status":400,"error":"Bad Request"}', { status: 400 }) : answers(url, init));
    expect(errorOf(await refused.run())).toMatchObject({ code: 'transcoder_rejected', permanent: true });
    const down = setUp();
    down.encore.down = true;
    expect(errorOf(await down.run())).toMatchObject({ code: 'transcoder_unavailable', permanent: false });
  });

  it("name Encore's outputs after the input, safely", () => {
    expect(baseNameOf('My Clip (final).mp4')).toBe('My_Clip_final');
    expect(baseNameOf('../../etc/passwd')).toBe('etc_passwd');
    expect(baseNameOf('.mp4')).toBe('video');
    expect(baseNameOf('Überraschung – 2.mov')).toBe('berraschung_2');
    expect(baseNameOf(`${'a'.repeat(100)}.mkv`)).toHaveLength(60);
  });
});
