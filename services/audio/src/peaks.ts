// Waveform peaks for the editor's timeline: min and max of every channel together per bucket of
// `samplesPerBucket` frames (audiowaveform's fixed "samples per pixel"), computed in one pass over
// chunks so memory is the bucket arrays, whatever the length of the audio.
import { AudioError } from './audio-error.ts';
import type { ByteSource } from './byte-source.ts';
import { readFrames, type WavInfo } from './wav.ts';

export const MAX_BUCKETS = 20_000;

export interface Waveform {
  sampleRate: number;
  channels: number;
  frames: number;
  samplesPerBucket: number;
  buckets: number;
  /** Per bucket, the lowest and highest sample of any channel, in [-1, 1], 4 decimals. */
  min: number[];
  max: number[];
}

export class PeakAccumulator {
  readonly samplesPerBucket: number;
  readonly buckets: number;
  private readonly min: Float32Array;
  private readonly max: Float32Array;

  constructor(
    private readonly wav: Pick<WavInfo, 'frames' | 'channels' | 'sampleRate'>,
    requestedBuckets: number,
  ) {
    if (!Number.isInteger(requestedBuckets) || requestedBuckets < 1 || requestedBuckets > MAX_BUCKETS) {
      throw new AudioError('invalid_range', `bucket count ${requestedBuckets} (1–${MAX_BUCKETS})`);
    }
    this.samplesPerBucket = Math.max(1, Math.ceil(wav.frames / requestedBuckets));
    this.buckets = Math.ceil(wav.frames / this.samplesPerBucket);
    this.min = new Float32Array(this.buckets);
    this.max = new Float32Array(this.buckets);
  }

  /** Interleaved samples of `frames` frames starting at frame `firstFrame` (chunks in any order). */
  add(samples: Float32Array, firstFrame: number, frames: number): void {
    const { channels } = this.wav;
    const per = this.samplesPerBucket;
    let frame = 0;
    while (frame < frames) {
      const bucket = Math.floor((firstFrame + frame) / per);
      const bucketEnd = Math.min(frames, (bucket + 1) * per - firstFrame);
      let low = this.min[bucket]!;
      let high = this.max[bucket]!;
      for (let i = frame * channels, end = bucketEnd * channels; i < end; i++) {
        const value = samples[i]!;
        if (value < low) low = value;
        else if (value > high) high = value;
      }
      this.min[bucket] = low;
      this.max[bucket] = high;
      frame = bucketEnd;
    }
  }

  result(): Waveform {
    const round = (value: number) => Math.round(value * 10_000) / 10_000;
    return {
      sampleRate: this.wav.sampleRate,
      channels: this.wav.channels,
      frames: this.wav.frames,
      samplesPerBucket: this.samplesPerBucket,
      buckets: this.buckets,
      min: Array.from(this.min, round),
      max: Array.from(this.max, round),
    };
  }
}

export async function computeWaveform(source: ByteSource, wav: WavInfo, buckets: number, onChunk?: (framesDone: number) => Promise<void>): Promise<Waveform> {
  const peaks = new PeakAccumulator(wav, buckets);
  for await (const chunk of readFrames(source, wav)) {
    peaks.add(chunk.samples, chunk.firstFrame, chunk.frames);
    await onChunk?.(chunk.firstFrame + chunk.frames);
  }
  return peaks.result();
}

/**
 * The waveform in audiowaveform's binary `.dat` layout (version 1, 16-bit): a 20-byte header
 * (version, flags, sample rate, samples per pixel, length) then min/max pairs as int16.
 */
export function waveformDat(waveform: Waveform): Uint8Array {
  const out = new Uint8Array(20 + waveform.buckets * 4);
  const view = new DataView(out.buffer);
  view.setInt32(0, 1, true);
  view.setUint32(4, 0, true);
  view.setInt32(8, waveform.sampleRate, true);
  view.setInt32(12, waveform.samplesPerBucket, true);
  view.setUint32(16, waveform.buckets, true);
  const toInt16 = (value: number) => Math.max(-32768, Math.min(32767, Math.round(value * 32768)));
  for (let i = 0; i < waveform.buckets; i++) {
    view.setInt16(20 + i * 4, toInt16(waveform.min[i]!), true);
    view.setInt16(22 + i * 4, toInt16(waveform.max[i]!), true);
  }
  return out;
}
