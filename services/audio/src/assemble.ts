// An audiobook from chapter WAVs: the chapters' samples one after another in one WAV, a cue point
// at the start of each chapter labelled with its title (`cue ` + `LIST`/`adtl`/`labl`, before the
// data so the file streams out header first), and the chapter list. Chapters must share one format
// (encoding, bits, channels, rate): a mismatch is refused with `format_mismatch` naming the chapter
// — never resampled or converted silently, so the book is bit-exact to its recordings.
import { AudioError } from './audio-error.ts';
import type { ByteSource } from './byte-source.ts';
import { type OutputSegment, segmentedOutput, type WavOutput } from './wav-output.ts';
import { wavHeader, type WavInfo } from './wav.ts';

export interface ChapterInput {
  title: string;
  source: ByteSource;
  wav: WavInfo;
}

export interface Chapter {
  index: number;
  title: string;
  startFrame: number;
  frames: number;
  startSeconds: number;
  durationSeconds: number;
}

export interface AssemblePlan {
  chapters: Chapter[];
  frames: number;
  durationSeconds: number;
  output: WavOutput;
}

const describe = (wav: WavInfo) => `${wav.encoding === 'pcm' ? 'PCM' : 'float'} ${wav.bitsPerSample}-bit, ${wav.channels} ch, ${wav.sampleRate} Hz`;

export function planAssemble(inputs: ChapterInput[], options: { gapSeconds?: number; markers?: boolean } = {}): AssemblePlan {
  if (inputs.length === 0) throw new AudioError('invalid_range', 'no chapters');
  const first = inputs[0]!.wav;
  inputs.forEach((input, index) => {
    const wav = input.wav;
    if (wav.encoding !== first.encoding || wav.bitsPerSample !== first.bitsPerSample || wav.channels !== first.channels || wav.sampleRate !== first.sampleRate) {
      throw new AudioError('format_mismatch', `chapter ${index + 1} (${JSON.stringify(input.title)}) is ${describe(wav)}; chapter 1 is ${describe(first)} — convert the recordings to one format`);
    }
  });
  const gapFrames = Math.round((options.gapSeconds ?? 0) * first.sampleRate);
  const chapters: Chapter[] = [];
  let frame = 0;
  inputs.forEach((input, index) => {
    if (index > 0) frame += gapFrames;
    chapters.push({
      index: index + 1,
      title: input.title,
      startFrame: frame,
      frames: input.wav.frames,
      startSeconds: frame / first.sampleRate,
      durationSeconds: input.wav.durationSeconds,
    });
    frame += input.wav.frames;
  });
  const dataBytes = frame * first.blockAlign;
  const format = { ...first, extensible: first.extensible, channelMask: first.channelMask };
  const cues = options.markers === false ? [] : chapters.map((chapter) => ({ id: chapter.index, frame: chapter.startFrame, label: chapter.title }));
  const header = wavHeader(format, dataBytes, cues);
  const silentByte = first.encoding === 'pcm' && first.bitsPerSample === 8 ? 128 : 0;
  const segments: OutputSegment[] = [{ kind: 'bytes', bytes: header }];
  inputs.forEach((input, index) => {
    if (index > 0 && gapFrames > 0) segments.push({ kind: 'fill', length: gapFrames * first.blockAlign, value: silentByte });
    segments.push({ kind: 'frames', source: input.source, wav: input.wav, startFrame: 0, endFrame: input.wav.frames });
  });
  if (dataBytes % 2) segments.push({ kind: 'fill', length: 1, value: 0 });
  return { chapters, frames: frame, durationSeconds: frame / first.sampleRate, output: segmentedOutput(segments) };
}
