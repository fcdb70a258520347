// A WAV that is about to be written: its exact size is known before the first byte (so it can go
// out as one request with Content-Length, or as numbered parts of a multipart upload), and any byte
// range of it can be written on its own — header bytes, runs of silence, and frames read from a
// source (with a gain applied, for normalisation). A range reads only the frames under it, so a
// result can be written part by part across several job steps without reading its inputs again.
import type { ByteSink, ByteSource } from './byte-source.ts';
import { decodeSamples, encodeSamples, readFrameBytes, type WavInfo } from './wav.ts';

export interface WavOutput {
  size: number;
  /** The whole output, in order. */
  write(sink: ByteSink, onProgress?: (fraction: number) => Promise<void>): Promise<void>;
  /** Bytes [start, end) of the output, in order (`onProgress` goes 0–1 over the range). */
  writeRange(start: number, end: number, sink: ByteSink, onProgress?: (fraction: number) => Promise<void>): Promise<void>;
}

export type OutputSegment =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'fill'; length: number; value: number }
  /** Frames [startFrame, endFrame) of `source`, in its own format, each sample times `gain` if given. */
  | { kind: 'frames'; source: ByteSource; wav: WavInfo; startFrame: number; endFrame: number; gain?: number };

const FILL_CHUNK_BYTES = 256 * 1024;

function lengthOf(segment: OutputSegment): number {
  switch (segment.kind) {
    case 'bytes':
      return segment.bytes.length;
    case 'fill':
      return segment.length;
    case 'frames':
      return (segment.endFrame - segment.startFrame) * segment.wav.blockAlign;
  }
}

/** An output made of `segments` one after another. */
export function segmentedOutput(segments: OutputSegment[]): WavOutput {
  const lengths = segments.map(lengthOf);
  const size = lengths.reduce((sum, length) => sum + length, 0);
  const writeRange: WavOutput['writeRange'] = async (start, end, sink, onProgress) => {
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= size)) {
      throw new RangeError(`range [${start}, ${end}) is not within the output's ${size} bytes`);
    }
    const total = Math.max(1, end - start);
    let written = 0;
    const emit = async (bytes: Uint8Array) => {
      if (bytes.length === 0) return;
      await sink(bytes);
      written += bytes.length;
      await onProgress?.(written / total);
    };
    let offset = 0;
    for (const [index, segment] of segments.entries()) {
      const length = lengths[index]!;
      // The part of [start, end) inside this segment, relative to the segment.
      const from = Math.max(start, offset) - offset;
      const to = Math.min(end, offset + length) - offset;
      offset += length;
      if (from >= to) continue;
      if (segment.kind === 'bytes') await emit(segment.bytes.subarray(from, to));
      else if (segment.kind === 'fill') {
        const run = new Uint8Array(Math.min(to - from, FILL_CHUNK_BYTES)).fill(segment.value);
        for (let left = to - from; left > 0; left -= run.length) await emit(left >= run.length ? run : run.subarray(0, left));
      } else await writeFrames(segment, from, to, emit);
    }
  };
  return {
    size,
    writeRange,
    write: (sink, onProgress) => writeRange(0, size, sink, onProgress),
  };
}

/** Segment bytes [from, to) of a frames segment: whole frames are read, the ends cut to the byte. */
async function writeFrames(segment: Extract<OutputSegment, { kind: 'frames' }>, from: number, to: number, emit: (bytes: Uint8Array) => Promise<void>): Promise<void> {
  const { wav, source, gain } = segment;
  const align = wav.blockAlign;
  const firstFrame = segment.startFrame + Math.floor(from / align);
  const endFrame = segment.startFrame + Math.ceil(to / align);
  let samples: Float32Array | undefined;
  let out: Uint8Array | undefined;
  for await (const chunk of readFrameBytes(source, wav, { startFrame: firstFrame, endFrame })) {
    let bytes = chunk.bytes;
    if (gain !== undefined) {
      samples = decodeSamples(bytes, wav, samples);
      if (!out || out.length < bytes.length) out = new Uint8Array(bytes.length);
      encodeSamples(samples.subarray(0, chunk.frames * wav.channels), wav, out.subarray(0, bytes.length), gain);
      bytes = out.subarray(0, bytes.length);
    }
    // Where this chunk sits in the segment, and the part of it inside [from, to).
    const chunkStart = (chunk.firstFrame - segment.startFrame) * align;
    await emit(bytes.subarray(Math.max(0, from - chunkStart), Math.min(bytes.length, to - chunkStart)));
  }
}
