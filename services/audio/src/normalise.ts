// Normalisation of a WAV: one pass to measure (sample peak and EBU R128 integrated loudness),
// one pass to apply a constant gain and write the same format. No limiter: a loudness target
// whose gain would push the peak over `ceilingDbfs` is held back to the ceiling, and the result
// says so (`limitedByCeiling`), rather than clipping or compressing behind the user's back.
import { AudioError } from './audio-error.ts';
import type { ByteSource } from './byte-source.ts';
import { type LoudnessResult, measureLoudness } from './loudness.ts';
import { type OutputSegment, segmentedOutput, type WavOutput } from './wav-output.ts';
import { wavHeader, type WavInfo } from './wav.ts';

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
  const segments: OutputSegment[] = [
    { kind: 'bytes', bytes: wavHeader(wav, wav.dataBytes) },
    { kind: 'frames', source, wav, startFrame: 0, endFrame: wav.frames, gain: 10 ** (gainDb / 20) },
  ];
  if (wav.dataBytes % 2) segments.push({ kind: 'fill', length: 1, value: 0 });
  return segmentedOutput(segments);
}
