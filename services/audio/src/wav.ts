// WAV (RIFF and RF64) read from ranged reads and written as streams: the header parser, the sample
// codec for every PCM/float layout, and the header writer (with cue points and labels).
// Reference: Microsoft's RIFF/WAVE and WAVE_FORMAT_EXTENSIBLE layouts; EBU Tech 3306 for RF64.
import { AudioError } from './audio-error.ts';
import type { ByteSource } from './byte-source.ts';

export type SampleEncoding = 'pcm' | 'float';

export interface WavFormat {
  encoding: SampleEncoding;
  /** Container bits per sample (8, 16, 24, 32 for PCM; 32 or 64 for float). */
  bitsPerSample: number;
  channels: number;
  sampleRate: number;
  /** 0 when the file does not say (plain WAVE_FORMAT_PCM). */
  channelMask: number;
  extensible: boolean;
}

export interface CuePoint {
  id: number;
  /** Sample frame where the point sits. */
  frame: number;
  label?: string;
}

export interface WavInfo extends WavFormat {
  container: 'riff' | 'rf64';
  blockAlign: number;
  /** Byte offset of the first sample in the file. */
  dataOffset: number;
  /** Bytes of whole frames in the data chunk. */
  dataBytes: number;
  frames: number;
  /** frames / sampleRate, exact. */
  durationSeconds: number;
  cues: CuePoint[];
  chunks: { id: string; offset: number; size: number }[];
}

export const MAX_CHANNELS = 32;
export const MIN_SAMPLE_RATE = 1;
export const MAX_SAMPLE_RATE = 768_000;
const MAX_CHUNKS = 256;
const HEAD_BYTES = 64 * 1024;
const MAX_CUE_POINTS = 10_000;
/** Bytes of cue/LIST chunks the parser will read (labels of a long audiobook fit easily). */
const MAX_METADATA_CHUNK_BYTES = 1024 * 1024;
const UNKNOWN_SIZE = 0xffffffff;

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** The 14 bytes after the format tag in every KSDATAFORMAT_SUBTYPE_* GUID of the WAVE family. */
const SUBTYPE_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

const FORMAT_NAMES: Record<number, string> = {
  2: 'Microsoft ADPCM',
  6: 'A-law',
  7: 'µ-law',
  0x11: 'IMA ADPCM',
  0x31: 'GSM 6.10',
  0x55: 'MPEG layer 3',
};

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
}

/** True when the bytes start like a RIFF/RF64 WAVE file. */
export function looksLikeWav(head: Uint8Array): boolean {
  if (head.length < 12) return false;
  const id = fourcc(head, 0);
  return (id === 'RIFF' || id === 'RF64' || id === 'BW64') && fourcc(head, 8) === 'WAVE';
}

/** Reads exactly [start, end) or fails as corrupt (the file ends before what its header declares). */
async function readExactly(source: ByteSource, start: number, end: number, what: string): Promise<Uint8Array> {
  if (end > source.size) throw new AudioError('corrupt_audio', `the ${what} runs past the end of the file (${end} > ${source.size} bytes)`);
  const bytes = await source.read(start, end);
  if (bytes.length !== end - start) throw new AudioError('corrupt_audio', `the ${what} could not be read whole (${bytes.length} of ${end - start} bytes)`);
  return bytes;
}

/**
 * Parses a WAV file's chunks from ranged reads (the first 64 KiB, then only chunk headers and the
 * metadata chunks it needs). Refuses, with a code: an empty file (`empty_audio`); not RIFF/RF64
 * WAVE, or a sample format other than PCM 8/16/24/32 and float 32/64 (`unsupported_format`); a
 * header that is inconsistent, truncated or declares more data than the file holds (`corrupt_audio`).
 * `streamed`: the bytes come from a writer that could not seek back to fill the sizes in (espeak-ng
 * writes 0x7ffff000, others 0 or 0xffffffff): a data chunk that overruns the end runs to the end.
 * Only for audio this service asked a server for, never for a user's file.
 */
export async function parseWav(source: ByteSource, options: { streamed?: boolean } = {}): Promise<WavInfo> {
  if (source.size === 0) throw new AudioError('empty_audio', 'the file is empty');
  const head = await source.read(0, Math.min(source.size, HEAD_BYTES));
  if (head.length < 12) throw new AudioError('corrupt_audio', `the file is ${source.size} bytes, too short for a WAV header`);
  if (!looksLikeWav(head)) throw new AudioError('unsupported_format', 'not a WAV file (no RIFF/RF64 WAVE header)');
  const container = fourcc(head, 0) === 'RIFF' ? 'riff' : 'rf64';
  const headView = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const riffSize32 = headView.getUint32(4, true);

  const chunkHeader = async (at: number): Promise<{ id: string; size32: number }> => {
    const bytes = at + 8 <= head.length ? head.subarray(at, at + 8) : await readExactly(source, at, at + 8, 'chunk header');
    return { id: fourcc(bytes, 0), size32: new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, true) };
  };
  const chunkBody = (at: number, size: number, what: string) =>
    at + size <= head.length ? Promise.resolve(head.subarray(at, at + size)) : readExactly(source, at, at + size, what);

  let riffEnd = riffSize32 + 8;
  let ds64: { riffSize: number; dataSize: number } | null = null;
  let fmt: Omit<WavFormat, never> & { blockAlign: number } | null = null;
  let data: { offset: number; size: number } | null = null;
  const chunks: WavInfo['chunks'] = [];
  const cueFrames = new Map<number, number>();
  const labels = new Map<number, string>();

  let at = 12;
  while (at + 8 <= source.size && chunks.length < MAX_CHUNKS) {
    const { id, size32 } = await chunkHeader(at);
    let size = size32;
    if (container === 'rf64' && ds64 && size32 === UNKNOWN_SIZE && id === 'data') size = ds64.dataSize;
    const body = at + 8;
    chunks.push({ id, offset: at, size });
    if (id === 'ds64') {
      if (container !== 'rf64') throw new AudioError('corrupt_audio', 'a ds64 chunk in a RIFF file');
      if (size < 24) throw new AudioError('corrupt_audio', `ds64 chunk of ${size} bytes (at least 24)`);
      const bytes = await chunkBody(body, 24, 'ds64 chunk');
      const view = new DataView(bytes.buffer, bytes.byteOffset, 24);
      ds64 = { riffSize: readUint64(view, 0), dataSize: readUint64(view, 8) };
      riffEnd = ds64.riffSize + 8;
    } else if (id === 'fmt ') {
      if (size < 16) throw new AudioError('corrupt_audio', `fmt chunk of ${size} bytes (at least 16)`);
      if (size > 1024) throw new AudioError('corrupt_audio', `fmt chunk of ${size} bytes`);
      fmt = parseFmt(await chunkBody(body, size, 'fmt chunk'));
    } else if (id === 'data') {
      if (!fmt) throw new AudioError('corrupt_audio', 'the data chunk comes before the fmt chunk');
      if (container === 'rf64' && size32 === UNKNOWN_SIZE && !ds64) throw new AudioError('corrupt_audio', 'an RF64 data chunk without a ds64 chunk');
      if (container === 'riff' && size32 === UNKNOWN_SIZE) {
        // Written by a streaming encoder that never came back to fill the size in: the data runs to the end.
        size = source.size - body;
        chunks[chunks.length - 1]!.size = size;
      }
      if (options.streamed && (body + size > source.size || size === 0)) {
        size = source.size - body;
        chunks[chunks.length - 1]!.size = size;
        riffEnd = Math.max(riffEnd, body + size);
      }
      if (body + size > source.size) {
        throw new AudioError('corrupt_audio', `the data chunk declares ${size} bytes but the file holds ${source.size - body} after its header (truncated, or the header lies about its size)`);
      }
      data = { offset: body, size };
    } else if (id === 'cue ' && size <= MAX_METADATA_CHUNK_BYTES && body + size <= source.size) {
      readCues(await chunkBody(body, size, 'cue chunk'), cueFrames);
    } else if (id === 'LIST' && size >= 4 && size <= MAX_METADATA_CHUNK_BYTES && body + size <= source.size) {
      const bytes = await chunkBody(body, size, 'LIST chunk');
      if (fourcc(bytes, 0) === 'adtl') readLabels(bytes, labels);
    }
    const next = body + size + (size % 2);
    if (next <= at) throw new AudioError('corrupt_audio', `chunk ${JSON.stringify(id)} has a size that does not advance`);
    at = next;
  }

  if (!fmt) throw new AudioError('corrupt_audio', 'no fmt chunk');
  if (!data) throw new AudioError('corrupt_audio', 'no data chunk (the file is truncated or not audio)');
  if (riffEnd < data.offset + data.size && riffSize32 !== UNKNOWN_SIZE && riffSize32 !== 0) {
    throw new AudioError('corrupt_audio', `the ${container.toUpperCase()} header declares ${riffEnd} bytes but its data chunk ends at ${data.offset + data.size}`);
  }
  const frames = Math.floor(data.size / fmt.blockAlign);
  const cues: CuePoint[] = [...cueFrames.entries()]
    .map(([id, frame]) => ({ id, frame, ...(labels.has(id) ? { label: labels.get(id)! } : {}) }))
    .sort((a, b) => a.frame - b.frame || a.id - b.id);
  return {
    ...fmt,
    container,
    dataOffset: data.offset,
    dataBytes: frames * fmt.blockAlign,
    frames,
    durationSeconds: frames / fmt.sampleRate,
    cues,
    chunks,
  };
}

function readUint64(view: DataView, at: number): number {
  const value = view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
  if (!Number.isSafeInteger(value)) throw new AudioError('corrupt_audio', 'a 64-bit size beyond 2^53');
  return value;
}

function parseFmt(bytes: Uint8Array): WavFormat & { blockAlign: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let tag = view.getUint16(0, true);
  const channels = view.getUint16(2, true);
  const sampleRate = view.getUint32(4, true);
  const blockAlign = view.getUint16(12, true);
  const bitsPerSample = view.getUint16(14, true);
  let channelMask = 0;
  const extensible = tag === WAVE_FORMAT_EXTENSIBLE;
  if (extensible) {
    if (bytes.length < 40 || view.getUint16(16, true) < 22) throw new AudioError('corrupt_audio', 'WAVE_FORMAT_EXTENSIBLE without its 22-byte extension');
    channelMask = view.getUint32(20, true);
    tag = view.getUint16(24, true);
    for (let i = 0; i < SUBTYPE_TAIL.length; i++) {
      if (bytes[26 + i] !== SUBTYPE_TAIL[i]) throw new AudioError('unsupported_format', 'WAVE_FORMAT_EXTENSIBLE with a sub-format outside the WAVE family');
    }
  }
  const encoding: SampleEncoding | null = tag === WAVE_FORMAT_PCM ? 'pcm' : tag === WAVE_FORMAT_IEEE_FLOAT ? 'float' : null;
  if (!encoding) throw new AudioError('unsupported_format', `WAV sample format ${FORMAT_NAMES[tag] ?? `0x${tag.toString(16)}`} is not supported (PCM and IEEE float only)`);
  if (channels < 1 || channels > MAX_CHANNELS) throw new AudioError(channels < 1 ? 'corrupt_audio' : 'unsupported_format', `${channels} channels (1–${MAX_CHANNELS})`);
  if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) throw new AudioError(sampleRate < 1 ? 'corrupt_audio' : 'unsupported_format', `sample rate ${sampleRate} Hz (1–${MAX_SAMPLE_RATE})`);
  const supportedBits = encoding === 'pcm' ? [8, 16, 24, 32] : [32, 64];
  if (!supportedBits.includes(bitsPerSample)) throw new AudioError('unsupported_format', `${bitsPerSample}-bit ${encoding === 'pcm' ? 'PCM' : 'float'} (supported: ${supportedBits.join(', ')})`);
  if (blockAlign !== channels * (bitsPerSample / 8)) throw new AudioError('corrupt_audio', `block align ${blockAlign} does not match ${channels} channels of ${bitsPerSample} bits`);
  return { encoding, bitsPerSample, channels, sampleRate, channelMask, extensible, blockAlign };
}

function readCues(bytes: Uint8Array, into: Map<number, number>): void {
  if (bytes.length < 4) return;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = Math.min(view.getUint32(0, true), MAX_CUE_POINTS, Math.floor((bytes.length - 4) / 24));
  for (let i = 0; i < count; i++) {
    const at = 4 + i * 24;
    into.set(view.getUint32(at, true), view.getUint32(at + 20, true));
  }
}

function readLabels(bytes: Uint8Array, into: Map<number, string>): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder();
  let at = 4;
  while (at + 8 <= bytes.length) {
    const id = fourcc(bytes, at);
    const size = view.getUint32(at + 4, true);
    if (at + 8 + size > bytes.length) break;
    if ((id === 'labl' || id === 'note') && size >= 4 && id === 'labl') {
      let end = at + 12;
      const limit = at + 8 + size;
      while (end < limit && bytes[end] !== 0) end++;
      into.set(view.getUint32(at + 8, true), decoder.decode(bytes.subarray(at + 12, end)));
    }
    at += 8 + size + (size % 2);
  }
}

// --- samples -------------------------------------------------------------------------------

/**
 * Decodes whole frames of interleaved samples into floats in [-1, 1) (integers divided by 2^(bits−1);
 * 8-bit is unsigned around 128). `bytes` must hold a whole number of frames.
 */
export function decodeSamples(bytes: Uint8Array, format: WavFormat, out?: Float32Array): Float32Array {
  const bytesPerSample = format.bitsPerSample / 8;
  const count = Math.floor(bytes.length / bytesPerSample);
  const samples = out && out.length >= count ? out.subarray(0, count) : new Float32Array(count);
  // A typed view needs an aligned offset: copy when the chunk is not aligned (ranged reads usually are).
  const aligned = bytes.byteOffset % bytesPerSample === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset } = aligned;
  if (format.encoding === 'float') {
    const view = format.bitsPerSample === 32 ? new Float32Array(buffer, byteOffset, count) : new Float64Array(buffer, byteOffset, count);
    for (let i = 0; i < count; i++) samples[i] = view[i]!;
    return samples;
  }
  switch (format.bitsPerSample) {
    case 8:
      for (let i = 0; i < count; i++) samples[i] = (aligned[i]! - 128) / 128;
      break;
    case 16: {
      const view = new Int16Array(buffer, byteOffset, count);
      for (let i = 0; i < count; i++) samples[i] = view[i]! / 32768;
      break;
    }
    case 24:
      for (let i = 0, b = 0; i < count; i++, b += 3) {
        const value = aligned[b]! | (aligned[b + 1]! << 8) | (aligned[b + 2]! << 16);
        samples[i] = ((value << 8) >> 8) / 8388608;
      }
      break;
    case 32: {
      const view = new Int32Array(buffer, byteOffset, count);
      for (let i = 0; i < count; i++) samples[i] = view[i]! / 2147483648;
      break;
    }
  }
  return samples;
}

/**
 * Encodes floats (times `gain`) as the format's samples: integers rounded (half away from zero) and
 * clipped to their range, floats as is. Returns how many samples were clipped (a gain that clips is
 * reported, not hidden). `Math.round` and a separate gain loop cost the engine twice as much.
 */
export function encodeSamples(samples: Float32Array, format: WavFormat, out: Uint8Array, gain = 1): number {
  const count = samples.length;
  const { buffer, byteOffset } = out;
  let clipped = 0;
  if (format.encoding === 'float') {
    const view = format.bitsPerSample === 32 ? new Float32Array(buffer, byteOffset, count) : new Float64Array(buffer, byteOffset, count);
    for (let i = 0; i < count; i++) view[i] = samples[i]! * gain;
    return 0;
  }
  const bits = format.bitsPerSample;
  const scale = 2 ** (bits - 1) * gain;
  const max = 2 ** (bits - 1) - 1;
  const min = -(2 ** (bits - 1));
  const write =
    bits === 16 ? new Int16Array(buffer, byteOffset, count) : bits === 32 ? new Int32Array(buffer, byteOffset, count) : null;
  for (let i = 0, b = 0; i < count; i++, b += 3) {
    let v = samples[i]! * scale;
    if (v > max) {
      v = max;
      clipped++;
    } else if (v < min) {
      v = min;
      clipped++;
    }
    const value = v < 0 ? (v - 0.5) | 0 : (v + 0.5) | 0;
    if (write) write[i] = value;
    else if (bits === 8) out[i] = value + 128;
    else {
      out[b] = value & 0xff;
      out[b + 1] = (value >> 8) & 0xff;
      out[b + 2] = (value >> 16) & 0xff;
    }
  }
  return clipped;
}

// --- reading the data chunk in chunks ------------------------------------------------------------

/** About 256 KiB per read: few ranged requests, small memory. */
export const DEFAULT_CHUNK_BYTES = 256 * 1024;

/**
 * The raw bytes of frames [startFrame, endFrame), in reads of about `chunkBytes` (whole frames).
 * Each yielded array is only valid until the next one is asked for.
 */
export async function* readFrameBytes(
  source: ByteSource,
  wav: WavInfo,
  options: { startFrame?: number; endFrame?: number; chunkBytes?: number } = {},
): AsyncGenerator<{ bytes: Uint8Array; firstFrame: number; frames: number }> {
  const startFrame = options.startFrame ?? 0;
  const endFrame = Math.min(options.endFrame ?? wav.frames, wav.frames);
  const framesPerChunk = Math.max(1, Math.floor((options.chunkBytes ?? source.chunkBytes ?? DEFAULT_CHUNK_BYTES) / wav.blockAlign));
  for (let frame = startFrame; frame < endFrame; frame += framesPerChunk) {
    const frames = Math.min(framesPerChunk, endFrame - frame);
    const start = wav.dataOffset + frame * wav.blockAlign;
    const bytes = await readExactly(source, start, start + frames * wav.blockAlign, 'data chunk');
    yield { bytes, firstFrame: frame, frames };
  }
}

/** Decoded interleaved samples of frames [startFrame, endFrame), chunk by chunk. */
export async function* readFrames(
  source: ByteSource,
  wav: WavInfo,
  options: { startFrame?: number; endFrame?: number; chunkBytes?: number } = {},
): AsyncGenerator<{ samples: Float32Array; firstFrame: number; frames: number }> {
  let scratch: Float32Array | undefined;
  for await (const chunk of readFrameBytes(source, wav, options)) {
    scratch = decodeSamples(chunk.bytes, wav, scratch);
    yield { samples: scratch, firstFrame: chunk.firstFrame, frames: chunk.frames };
  }
}

// --- writing ---------------------------------------------------------------------------------

/** The largest data chunk a RIFF WAV can describe (its sizes are 32-bit). */
export const MAX_RIFF_DATA_BYTES = 0xffffffff - 4096;

/**
 * A WAV header for `dataBytes` of samples in `format`, with optional cue points and their labels
 * (a `cue ` chunk and a `LIST`/`adtl` of `labl`s, placed before the data so the whole file can be
 * streamed: header first, then samples). The data bytes follow it directly.
 */
export function wavHeader(format: WavFormat, dataBytes: number, cues: CuePoint[] = []): Uint8Array {
  if (dataBytes > MAX_RIFF_DATA_BYTES) throw new AudioError('audio_too_large', `${dataBytes} bytes of samples do not fit a RIFF WAV (4 GiB)`);
  const encoder = new TextEncoder();
  const blockAlign = format.channels * (format.bitsPerSample / 8);
  const tag = format.encoding === 'pcm' ? WAVE_FORMAT_PCM : WAVE_FORMAT_IEEE_FLOAT;
  const fmtSize = format.extensible ? 40 : format.encoding === 'float' ? 18 : 16;
  const cueSize = cues.length > 0 ? 4 + cues.length * 24 : 0;
  const labels = cues.filter((cue) => cue.label !== undefined).map((cue) => ({ id: cue.id, text: encoder.encode(cue.label!) }));
  const labelSize = (text: Uint8Array) => 4 + text.length + 1;
  const listSize = labels.length > 0 ? 4 + labels.reduce((sum, label) => sum + 8 + labelSize(label.text) + (labelSize(label.text) % 2), 0) : 0;
  const headerSize = 12 + 8 + fmtSize + (cueSize ? 8 + cueSize : 0) + (listSize ? 8 + listSize : 0) + 8;
  const out = new Uint8Array(headerSize);
  const view = new DataView(out.buffer);
  let at = 0;
  const id = (text: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = text.charCodeAt(i);
    at += 4;
  };
  const u32 = (value: number) => {
    view.setUint32(at, value, true);
    at += 4;
  };
  const u16 = (value: number) => {
    view.setUint16(at, value, true);
    at += 2;
  };
  id('RIFF');
  u32(headerSize - 8 + dataBytes + (dataBytes % 2));
  id('WAVE');
  id('fmt ');
  u32(fmtSize);
  u16(format.extensible ? WAVE_FORMAT_EXTENSIBLE : tag);
  u16(format.channels);
  u32(format.sampleRate);
  u32(format.sampleRate * blockAlign);
  u16(blockAlign);
  u16(format.bitsPerSample);
  if (format.extensible) {
    u16(22);
    u16(format.bitsPerSample);
    u32(format.channelMask);
    u16(tag);
    for (const byte of SUBTYPE_TAIL) out[at++] = byte;
  } else if (format.encoding === 'float') {
    u16(0);
  }
  if (cueSize) {
    id('cue ');
    u32(cueSize);
    u32(cues.length);
    for (const cue of cues) {
      u32(cue.id);
      u32(cue.frame);
      id('data');
      u32(0);
      u32(0);
      u32(cue.frame);
    }
  }
  if (listSize) {
    id('LIST');
    u32(listSize);
    id('adtl');
    for (const label of labels) {
      const size = labelSize(label.text);
      id('labl');
      u32(size);
      u32(label.id);
      out.set(label.text, at);
      at += label.text.length + 1 + (size % 2);
    }
  }
  id('data');
  u32(dataBytes);
  return out;
}

/** A whole WAV in memory (tests, fixtures). */
export function encodeWav(format: WavFormat, samples: Float32Array, cues: CuePoint[] = []): Uint8Array {
  const bytesPerSample = format.bitsPerSample / 8;
  const data = new Uint8Array(samples.length * bytesPerSample);
  encodeSamples(samples, format, data);
  const header = wavHeader(format, data.length, cues);
  const out = new Uint8Array(header.length + data.length + (data.length % 2));
  out.set(header);
  out.set(data, header.length);
  return out;
}
