// normalise, trim and assemble: the outputs measured by ffmpeg/sox, and by our own parser.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { planAssemble } from './assemble.ts';
import { AudioError } from './audio-error.ts';
import { type ByteSource, memorySink, memorySource } from './byte-source.ts';
import { planNormalise } from './normalise.ts';
import { ffmpegLoudness, ffprobe, hasFfmpeg, hasSox, missingToolsMessage, removeScratch, scratchPath, sox, soxDuration } from './reference-tools.ts';
import { planTrim } from './trim.ts';
import type { WavOutput } from './wav-output.ts';
import { encodeWav, parseWav, readFrames, type WavFormat } from './wav.ts';

afterAll(removeScratch);

const PCM16: WavFormat = { encoding: 'pcm', bitsPerSample: 16, channels: 2, sampleRate: 44100, channelMask: 0, extensible: false };

async function written(output: WavOutput): Promise<Uint8Array> {
  const { sink, bytes } = memorySink();
  await output.write(sink);
  const out = bytes();
  expect(out.length).toBe(output.size);
  return out;
}

function tone(format: WavFormat, seconds: number, dbfs: number, frequency = 440): Float32Array {
  const frames = Math.round(seconds * format.sampleRate);
  const samples = new Float32Array(frames * format.channels);
  for (let i = 0; i < samples.length; i++) samples[i] = 10 ** (dbfs / 20) * Math.sin((2 * Math.PI * frequency * Math.floor(i / format.channels)) / format.sampleRate);
  return samples;
}

async function open(bytes: Uint8Array): Promise<{ source: ByteSource; wav: Awaited<ReturnType<typeof parseWav>> }> {
  const source = memorySource(bytes);
  return { source, wav: await parseWav(source) };
}

async function failure(promise: Promise<unknown>): Promise<AudioError> {
  const error = await promise.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(AudioError);
  return error as AudioError;
}

describe('normalise', () => {
  it('to a peak of −1 dBFS: the output’s peak is −1 dBFS (within one 16-bit step) and its format unchanged', async () => {
    const { source, wav } = await open(encodeWav(PCM16, tone(PCM16, 2, -12)));
    const plan = await planNormalise(source, wav, { mode: 'peak', peakDbfs: -1 });
    expect(plan.gainDb).toBeCloseTo(11, 2);
    const out = await open(await written(plan.output));
    expect(out.wav).toMatchObject({ encoding: 'pcm', bitsPerSample: 16, channels: 2, sampleRate: 44100, frames: wav.frames });
    let peak = 0;
    for await (const chunk of readFrames(out.source, out.wav)) for (const value of chunk.samples.subarray(0, chunk.frames * 2)) peak = Math.max(peak, Math.abs(value));
    expect(20 * Math.log10(peak)).toBeCloseTo(-1, 2);
  });

  it.skipIf(!hasFfmpeg || !hasSox)('pink noise to −16 LUFS: ffmpeg’s ebur128 measures the output at −16.0 ± 0.15 LU', async () => {
    const path = scratchPath('pink.wav');
    sox(['-n', '-r', '48000', '-c', '2', '-b', '24', path, 'synth', '6', 'pinknoise', 'vol', '0.1']);
    const { source, wav } = await open(new Uint8Array(readFileSync(path)));
    const plan = await planNormalise(source, wav, { mode: 'loudness', lufs: -16, ceilingDbfs: -0.5 });
    expect(plan.limitedByCeiling).toBe(false);
    expect(Math.abs(plan.measured.integratedLufs! - ffmpegLoudness(path).integrated)).toBeLessThanOrEqual(0.15);
    const outPath = scratchPath('pink-16.wav');
    writeFileSync(outPath, await written(plan.output));
    expect(Math.abs(ffmpegLoudness(outPath).integrated - -16)).toBeLessThanOrEqual(0.15);
  });
  if (!hasFfmpeg || !hasSox) it.skip(missingToolsMessage('ffmpeg/sox'), () => {});

  it('a loudness target that would clip is held at the ceiling and says so', async () => {
    const { source, wav } = await open(encodeWav(PCM16, tone(PCM16, 2, -3)));
    const plan = await planNormalise(source, wav, { mode: 'loudness', lufs: 0, ceilingDbfs: -1 });
    expect(plan.limitedByCeiling).toBe(true);
    expect(plan.gainDb).toBeCloseTo(2, 2);
  });

  it('digital silence → silent_audio', async () => {
    const { source, wav } = await open(encodeWav(PCM16, new Float32Array(44100 * 2)));
    expect((await failure(planNormalise(source, wav, { mode: 'peak', peakDbfs: -1 }))).code).toBe('silent_audio');
  });
});

describe('trim', () => {
  it('to a time range: exact frames, bytes copied untouched', async () => {
    const input = encodeWav(PCM16, tone(PCM16, 3, -6));
    const { source, wav } = await open(input);
    const plan = await planTrim(source, wav, { startSeconds: 0.5, endSeconds: 2.25 });
    expect([plan.startFrame, plan.endFrame]).toEqual([22050, 99225]);
    const out = await written(plan.output);
    const trimmed = await parseWav(memorySource(out));
    expect(trimmed.frames).toBe(99225 - 22050);
    expect(out.subarray(trimmed.dataOffset, trimmed.dataOffset + 400)).toEqual(input.subarray(wav.dataOffset + 22050 * 4, wav.dataOffset + 22050 * 4 + 400));
  });

  it.skipIf(!hasSox)('silence at both ends (sox-made: 1.5 s silence, 2 s tone, 1 s silence): soxi -D of the output is 2 s + padding', async () => {
    const path = scratchPath('padded.wav');
    sox(['-n', '-r', '44100', '-c', '1', '-b', '16', path, 'synth', '2', 'sine', '440', 'pad', '1.5', '1']);
    const { source, wav } = await open(new Uint8Array(readFileSync(path)));
    const plan = await planTrim(source, wav, { silence: { thresholdDbfs: -50, paddingSeconds: 0.1 } });
    const outPath = scratchPath('trimmed.wav');
    writeFileSync(outPath, await written(plan.output));
    // The sine starts and ends at a zero crossing: the first loud sample is within 1 ms of the tone.
    expect(Math.abs(soxDuration(outPath) - 2.2)).toBeLessThan(0.002);
    expect(Math.abs(plan.startSeconds - 1.4)).toBeLessThan(0.002);
  });

  it('a range past the end → invalid_range; all silence → silent_audio', async () => {
    const { source, wav } = await open(encodeWav(PCM16, new Float32Array(44100 * 2)));
    expect((await failure(planTrim(source, wav, { startSeconds: 5 }))).code).toBe('invalid_range');
    expect((await failure(planTrim(source, wav, { startSeconds: 0.5, endSeconds: 0.5 }))).code).toBe('invalid_range');
    expect((await failure(planTrim(source, wav, { silence: { thresholdDbfs: -60, paddingSeconds: 0 } }))).code).toBe('silent_audio');
  });
});

describe('assemble', () => {
  const chapter = async (title: string, seconds: number, format = PCM16) => ({ title, ...(await open(encodeWav(format, tone(format, seconds, -10)))) });

  it('concatenates chapters with a labelled cue point at each start and the chapter list', async () => {
    const chapters = [await chapter('Prologue', 1.5), await chapter('The Night Mail', 2), await chapter('Épilogue', 0.25)];
    const plan = planAssemble(chapters);
    expect(plan.chapters.map((c) => [c.index, c.title, c.startFrame, c.frames])).toEqual([
      [1, 'Prologue', 0, 66150],
      [2, 'The Night Mail', 66150, 88200],
      [3, 'Épilogue', 154350, 11025],
    ]);
    const out = await written(plan.output);
    const book = await parseWav(memorySource(out));
    expect(book.frames).toBe(165375);
    expect(book.cues).toEqual([
      { id: 1, frame: 0, label: 'Prologue' },
      { id: 2, frame: 66150, label: 'The Night Mail' },
      { id: 3, frame: 154350, label: 'Épilogue' },
    ]);
    // Chapter 2's first bytes are chapter 2's first bytes.
    const second = chapters[1]!;
    const from = book.dataOffset + 66150 * 4;
    expect(out.subarray(from, from + 64)).toEqual((await second.source.read(second.wav.dataOffset, second.wav.dataOffset + 64)));
    if (hasFfmpeg && hasSox) {
      const path = scratchPath('book.wav');
      writeFileSync(path, out);
      expect(Math.abs(soxDuration(path) - 165375 / 44100)).toBeLessThan(1e-6);
      expect(Number(ffprobe(path).format.duration)).toBeCloseTo(165375 / 44100, 3);
    }
  });

  it('a silent gap between chapters moves the later cue points', async () => {
    const plan = planAssemble([await chapter('A', 1), await chapter('B', 1)], { gapSeconds: 0.5 });
    expect(plan.chapters[1]!.startFrame).toBe(44100 + 22050);
    const book = await parseWav(memorySource(await written(plan.output)));
    expect(book.frames).toBe(44100 * 2 + 22050);
  });

  it('refuses chapters of different formats with format_mismatch naming the chapter', async () => {
    const mono = { ...PCM16, channels: 1 };
    const error = await failure(Promise.resolve().then(async () => planAssemble([await chapter('One', 0.5), await chapter('Two', 0.5, mono)])));
    expect(error.code).toBe('format_mismatch');
    expect(error.message).toMatch(/chapter 2 \("Two"\) is PCM 16-bit, 1 ch, 44100 Hz/);
  });
});
