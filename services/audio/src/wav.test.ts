import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioError } from './audio-error.ts';
import { countingSource, memorySource } from './byte-source.ts';
import { ffmpeg, hasFfmpeg, hasSox, missingToolsMessage, removeScratch, scratchPath, sox, soxDuration } from './reference-tools.ts';
import { decodeSamples, encodeWav, parseWav, readFrames, type WavFormat, wavHeader } from './wav.ts';

afterAll(removeScratch);

const format = (overrides: Partial<WavFormat>): WavFormat => ({ encoding: 'pcm', bitsPerSample: 16, channels: 2, sampleRate: 44100, channelMask: 0, extensible: false, ...overrides });

function ramp(frames: number, channels: number): Float32Array {
  const samples = new Float32Array(frames * channels);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.sin(i * 0.01) * 0.9;
  return samples;
}

async function allSamples(bytes: Uint8Array): Promise<Float32Array> {
  const source = memorySource(bytes);
  const wav = await parseWav(source);
  const out = new Float32Array(wav.frames * wav.channels);
  for await (const chunk of readFrames(source, wav, { chunkBytes: 1000 })) out.set(chunk.samples.subarray(0, chunk.frames * wav.channels), chunk.firstFrame * wav.channels);
  return out;
}

async function refusal(bytes: Uint8Array): Promise<AudioError> {
  const error = await parseWav(memorySource(bytes)).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(AudioError);
  return error as AudioError;
}

describe('WAV round trip through our writer and parser', () => {
  const layouts: [string, Partial<WavFormat>, number][] = [
    ['8-bit unsigned', { bitsPerSample: 8 }, 1 / 128],
    ['16-bit', { bitsPerSample: 16 }, 1 / 32768],
    ['24-bit', { bitsPerSample: 24 }, 1 / 8388608],
    ['32-bit', { bitsPerSample: 32 }, 1e-7],
    ['float32', { encoding: 'float', bitsPerSample: 32 }, 0],
    ['float64', { encoding: 'float', bitsPerSample: 64 }, 0],
    ['extensible 24-bit 6 channels', { bitsPerSample: 24, channels: 6, extensible: true, channelMask: 0x3f }, 1 / 8388608],
    ['mono 11025 Hz', { channels: 1, sampleRate: 11025 }, 1 / 32768],
  ];
  for (const [name, overrides, tolerance] of layouts) {
    it(`${name}: format, exact frame count and samples within one quantisation step`, async () => {
      const fmt = format(overrides);
      const input = ramp(1001, fmt.channels);
      const bytes = encodeWav(fmt, input);
      const wav = await parseWav(memorySource(bytes));
      expect(wav).toMatchObject({ ...fmt, frames: 1001, durationSeconds: 1001 / fmt.sampleRate });
      const output = await allSamples(bytes);
      let worst = 0;
      for (let i = 0; i < input.length; i++) worst = Math.max(worst, Math.abs(output[i]! - input[i]!));
      expect(worst).toBeLessThanOrEqual(tolerance / 2 + 1e-9);
    });
  }

  it('reads cue points and their labels back', async () => {
    const bytes = encodeWav(format({}), ramp(500, 2), [
      { id: 1, frame: 0, label: 'Chapter One' },
      { id: 2, frame: 250, label: 'Chapitre deux — été' },
    ]);
    const wav = await parseWav(memorySource(bytes));
    expect(wav.cues).toEqual([
      { id: 1, frame: 0, label: 'Chapter One' },
      { id: 2, frame: 250, label: 'Chapitre deux — été' },
    ]);
  });

  it('reads the header of a long file from a few small ranged reads', async () => {
    const bytes = encodeWav(format({}), new Float32Array(2 * 44100 * 10));
    const source = countingSource(memorySource(bytes));
    await parseWav(source);
    expect(source.reads).toBe(1);
    expect(source.bytesRead).toBeLessThanOrEqual(64 * 1024);
  });
});

describe('WAV files written by independent tools', () => {
  const cases: [string, string[]][] = [
    ['pcm_u8 mono 8000 Hz', ['-ar', '8000', '-ac', '1', '-c:a', 'pcm_u8']],
    ['pcm_s16le stereo 44100 Hz', ['-ar', '44100', '-ac', '2', '-c:a', 'pcm_s16le']],
    ['pcm_s24le 5.1 48000 Hz (extensible)', ['-ar', '48000', '-ac', '6', '-c:a', 'pcm_s24le']],
    ['pcm_s32le stereo 96000 Hz', ['-ar', '96000', '-ac', '2', '-c:a', 'pcm_s32le']],
    ['pcm_f32le stereo 22050 Hz', ['-ar', '22050', '-ac', '2', '-c:a', 'pcm_f32le']],
    ['pcm_f64le mono 32000 Hz', ['-ar', '32000', '-ac', '1', '-c:a', 'pcm_f64le']],
    ['RF64 pcm_s16le', ['-ar', '44100', '-ac', '2', '-c:a', 'pcm_s16le', '-rf64', 'always']],
  ];
  for (const [name, args] of cases) {
    it.skipIf(!hasFfmpeg || !hasSox)(`ffmpeg ${name}: duration equals soxi -D exactly (frames / rate)`, async () => {
      const path = scratchPath(`${name.replace(/\W+/g, '-')}.wav`);
      const bytes = ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1.2345', ...args], path);
      const wav = await parseWav(memorySource(bytes));
      // soxi prints the duration rounded to microseconds at most: compare within 1 µs.
      expect(Math.abs(wav.durationSeconds - soxDuration(path))).toBeLessThan(1e-6);
      expect(wav.frames).toBe(Math.round(1.2345 * wav.sampleRate));
      const samples = await allSamples(bytes);
      // lavfi's sine is 1/8 of full scale (−3 dB more when spread over channels).
      const peak = Math.max(...samples.subarray(0, 4000).map(Math.abs));
      expect(peak).toBeGreaterThan(0.08);
      expect(peak).toBeLessThan(0.13);
    });
  }
  if (!hasFfmpeg || !hasSox) it.skip(missingToolsMessage('ffmpeg/sox'), () => {});

  it.skipIf(!hasSox)('sox 24-bit stereo: samples equal what sox decodes to raw 32-bit', async () => {
    const path = scratchPath('sox24.wav');
    sox(['-n', '-r', '44100', '-b', '24', '-c', '2', path, 'synth', '0.1', 'sine', '300', 'sine', '700']);
    const raw = scratchPath('sox24.raw');
    sox([path, '-t', 'raw', '-e', 'signed', '-b', '32', raw]);
    const reference = new Int32Array(new Uint8Array(readFileSync(raw)).buffer);
    const ours = await allSamples(new Uint8Array(readFileSync(path)));
    expect(ours.length).toBe(reference.length);
    for (let i = 0; i < reference.length; i += 97) expect(ours[i]).toBeCloseTo(reference[i]! / 2147483648, 6);
  });
});

describe('refused WAVs', () => {
  const good = encodeWav(format({}), ramp(4410, 2));

  it('zero bytes → empty_audio', async () => {
    expect((await refusal(new Uint8Array())).code).toBe('empty_audio');
  });

  it('truncated inside the header → corrupt_audio', async () => {
    expect((await refusal(good.subarray(0, 30))).code).toBe('corrupt_audio');
    expect((await refusal(good.subarray(0, 8))).code).toBe('corrupt_audio');
  });

  it('truncated inside the samples (data size past the end) → corrupt_audio naming both sizes', async () => {
    const error = await refusal(good.subarray(0, good.length - 1000));
    expect(error.code).toBe('corrupt_audio');
    expect(error.message).toMatch(/declares 17640 bytes/);
  });

  it('a data chunk that lies about its size (10 GB declared in a RIFF) → corrupt_audio', async () => {
    const lying = good.slice();
    new DataView(lying.buffer).setUint32(40, 0xfffffff0, true);
    expect((await refusal(lying)).code).toBe('corrupt_audio');
  });

  it('a RIFF size smaller than its own data chunk → corrupt_audio', async () => {
    const lying = good.slice();
    new DataView(lying.buffer).setUint32(4, 100, true);
    expect((await refusal(lying)).code).toBe('corrupt_audio');
  });

  it('a block align that does not match the format → corrupt_audio', async () => {
    const lying = good.slice();
    new DataView(lying.buffer).setUint16(32, 3, true);
    expect((await refusal(lying)).code).toBe('corrupt_audio');
  });

  it('not RIFF → unsupported_format; µ-law and ADPCM → unsupported_format', async () => {
    expect((await refusal(new TextEncoder().encode('ID3\u0004 this is not a wav file at all'))).code).toBe('unsupported_format');
    const mulaw = good.slice();
    new DataView(mulaw.buffer).setUint16(20, 7, true);
    const error = await refusal(mulaw);
    expect(error.code).toBe('unsupported_format');
    expect(error.message).toMatch(/µ-law/);
  });

  it('a chunk size that loops back → corrupt_audio, not a hang', async () => {
    const header = wavHeader(format({}), 0);
    const bytes = new Uint8Array(header.length + 8);
    bytes.set(header.subarray(0, 36));
    bytes.set(new TextEncoder().encode('junk'), 36);
    new DataView(bytes.buffer).setUint32(40, 0xfffffff7, true);
    const error = await parseWav(memorySource(bytes)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AudioError);
  });

  it.skipIf(!hasFfmpeg)('an ffmpeg WAV cut in half → corrupt_audio', async () => {
    const path = scratchPath('cut.wav');
    const bytes = ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'pcm_s16le'], path);
    writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
    expect((await refusal(bytes.subarray(0, bytes.length >> 1))).code).toBe('corrupt_audio');
  });
});

describe('decodeSamples', () => {
  it('decodes an unaligned chunk the same as an aligned one', () => {
    const fmt = format({ channels: 1 });
    const bytes = encodeWav(fmt, ramp(64, 1)).subarray(44);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(decodeSamples(shifted.subarray(1), fmt))).toEqual(Array.from(decodeSamples(bytes, fmt)));
  });
});
