import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { memorySource } from './byte-source.ts';
import { kWeighting, LoudnessMeter, measureLoudness } from './loudness.ts';
import { ffmpegLoudness, hasFfmpeg, hasSox, missingToolsMessage, removeScratch, scratchPath, sox } from './reference-tools.ts';
import { parseWav } from './wav.ts';

afterAll(removeScratch);

function sine(sampleRate: number, channels: number, seconds: number, dbfs: number, frequency = 1000): Float32Array {
  const amplitude = 10 ** (dbfs / 20);
  const samples = new Float32Array(Math.round(sampleRate * seconds) * channels);
  for (let i = 0; i < samples.length; i++) samples[i] = amplitude * Math.sin((2 * Math.PI * frequency * Math.floor(i / channels)) / sampleRate);
  return samples;
}

describe('K-weighting', () => {
  it('gives the coefficients printed in ITU-R BS.1770-4 at 48 kHz', () => {
    const [shelf, highPass] = kWeighting(48000);
    expect(shelf.b0).toBeCloseTo(1.53512485958697, 10);
    expect(shelf.b1).toBeCloseTo(-2.69169618940638, 10);
    expect(shelf.b2).toBeCloseTo(1.19839281085285, 10);
    expect(shelf.a1).toBeCloseTo(-1.69065929318241, 10);
    expect(shelf.a2).toBeCloseTo(0.73248077421585, 10);
    expect(highPass.a1).toBeCloseTo(-1.99004745483398, 10);
    expect(highPass.a2).toBeCloseTo(0.99007225036621, 10);
  });
});

describe('integrated loudness (EBU Tech 3341 cases, computed in memory)', () => {
  const measure = (samples: Float32Array, rate: number, channels: number, chunk = 4096) => {
    const meter = new LoudnessMeter(rate, channels);
    for (let at = 0; at < samples.length; at += chunk * channels) {
      const part = samples.subarray(at, Math.min(samples.length, at + chunk * channels));
      meter.add(part, part.length / channels);
    }
    return meter.result();
  };

  it('a 1 kHz stereo sine at −23 dBFS measures −23.0 LUFS (±0.1, Tech 3341 case 1) at 48 and 44.1 kHz', () => {
    for (const rate of [48000, 44100]) expect(measure(sine(rate, 2, 20, -23), rate, 2).integratedLufs!).toBeCloseTo(-23, 1);
  });

  it('10 s at −36 dBFS, 60 s at −23, 10 s at −36 measures −23.0 (the relative gate drops the quiet parts)', () => {
    const rate = 48000;
    const parts = [sine(rate, 2, 10, -36), sine(rate, 2, 60, -23), sine(rate, 2, 10, -36)];
    const all = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) all.set(part, at), (at += part.length);
    expect(measure(all, rate, 2).integratedLufs!).toBeCloseTo(-23, 1);
  });

  it('the same audio in chunks of any size gives the same result', () => {
    const samples = sine(22050, 1, 3, -20, 440);
    const whole = measure(samples, 22050, 1, samples.length);
    for (const chunk of [1, 777, 4410]) expect(measure(samples, 22050, 1, chunk)).toEqual(whole);
  });

  it('silence and audio under 400 ms have no integrated loudness', () => {
    expect(measure(new Float32Array(48000 * 2), 48000, 2).integratedLufs).toBeNull();
    expect(measure(sine(48000, 1, 0.3, -10), 48000, 1).integratedLufs).toBeNull();
  });
});

describe('against ffmpeg’s ebur128 filter on files made by sox', () => {
  // ffmpeg prints integrated loudness with one decimal: agreement within 0.15 LU covers its rounding.
  const cases: [string, string[]][] = [
    ['pink noise, stereo 44.1 kHz, 16-bit', ['-r', '44100', '-c', '2', '-b', '16', 'synth', '8', 'pinknoise', 'vol', '0.3']],
    ['speech-like bursts, mono 22.05 kHz, 24-bit', ['-r', '22050', '-c', '1', '-b', '24', 'synth', '8', 'sine', '180-900', 'tremolo', '3', '90', 'vol', '0.5']],
    ['brown noise, stereo 96 kHz, float', ['-r', '96000', '-c', '2', '-e', 'floating-point', '-b', '32', 'synth', '5', 'brownnoise', 'vol', '0.2']],
    ['5.1, 48 kHz, 16-bit', ['-r', '48000', '-c', '6', '-b', '16', 'synth', '5', 'pinknoise', 'vol', '0.2']],
  ];
  for (const [name, args] of cases) {
    it.skipIf(!hasFfmpeg || !hasSox)(`${name}: integrated within 0.15 LU, sample peak within 0.1 dB`, async () => {
      const path = scratchPath(`${name.replace(/\W+/g, '-')}.wav`);
      sox(['-n', ...args.slice(0, args.indexOf('synth')), path, ...args.slice(args.indexOf('synth'))]);
      const source = memorySource(new Uint8Array(readFileSync(path)));
      const ours = await measureLoudness(source, await parseWav(source));
      const reference = ffmpegLoudness(path);
      expect(Math.abs(ours.integratedLufs! - reference.integrated)).toBeLessThanOrEqual(0.15);
      expect(Math.abs(ours.samplePeakDbfs! - reference.samplePeakDbfs)).toBeLessThanOrEqual(0.1);
    });
  }
  if (!hasFfmpeg || !hasSox) it.skip(missingToolsMessage('ffmpeg/sox'), () => {});
});
