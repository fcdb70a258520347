// An audiobook from chapter WAVs: the chapters' samples one after another in one WAV, a cue point
// at the start of each chapter labelled with its title (`cue ` + `LIST`/`adtl`/`labl`, before the
// data so the file streams out header first), and the chapter list. Chapters must share one format
// (encoding, bits, channels, rate): a mismatch is refused with `format_mismatch` naming the chapter
// — never resampled or converted silently, so the book is bit-exact to its recordings.
import { AudioError } from './audio-error.ts';
import type { ByteSource } from './byte-source.ts';
import type { WavOutput } from './wav-output.ts';
import { readFrameBytes, wavHeader, type WavInfo } from './wav.ts';

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
  return {
    chapters,
    frames: frame,
    durationSeconds: frame / first.sampleRate,
    output: {
      size: header.length + dataBytes + (dataBytes % 2),
      async write(sink, onProgress) {
        await sink(header);
        let written = 0;
        for (const [index, input] of inputs.entries()) {
          if (index > 0 && gapFrames > 0) {
            const gap = new Uint8Array(Math.min(gapFrames * first.blockAlign, 256 * 1024)).fill(silentByte);
            for (let left = gapFrames * first.blockAlign; left > 0; left -= gap.length) await sink(left >= gap.length ? gap : gap.subarray(0, left));
            written += gapFrames;
          }
          for await (const chunk of readFrameBytes(input.source, input.wav)) {
            await sink(chunk.bytes);
            await onProgress?.((written + chunk.firstFrame + chunk.frames) / frame);
          }
          written += input.wav.frames;
        }
        if (dataBytes % 2) await sink(new Uint8Array(1));
      },
    },
  };
}
