import { describe, expect, it } from 'vitest';
import { AudioError } from './audio-error.ts';
import { memorySource } from './byte-source.ts';
import { computeWaveform, MAX_BUCKETS, PeakAccumulator, waveformDat } from './peaks.ts';
import { encodeWav, parseWav } from './wav.ts';

function noise(frames: number, channels: number, seed = 7): Float32Array {
  let state = seed;
  const samples = new Float32Array(frames * channels);
  for (let i = 0; i < samples.length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    samples[i] = Math.round(((state / 2147483648) * 2 - 1) * 0.8 * 32768) / 32768;
  }
  return samples;
}

describe('waveform peaks', () => {
  it('equal the min/max of each bucket computed directly, streamed in 256 KiB chunks', async () => {
    const channels = 2;
    const frames = 300_001;
    const samples = noise(frames, channels);
    const source = memorySource(encodeWav({ encoding: 'pcm', bitsPerSample: 16, channels, sampleRate: 44100, channelMask: 0, extensible: false }, samples));
    const waveform = await computeWaveform(source, await parseWav(source), 1000);
    expect(waveform.samplesPerBucket).toBe(301);
    expect(waveform.buckets).toBe(Math.ceil(frames / 301));
    for (const bucket of [0, 1, 500, waveform.buckets - 1]) {
      const from = bucket * 301 * channels;
      const slice = samples.subarray(from, Math.min(samples.length, from + 301 * channels));
      expect(waveform.min[bucket]).toBeCloseTo(Math.min(0, ...slice), 4);
      expect(waveform.max[bucket]).toBeCloseTo(Math.max(0, ...slice), 4);
    }
  });

  it('chunks of any size and in any order give the same peaks', () => {
    const wav = { frames: 10_000, channels: 1, sampleRate: 8000 };
    const samples = noise(10_000, 1, 3);
    const whole = new PeakAccumulator(wav, 77);
    whole.add(samples, 0, 10_000);
    const pieces = new PeakAccumulator(wav, 77);
    for (const [from, to] of [[5000, 10_000], [0, 1], [1, 4999], [4999, 5000]] as const) pieces.add(samples.subarray(from, to), from, to - from);
    expect(pieces.result()).toEqual(whole.result());
  });

  it('never gives more buckets than asked, nor more than there are frames', () => {
    expect(new PeakAccumulator({ frames: 10, channels: 1, sampleRate: 8000 }, 1000).buckets).toBe(10);
    expect(new PeakAccumulator({ frames: 1_000_003, channels: 1, sampleRate: 8000 }, 999).buckets).toBeLessThanOrEqual(999);
    expect(() => new PeakAccumulator({ frames: 10, channels: 1, sampleRate: 8000 }, MAX_BUCKETS + 1)).toThrow(AudioError);
    expect(() => new PeakAccumulator({ frames: 10, channels: 1, sampleRate: 8000 }, 0)).toThrow(AudioError);
  });

  it('writes audiowaveform’s .dat v1 layout', () => {
    const dat = waveformDat({ sampleRate: 44100, channels: 1, frames: 512, samplesPerBucket: 256, buckets: 2, min: [-0.5, -1], max: [0.25, 1] });
    const view = new DataView(dat.buffer);
    expect([view.getInt32(0, true), view.getUint32(4, true), view.getInt32(8, true), view.getInt32(12, true), view.getUint32(16, true)]).toEqual([1, 0, 44100, 256, 2]);
    expect([view.getInt16(20, true), view.getInt16(22, true), view.getInt16(24, true), view.getInt16(26, true)]).toEqual([-16384, 8192, -32768, 32767]);
  });
});
