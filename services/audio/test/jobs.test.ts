// The audio service end to end on the compiled components: a user uploads recordings to storage,
// submits jobs, and reads the results the worker wrote to storage as them.
import { createHash, randomUUID } from 'node:crypto';
import { StoredFile } from '@authorworks/domain';
import { createEvent, JobView } from '@authorworks/kit';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planAssemble } from '../src/assemble.ts';
import { memorySink, memorySource } from '../src/byte-source.ts';
import { encodeWav, parseWav, readFrames, type WavFormat } from '../src/wav.ts';
import { audio, DB_ADDRESS, download, expectError, expectJson, finished, newUser, submit, upload, startAudioApp, type User } from './audio-app.ts';

let app: TestApp;
const alice: User = newUser();
const bob: User = newUser();

beforeAll(async () => {
  app = await startAudioApp();
}, 180_000);
afterAll(async () => {
  await app?.close();
});

const MONO: WavFormat = { encoding: 'pcm', bitsPerSample: 16, channels: 1, sampleRate: 22050, channelMask: 0, extensible: false };

function tone(seconds: number, dbfs: number, frequency: number): Uint8Array<ArrayBuffer> {
  const samples = new Float32Array(Math.round(seconds * MONO.sampleRate));
  for (let i = 0; i < samples.length; i++) samples[i] = 10 ** (dbfs / 20) * Math.sin((2 * Math.PI * frequency * i) / MONO.sampleRate);
  return encodeWav(MONO, samples) as Uint8Array<ArrayBuffer>;
}

const result = (job: JobView) => job.result as Record<string, unknown>;

describe('audio jobs on storage files', () => {
  it('probe, waveform, normalise, trim and assemble finish with results only their owner can read', async () => {
    const one = await upload(app, alice, tone(1.5, -12, 440), 'chapter-one.wav');
    const two = await upload(app, alice, tone(1, -20, 660), 'chapter-two.wav');
    const jobs = {
      probe: await submit(app, alice, 'probe', { fileId: one.id }),
      waveform: await submit(app, alice, 'waveform', { fileId: one.id, buckets: 100, dat: true }),
      normalise: await submit(app, alice, 'normalise', { fileId: two.id, target: { mode: 'peak', peakDbfs: -1 } }),
      trim: await submit(app, alice, 'trim', { fileId: one.id, startSeconds: 0.25, endSeconds: 1 }),
      assemble: await submit(app, alice, 'assemble', { chapters: [{ fileId: one.id, title: 'One' }, { fileId: two.id, title: 'Two — été' }] }),
    };
    expect(jobs.probe).toMatchObject({ kind: 'probe', state: 'queued' });

    const probe = await finished(app, alice, jobs.probe.id);
    expect(probe.state).toBe('succeeded');
    expect(result(probe).probe).toMatchObject({ format: 'wav', sampleRate: 22050, channels: 1, frames: 33075, durationSeconds: 1.5 });

    const waveform = await finished(app, alice, jobs.waveform.id);
    expect(waveform.state).toBe('succeeded');
    const peaksFile = result(waveform).waveformFileId as string;
    const peaks = (await (await download(app, alice, peaksFile)).json()) as { buckets: number; max: number[] };
    expect(peaks.buckets).toBe(100);
    expect(Math.max(...peaks.max)).toBeCloseTo(10 ** (-12 / 20), 3);
    expect((await download(app, bob, peaksFile)).status).toBe(404);
    expect((await download(app, alice, result(waveform).datFileId as string)).status).toBe(200);

    const normalise = await finished(app, alice, jobs.normalise.id);
    expect(normalise.state).toBe('succeeded');
    expect(result(normalise).gainDb).toBeCloseTo(19, 1);
    const louder = new Uint8Array(await (await download(app, alice, result(normalise).outputFileId as string)).arrayBuffer());
    const source = memorySource(louder);
    const wav = await parseWav(source);
    let peak = 0;
    for await (const chunk of readFrames(source, wav)) for (const value of chunk.samples.subarray(0, chunk.frames)) peak = Math.max(peak, Math.abs(value));
    expect(20 * Math.log10(peak)).toBeCloseTo(-1, 1);
    expect((await download(app, bob, result(normalise).outputFileId as string)).status).toBe(404);

    const trim = await finished(app, alice, jobs.trim.id);
    expect(trim.state).toBe('succeeded');
    // 0.25 s is frame 5,512.5: rounded to 5,513, so the kept span is one frame under 0.75 s.
    expect(result(trim)).toMatchObject({ startSeconds: 5513 / 22050, durationSeconds: (22050 - 5513) / 22050 });

    const assemble = await finished(app, alice, jobs.assemble.id);
    expect(assemble.state).toBe('succeeded');
    expect(result(assemble).chapters).toEqual([
      expect.objectContaining({ index: 1, title: 'One', startFrame: 0, frames: 33075, fileId: one.id }),
      expect.objectContaining({ index: 2, title: 'Two — été', startFrame: 33075, frames: 22050, fileId: two.id }),
    ]);
    const book = await parseWav(memorySource(new Uint8Array(await (await download(app, alice, result(assemble).outputFileId as string)).arrayBuffer())));
    expect(book.frames).toBe(33075 + 22050);
    expect(book.cues.map((cue) => [cue.frame, cue.label])).toEqual([[0, 'One'], [33075, 'Two — été']]);
  }, 60_000);

  it('another user cannot see, list or cancel a job (404), nor make one on a file that is not theirs', async () => {
    const file = await upload(app, alice, tone(0.5, -6, 300), 'private.wav');
    const job = await submit(app, alice, 'probe', { fileId: file.id });
    await expectError(audio(app)('GET', `/jobs/${job.id}`, { as: bob }), 404);
    await expectError(audio(app)('DELETE', `/jobs/${job.id}`, { as: bob }), 404);
    const listed = await expectJson(audio(app)('GET', '/jobs', { as: bob }), 200, (await import('zod')).z.object({ items: JobView.array() }));
    expect(listed.items.map((item) => item.id)).not.toContain(job.id);
    expect((await finished(app, alice, job.id)).state).toBe('succeeded');
    await expectError(audio(app)('DELETE', `/jobs/${job.id}`, { as: alice }), 409);

    // Bob names Alice's file: storage answers the worker (acting as Bob) 404.
    const stolen = await finished(app, bob, (await submit(app, bob, 'probe', { fileId: file.id })).id);
    expect(stolen.state).toBe('failed');
    expect(stolen.lastError).toMatch(/^input_not_found: /);
  }, 30_000);

  it('a corrupt WAV fails its job with the code, and the worker goes on working', async () => {
    const good = tone(0.5, -6, 500);
    const lying = good.slice();
    new DataView(lying.buffer).setUint32(40, 50_000_000, true);
    const broken = await upload(app, alice, lying, 'lying.wav');
    const notAudio = await upload(app, alice, new TextEncoder().encode('Chapter one. It was a dark and stormy night.'.repeat(10)), 'chapter.wav');
    const failed = await finished(app, alice, (await submit(app, alice, 'waveform', { fileId: broken.id })).id);
    expect(failed.state).toBe('failed');
    expect(failed.lastError).toMatch(/^corrupt_audio: the data chunk declares 50000000 bytes/);
    expect(failed.attempts).toBe(1);
    expect((await finished(app, alice, (await submit(app, alice, 'probe', { fileId: notAudio.id })).id)).lastError).toMatch(/^unsupported_format: /);
    const after = await finished(app, alice, (await submit(app, alice, 'probe', { fileId: (await upload(app, alice, good, 'good.wav')).id })).id);
    expect(after.state).toBe('succeeded');
  }, 30_000);

  it('narrate without a configured TTS server fails with tts_provider_not_configured', async () => {
    const job = await finished(app, alice, (await submit(app, alice, 'narrate', { chapterId: '00000000-0000-4000-8000-000000000001' })).id);
    expect(job.state).toBe('failed');
    expect(job.lastError).toMatch(/^tts_provider_not_configured: /);
  }, 30_000);

  it('a deleted user’s waiting jobs are cancelled (user.deleted on user-events); others’ are not', async () => {
    const carol = newUser();
    const db = await app.sql(DB_ADDRESS);
    const due = async (owner: User) => {
      // A job due in an hour (as a back-off would leave it): still queued when its owner goes.
      const { rows } = await db.query(
        `INSERT INTO jobs (queue, kind, payload, owner_id, run_after, max_attempts, lease_seconds, backoff_seconds, correlation_id)
         VALUES ('audio-jobs', 'probe', $1::text::jsonb, $2::text::uuid, now() + interval '1 hour', 3, 120, 5, 'test') RETURNING id::text AS id`,
        [JSON.stringify({ fileId: randomUUID() }), owner.id],
      );
      return String((rows[0] as { id: string }).id);
    };
    let carols: string;
    let alices: string;
    try {
      carols = await due(carol);
      alices = await due(alice);
    } finally {
      await db.close();
    }
    const state = async (as: User, id: string) => (await expectJson(audio(app)('GET', `/jobs/${id}`, { as }), 200, JobView)).state;
    expect(await state(carol, carols)).toBe('queued');
    const deleted = createEvent({ type: 'user.deleted', source: 'user-api', subject: carol.id, data: { id: carol.id }, correlationId: randomUUID() });
    await app.publish('user-events', JSON.stringify(deleted));
    expect(await state(carol, carols)).toBe('cancelled');
    expect(await state(alice, alices)).toBe('queued');
    expect((await expectJson(audio(app)('DELETE', `/jobs/${alices}`, { as: alice }), 200, JobView)).state).toBe('cancelled');
  }, 30_000);

  it('an audiobook over the direct-upload size goes to storage in parts, one part per job step, byte-exact with chapter markers; the normalised result of a long file too', async () => {
    // Two 50 s stereo chapters: 17.6 MB of book, so three 8 MiB parts; the app writes one part per step.
    const STEREO: WavFormat = { encoding: 'pcm', bitsPerSample: 16, channels: 2, sampleRate: 44100, channelMask: 0, extensible: false };
    const noise = (seed: number) => {
      const samples = new Float32Array(50 * 44100 * 2);
      let state = seed;
      for (let i = 0; i < samples.length; i++) samples[i] = ((state = (state * 1103515245 + 12345) >>> 0) / 0xffffffff - 0.5) * 0.5;
      return encodeWav(STEREO, samples) as Uint8Array<ArrayBuffer>;
    };
    const chapters = [noise(1), noise(2)];
    const files = [await upload(app, alice, chapters[0]!, 'long-one.wav'), await upload(app, alice, chapters[1]!, 'long-two.wav')];
    const expected = memorySink();
    const inputs = await Promise.all(chapters.map(async (bytes, index) => ({ title: `Part ${index + 1}`, source: memorySource(bytes), wav: await parseWav(memorySource(bytes)) })));
    await planAssemble(inputs).output.write(expected.sink);
    const book = expected.bytes();
    expect(book.length).toBeGreaterThan(16 * 1024 * 1024);

    const job = await submit(app, alice, 'assemble', { chapters: files.map((file, index) => ({ fileId: file.id, title: `Part ${index + 1}` })), outputFilename: 'long-book.wav' });
    const done = await finished(app, alice, job.id, 120_000);
    expect(done.lastError).toBeNull();
    expect(done.state).toBe('succeeded');
    // Steps are not attempts: the job succeeded on its first.
    expect(done.attempts).toBe(1);
    // Two steps handed on to the next message (JobContinues), the third completed the upload.
    const db = await app.sql(DB_ADDRESS);
    try {
      const { rows } = await db.query('SELECT pending_checks FROM jobs WHERE id = $1::uuid', [job.id]);
      expect(rows[0]).toMatchObject({ pending_checks: 2 });
    } finally {
      await db.close();
    }

    const output = await expectJson(app.fetch(`/v1/storage/files/${result(done).outputFileId as string}`, { headers: alice.headers }), 200, StoredFile);
    expect(output).toMatchObject({ size: book.length, status: 'available', contentType: 'audio/wav', sha256: null });
    expect(output.checksum).toMatch(/-3$/);
    const downloaded = new Uint8Array(await (await download(app, alice, output.id)).arrayBuffer());
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(createHash('sha256').update(book).digest('hex'));
    expect((await parseWav(memorySource(downloaded))).cues.map((cue) => cue.label)).toEqual(['Part 1', 'Part 2']);
    expect((await download(app, bob, output.id)).status).toBe(404);

    // A result made in steps keeps what its first step measured: the normalised book is the book times one gain.
    const normalised = await finished(app, alice, (await submit(app, alice, 'normalise', { fileId: output.id, target: { mode: 'peak', peakDbfs: -3 } })).id, 180_000);
    expect(normalised.lastError).toBeNull();
    const louder = new Uint8Array(await (await download(app, alice, result(normalised).outputFileId as string)).arrayBuffer());
    // fmt and data only (the markers are the book's), so 112 bytes shorter, still over 16 MiB.
    expect(louder.length).toBeGreaterThan(16 * 1024 * 1024);
    // Every sample, across the parts' boundaries, is the book's times the one gain (the answer's
    // gainDb is rounded to 0.001 dB: within 3 LSB of 16-bit).
    const gain = 10 ** ((result(normalised).gainDb as number) / 20);
    const [before, after] = [downloaded, louder].map((bytes) => new Int16Array(bytes.buffer, bytes.byteOffset + 44 + (bytes === downloaded ? 112 : 0), 50 * 44100 * 2 * 2));
    let worst = 0;
    for (let i = 0; i < before!.length; i++) worst = Math.max(worst, Math.abs(after![i]! - before![i]! * gain));
    expect(worst).toBeLessThanOrEqual(3);
  }, 360_000);

  it('refuses bad payloads with a 400 envelope and needs a token', async () => {
    const call = audio(app);
    const id = '00000000-0000-4000-8000-000000000000';
    await expectError(call('POST', '/jobs', { body: { kind: 'probe', payload: { fileId: id } } }), 401);
    for (const body of [
      { kind: 'transcode', payload: { fileId: id } },
      { kind: 'probe', payload: {} },
      { kind: 'probe', payload: { fileId: 'not-a-uuid' } },
      { kind: 'probe', payload: { fileId: id, extra: 1 } },
      { kind: 'waveform', payload: { fileId: id, buckets: 0 } },
      { kind: 'waveform', payload: { fileId: id, buckets: 1_000_000 } },
      { kind: 'trim', payload: { fileId: id } },
      { kind: 'trim', payload: { fileId: id, startSeconds: 5, endSeconds: 2 } },
      { kind: 'normalise', payload: { fileId: id, target: { mode: 'loudness', lufs: 10 } } },
      { kind: 'assemble', payload: { chapters: [] } },
      { kind: 'assemble', payload: { chapters: Array.from({ length: 201 }, () => ({ fileId: id, title: 'x' })) } },
      { kind: 'assemble', payload: { chapters: [{ fileId: id, title: 'tab\there' }] } },
    ]) {
      await expectError(call('POST', '/jobs', { as: alice, body }), 400);
    }
    await expectError(call('POST', '/jobs', { as: alice, rawBody: '{"kind":' }), 400);
    await expectError(call('GET', '/jobs/not-a-uuid', { as: alice }), 400);
  }, 30_000);
});
