// Normalisation of a WAV: one pass to measure (sample peak and EBU R128 integrated loudness),
// one pass to apply a constant gain and write the same format. No limiter: a loudness target
// whose gain would push the peak over `ceilingDbfs` is held back to the ceiling, and the result
// says so (`limitedByCeiling`), rather than clipping or compressing behind the user's back.
import { AudioError } from './audio-error.ts';
import type { ByteSource } from './byte-source.ts';
import { type LoudnessResult, measureLoudness } from './loudness.ts';
import type { WavOutput } from './wav-output.ts';
import { encodeSamples, readFrames, wavHeader, type WavInfo } from './wav.ts';

export type NormaliseTarget = { mode: 'peak'; peakDbfs: number } | { mode: 'loudness'; lufs: number; ceilingDbfs: number };

export interface NormalisePlan {
  measured: LoudnessResult;
  gainDb: number;
  limitedByCeiling: boolean;
  output: WavOutput;
}

export async function planNormalise(source: ByteSource, wav: WavInfo, target: NormaliseTarget, onProgress?: (fraction: number) => Promise<void>): Promise<NormalisePlan> {
  const measured = await measureLoudness(source, wav, onProgress && ((done) => onProgress(done / Math.max(1, wav.frames))));
  if (measured.samplePeakDbfs === null) throw new AudioError('silent_audio', 'the audio is digital silence: there is nothing to normalise');
  let gainDb: number;
  let limitedByCeiling = false;
  if (target.mode === 'peak') {
    gainDb = target.peakDbfs - measured.samplePeakDbfs;
  } else {
    if (measured.integratedLufs === null) throw new AudioError('silent_audio', 'no 400 ms block is above −70 LUFS: loudness cannot be measured');
    gainDb = target.lufs - measured.integratedLufs;
    const headroom = target.ceilingDbfs - measured.samplePeakDbfs;
    if (gainDb > headroom) {
      gainDb = headroom;
      limitedByCeiling = true;
    }
  }
  return { measured, gainDb, limitedByCeiling, output: gainOutput(source, wav, gainDb) };
}

/** The input with every sample multiplied by 10^(gainDb/20), in its own format (fmt + data only). */
export function gainOutput(source: ByteSource, wav: WavInfo, gainDb: number): WavOutput {
  const header = wavHeader(wav, wav.dataBytes);
  const gain = 10 ** (gainDb / 20);
  return {
    size: header.length + wav.dataBytes + (wav.dataBytes % 2),
    async write(sink, onProgress) {
      await sink(header);
      let out: Uint8Array | undefined;
      for await (const chunk of readFrames(source, wav)) {
        const bytes = chunk.frames * wav.blockAlign;
        if (!out || out.length < bytes) out = new Uint8Array(bytes);
        encodeSamples(chunk.samples.subarray(0, chunk.frames * wav.channels), wav, out.subarray(0, bytes), gain);
        await sink(out.subarray(0, bytes));
        await onProgress?.((chunk.firstFrame + chunk.frames) / wav.frames);
      }
      if (wav.dataBytes % 2) await sink(new Uint8Array(1));
    },
  };
}
