// Trimming a WAV: to a time range, and/or of the silence at both ends (every channel below a
// threshold), keeping a little padding. Finding the silence is one decoding pass; the output copies
// the kept frames' bytes untouched (no re-encoding, bit-exact).
import { AudioError } from './audio-error.ts';
import type { ByteSource } from './byte-source.ts';
import { type OutputSegment, segmentedOutput, type WavOutput } from './wav-output.ts';
import { readFrames, wavHeader, type WavInfo } from './wav.ts';

export interface TrimOptions {
  startSeconds?: number;
  endSeconds?: number;
  silence?: { thresholdDbfs: number; paddingSeconds: number };
}

export interface TrimPlan {
  startFrame: number;
  endFrame: number;
  startSeconds: number;
  durationSeconds: number;
  output: WavOutput;
}

export async function planTrim(source: ByteSource, wav: WavInfo, options: TrimOptions, onProgress?: (fraction: number) => Promise<void>): Promise<TrimPlan> {
  const { startFrame, endFrame } = await trimFrames(source, wav, options, onProgress);
  return trimOutput(source, wav, startFrame, endFrame);
}

/** The frames [startFrame, endFrame) a trim keeps: the range asked for, narrowed to the sound in it. */
export async function trimFrames(source: ByteSource, wav: WavInfo, options: TrimOptions, onProgress?: (fraction: number) => Promise<void>): Promise<{ startFrame: number; endFrame: number }> {
  let startFrame = Math.round((options.startSeconds ?? 0) * wav.sampleRate);
  let endFrame = options.endSeconds === undefined ? wav.frames : Math.round(options.endSeconds * wav.sampleRate);
  if (startFrame >= wav.frames) throw new AudioError('invalid_range', `start ${options.startSeconds} s is at or past the end (${wav.durationSeconds.toFixed(3)} s)`);
  endFrame = Math.min(endFrame, wav.frames);
  if (endFrame <= startFrame) throw new AudioError('invalid_range', 'the range to keep is empty (end ≤ start)');

  if (options.silence) {
    const threshold = 10 ** (options.silence.thresholdDbfs / 20);
    let first = -1;
    let last = -1;
    const channels = wav.channels;
    const span = endFrame - startFrame;
    for await (const chunk of readFrames(source, wav, { startFrame, endFrame })) {
      const samples = chunk.samples;
      for (let i = 0; i < samples.length; i++) {
        const value = samples[i]!;
        if (value > threshold || value < -threshold) {
          const frame = chunk.firstFrame + Math.floor(i / channels);
          if (first < 0) first = frame;
          last = frame;
          // Only the last loud frame of the chunk matters from here: scan it from the end.
          for (let j = samples.length - 1; j > i; j--) {
            const tail = samples[j]!;
            if (tail > threshold || tail < -threshold) {
              last = chunk.firstFrame + Math.floor(j / channels);
              break;
            }
          }
          break;
        }
      }
      await onProgress?.((chunk.firstFrame + chunk.frames - startFrame) / span);
    }
    if (first < 0) throw new AudioError('silent_audio', `everything in the range is below ${options.silence.thresholdDbfs} dBFS`);
    const padding = Math.round(options.silence.paddingSeconds * wav.sampleRate);
    startFrame = Math.max(startFrame, first - padding);
    endFrame = Math.min(endFrame, last + 1 + padding);
  }

  return { startFrame, endFrame };
}

/** Frames [startFrame, endFrame) of the input as a WAV of their own (bytes copied, bit-exact). */
export function trimOutput(source: ByteSource, wav: WavInfo, startFrame: number, endFrame: number): TrimPlan {
  if (!(Number.isSafeInteger(startFrame) && Number.isSafeInteger(endFrame) && startFrame >= 0 && startFrame < endFrame && endFrame <= wav.frames)) {
    throw new AudioError('invalid_range', `frames ${startFrame}–${endFrame} are not within the input's ${wav.frames}`);
  }
  const dataBytes = (endFrame - startFrame) * wav.blockAlign;
  const header = wavHeader(wav, dataBytes);
  const segments: OutputSegment[] = [
    { kind: 'bytes', bytes: header },
    { kind: 'frames', source, wav, startFrame, endFrame },
  ];
  if (dataBytes % 2) segments.push({ kind: 'fill', length: 1, value: 0 });
  return {
    startFrame,
    endFrame,
    startSeconds: startFrame / wav.sampleRate,
    durationSeconds: (endFrame - startFrame) / wav.sampleRate,
    output: segmentedOutput(segments),
  };
}
