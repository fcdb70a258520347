// EBU R128 / ITU-R BS.1770-4 integrated loudness and sample peak, in one streaming pass.
// K-weighting is the two biquads of BS.1770 (a high shelf, then a high-pass), designed for any
// sample rate from the analog parameters libebur128 derived from the standard's 48 kHz
// coefficients, so 44.1 kHz, 22.05 kHz or 96 kHz are weighted as the standard means, not with
// 48 kHz coefficients. Mean squares are kept per 100 ms step; gating blocks are four steps
// (400 ms, 75 % overlap); absolute gate −70 LUFS, relative gate −10 LU.
import type { ByteSource } from './byte-source.ts';
import { readFrames, type WavInfo } from './wav.ts';

export interface Biquad {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

export function kWeighting(sampleRate: number): [Biquad, Biquad] {
  // Stage 1: the head's high shelf (+4 dB above ~1.7 kHz).
  let f0 = 1681.974450955533;
  const gainDb = 3.999843853973347;
  let q = 0.7071752369554196;
  let k = Math.tan((Math.PI * f0) / sampleRate);
  const vh = 10 ** (gainDb / 20);
  const vb = vh ** 0.4996667741545416;
  let a0 = 1 + k / q + k * k;
  const shelf: Biquad = {
    b0: (vh + (vb * k) / q + k * k) / a0,
    b1: (2 * (k * k - vh)) / a0,
    b2: (vh - (vb * k) / q + k * k) / a0,
    a1: (2 * (k * k - 1)) / a0,
    a2: (1 - k / q + k * k) / a0,
  };
  // Stage 2: the RLB high-pass (~38 Hz).
  f0 = 38.13547087602444;
  q = 0.5003270373238773;
  k = Math.tan((Math.PI * f0) / sampleRate);
  a0 = 1 + k / q + k * k;
  const highPass: Biquad = { b0: 1, b1: -2, b2: 1, a1: (2 * (k * k - 1)) / a0, a2: (1 - k / q + k * k) / a0 };
  return [shelf, highPass];
}

/** BS.1770 channel weights: 1 for front channels, 1.41 for surrounds, 0 for LFE (5.1 order L R C LFE Ls Rs). */
export function channelWeights(channels: number): number[] {
  if (channels === 6) return [1, 1, 1, 0, 1.41, 1.41];
  if (channels === 5) return [1, 1, 1, 1.41, 1.41];
  return Array.from({ length: channels }, () => 1);
}

export interface LoudnessResult {
  /** Integrated loudness in LUFS; null when no block passes the gates (silence, or under 400 ms). */
  integratedLufs: number | null;
  /** Highest absolute sample value, linear (1 = full scale). */
  samplePeak: number;
  /** The same in dBFS; null for digital silence. */
  samplePeakDbfs: number | null;
  /** Blocks measured / blocks kept by the gates. */
  blocks: number;
  gatedBlocks: number;
}

export class LoudnessMeter {
  private readonly filters: [Biquad, Biquad];
  private readonly weights: number[];
  /** Per channel: z1, z2 of both stages. */
  private readonly state: Float64Array;
  /** Weighted sum of squares of each finished 100 ms step. */
  private readonly steps: number[] = [];
  private stepSum = 0;
  private framesSeen = 0;
  private nextStepEnd: number;
  private peak = 0;

  constructor(
    private readonly sampleRate: number,
    private readonly channels: number,
  ) {
    this.filters = kWeighting(sampleRate);
    this.weights = channelWeights(channels);
    this.state = new Float64Array(channels * 4);
    this.nextStepEnd = this.stepBoundary(1);
  }

  /** Frame index where step `n` ends (fractional rates: boundaries at floor(n · rate / 10)). */
  private stepBoundary(n: number): number {
    return Math.floor((n * this.sampleRate) / 10);
  }

  /** Interleaved samples, in order. */
  add(samples: Float32Array, frames: number): void {
    const { channels, state, weights } = this;
    const [s, h] = this.filters;
    // Coefficients in locals: the engine interprets, and a property read per sample costs.
    const sb0 = s.b0, sb1 = s.b1, sb2 = s.b2, sa1 = s.a1, sa2 = s.a2;
    const ha1 = h.a1, ha2 = h.a2;
    let frame = 0;
    while (frame < frames) {
      const until = Math.min(frames, frame + (this.nextStepEnd - this.framesSeen));
      for (let c = 0; c < channels; c++) {
        const weight = weights[c]!;
        let z1 = state[c * 4]!;
        let z2 = state[c * 4 + 1]!;
        let w1 = state[c * 4 + 2]!;
        let w2 = state[c * 4 + 3]!;
        let sum = 0;
        let peak = this.peak;
        for (let i = frame * channels + c, end = until * channels; i < end; i += channels) {
          const x = samples[i]!;
          const magnitude = x < 0 ? -x : x;
          if (magnitude > peak) peak = magnitude;
          const y = sb0 * x + z1;
          z1 = sb1 * x - sa1 * y + z2;
          z2 = sb2 * x - sa2 * y;
          const out = y + w1;
          w1 = -2 * y - ha1 * out + w2;
          w2 = y - ha2 * out;
          sum += out * out;
        }
        this.peak = peak;
        state[c * 4] = z1;
        state[c * 4 + 1] = z2;
        state[c * 4 + 2] = w1;
        state[c * 4 + 3] = w2;
        if (weight !== 0) this.stepSum += weight * sum;
      }
      this.framesSeen += until - frame;
      frame = until;
      if (this.framesSeen === this.nextStepEnd) {
        this.steps.push(this.stepSum);
        this.stepSum = 0;
        this.nextStepEnd = this.stepBoundary(this.steps.length + 1);
      }
    }
  }

  result(): LoudnessResult {
    const blockPowers: number[] = [];
    for (let i = 3; i < this.steps.length; i++) {
      const frames = this.stepBoundary(i + 1) - this.stepBoundary(i - 3);
      blockPowers.push((this.steps[i - 3]! + this.steps[i - 2]! + this.steps[i - 1]! + this.steps[i]!) / frames);
    }
    const loudness = (power: number) => -0.691 + 10 * Math.log10(power);
    const absolute = blockPowers.filter((power) => power > 0 && loudness(power) > -70);
    let integratedLufs: number | null = null;
    let gated = 0;
    if (absolute.length > 0) {
      const relativeGate = loudness(mean(absolute)) - 10;
      const kept = absolute.filter((power) => loudness(power) > relativeGate);
      gated = kept.length;
      integratedLufs = loudness(mean(kept));
    }
    return {
      integratedLufs,
      samplePeak: this.peak,
      samplePeakDbfs: this.peak > 0 ? 20 * Math.log10(this.peak) : null,
      blocks: blockPowers.length,
      gatedBlocks: gated,
    };
  }
}

function mean(values: number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

export async function measureLoudness(source: ByteSource, wav: WavInfo, onChunk?: (framesDone: number) => Promise<void>): Promise<LoudnessResult> {
  const meter = new LoudnessMeter(wav.sampleRate, wav.channels);
  for await (const chunk of readFrames(source, wav)) {
    meter.add(chunk.samples, chunk.frames);
    await onChunk?.(chunk.firstFrame + chunk.frames);
  }
  return meter.result();
}
