// Video probe: container, duration, dimensions, rotation, frame rate, codecs and bitrates of an
// MP4, MOV, WebM or Matroska file, from ranged reads of it. mediabunny (pure TypeScript, no Node
// built-ins, measured inside the component: docs/decisions.md) demuxes the metadata; the outer
// structure is checked first against the file's size (container-check.ts), and every read goes
// through a budget (range-reader.ts), so a hostile file costs at most the budget.
import { Input, MATROSKA, MP4, QTFF, WEBM, CustomSource, type InputAudioTrack, type InputVideoTrack } from 'mediabunny';
import { z } from 'zod';
import { checkContainer } from './container-check.ts';
import { budgetedReader, type RangeReader, type ReadBudget } from './range-reader.ts';
import { VideoError } from './video-error.ts';

export const VideoStream = z.object({
  /** ffprobe's codec names: h264, hevc, vp8, vp9, av1, prores; `unknown` when the demuxer does not know it. */
  codec: z.string(),
  /** The RFC 6381 codec string (`avc1.42c00b`) when known. */
  codecString: z.string().nullable(),
  /** The container's own codec id (`avc1`, `V_VP9`). */
  codecId: z.string().nullable(),
  codedWidth: z.number().int(),
  codedHeight: z.number().int(),
  /** Clockwise degrees the frames are turned for display (the tkhd matrix / Matroska projection). */
  rotation: z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)]),
  /** Width and height as displayed: pixel aspect ratio and rotation applied. */
  displayWidth: z.number().int(),
  displayHeight: z.number().int(),
  /** Frames per second from the first packets' timestamps, snapped to the nearest standard rate within 0.05%. */
  frameRate: z.number().nullable(),
  /** Bits per second as the container states it (MP4/MOV), else null. */
  bitrate: z.number().nullable(),
});
export type VideoStream = z.output<typeof VideoStream>;

export const AudioStream = z.object({
  /** ffprobe's codec names: aac, opus, mp3, vorbis, flac, ac3, eac3, pcm_s16le, … */
  codec: z.string(),
  codecString: z.string().nullable(),
  codecId: z.string().nullable(),
  channels: z.number().int(),
  sampleRate: z.number().int(),
  bitrate: z.number().nullable(),
});
export type AudioStream = z.output<typeof AudioStream>;

export const VideoProbe = z.object({
  container: z.enum(['mp4', 'mov', 'webm', 'matroska']),
  mimeType: z.string(),
  sizeBytes: z.number().int(),
  durationSeconds: z.number(),
  /** The whole file's bits per second (size × 8 / duration), as ffprobe's format bit_rate. */
  bitrate: z.number().int().nullable(),
  video: VideoStream.nullable(),
  audio: AudioStream.nullable(),
  videoTracks: z.number().int(),
  audioTracks: z.number().int(),
  /** What probing cost: ranged reads, the bytes they asked for, and the time (ms) it took. */
  reads: z.number().int(),
  bytesRead: z.number().int(),
  milliseconds: z.number().int(),
});
export type VideoProbe = z.output<typeof VideoProbe>;

const CONTAINERS: Record<string, VideoProbe['container']> = { MP4: 'mp4', 'QuickTime File Format': 'mov', WebM: 'webm', Matroska: 'matroska' };

const PCM = /^pcm-([suf])(8|16|24|32|64)(be)?$/;

/** mediabunny's codec names as ffprobe spells them. */
function ffprobeName(codec: string | null): string {
  if (codec === null) return 'unknown';
  if (codec === 'avc') return 'h264';
  const pcm = PCM.exec(codec);
  if (pcm) return `pcm_${pcm[1]}${pcm[2]}${pcm[2] === '8' ? '' : pcm[3] ? 'be' : 'le'}`;
  if (codec === 'ulaw') return 'pcm_mulaw';
  if (codec === 'alaw') return 'pcm_alaw';
  return codec;
}

const STANDARD_RATES = [24000 / 1001, 24, 25, 30000 / 1001, 30, 48, 50, 60000 / 1001, 60, 100, 120];

/** A measured rate snapped to the nearest standard one within 0.05% (Matroska stores millisecond timestamps), else to 3 decimals. */
export function snapFrameRate(rate: number): number | null {
  if (!Number.isFinite(rate) || rate <= 0) return null;
  const nearest = STANDARD_RATES.reduce((best, candidate) => (Math.abs(rate - candidate) < Math.abs(rate - best) ? candidate : best));
  const standard = Math.abs(rate - nearest) / nearest < 0.0005 ? nearest : null;
  return Math.round((standard ?? rate) * 1000) / 1000;
}

const idText = (id: string | number | Uint8Array | null): string | null => (typeof id === 'string' ? id : typeof id === 'number' ? String(id) : null);
const positiveOrNull = (value: number | null | undefined) => (value !== null && value !== undefined && Number.isFinite(value) && value > 0 ? Math.round(value) : null);

/** Packets looked at for the frame rate: about two seconds of video, a few clusters of a Matroska file. */
const FRAME_RATE_PACKETS = 60;

async function videoStream(track: InputVideoTrack): Promise<VideoStream> {
  const stats = await track.computePacketStats(FRAME_RATE_PACKETS);
  return {
    codec: ffprobeName(await track.getCodec()),
    codecString: await track.getCodecParameterString(),
    codecId: idText(await track.getInternalCodecId()),
    codedWidth: await track.getCodedWidth(),
    codedHeight: await track.getCodedHeight(),
    rotation: await track.getRotation(),
    displayWidth: await track.getDisplayWidth(),
    displayHeight: await track.getDisplayHeight(),
    frameRate: stats.packetCount > 1 ? snapFrameRate(stats.averagePacketRate) : null,
    bitrate: positiveOrNull(await track.getAverageBitrate()),
  };
}

async function audioStream(track: InputAudioTrack): Promise<AudioStream> {
  return {
    codec: ffprobeName(await track.getCodec()),
    codecString: await track.getCodecParameterString(),
    codecId: idText(await track.getInternalCodecId()),
    channels: await track.getNumberOfChannels(),
    sampleRate: await track.getSampleRate(),
    bitrate: positiveOrNull(await track.getAverageBitrate()),
  };
}

/**
 * Probes the video `reader` serves. Throws a `VideoError`: `corrupt_video` (empty, truncated,
 * sizes past the end, no tracks, a structure the demuxer rejects), `unsupported_format`, or
 * `probe_limit_exceeded` (more reads, bytes or time than `budget`).
 */
export async function probeVideo(reader: RangeReader, budget: ReadBudget = {}): Promise<VideoProbe> {
  const started = Date.now();
  const counted = budgetedReader(reader, budget);
  const family = await checkContainer(counted);
  const source = new CustomSource({ getSize: () => counted.size, read: (start, end) => counted.read(start, end), maxCacheSize: 4 * 1024 * 1024 });
  const input = new Input({ source, formats: [MP4, QTFF, WEBM, MATROSKA] });
  try {
    if (!(await input.canRead())) {
      throw new VideoError('unsupported_format', family === 'unknown' ? 'Not an MP4, MOV, WebM or Matroska file' : 'The container is not one the probe reads');
    }
    const container = CONTAINERS[(await input.getFormat()).name];
    if (!container) throw new VideoError('unsupported_format', 'Not an MP4, MOV, WebM or Matroska file');
    const videoTracks = await input.getVideoTracks();
    const audioTracks = await input.getAudioTracks();
    if (videoTracks.length + audioTracks.length === 0) throw new VideoError('corrupt_video', 'No audio or video track found: the file is truncated or corrupt');
    const primaryVideo = await input.getPrimaryVideoTrack();
    const primaryAudio = await input.getPrimaryAudioTrack();
    const duration = (await input.getDurationFromMetadata()) ?? (await input.computeDuration());
    if (!Number.isFinite(duration) || duration <= 0) throw new VideoError('corrupt_video', 'The file states no duration and has no timed packets');
    return {
      container,
      mimeType: await input.getMimeType(),
      sizeBytes: counted.size,
      durationSeconds: Math.round(duration * 1e6) / 1e6,
      bitrate: Math.round((counted.size * 8) / duration),
      video: primaryVideo ? await videoStream(primaryVideo) : null,
      audio: primaryAudio ? await audioStream(primaryAudio) : null,
      videoTracks: videoTracks.length,
      audioTracks: audioTracks.length,
      reads: counted.stats.reads,
      bytesRead: counted.stats.bytesRead,
      milliseconds: Date.now() - started,
    };
  } catch (error) {
    if (error instanceof VideoError) throw error;
    // mediabunny's own complaints (slices outside the data, failed assertions) all mean the
    // structure is not what it declares.
    throw new VideoError('corrupt_video', `The demuxer rejected the file: ${error instanceof Error ? error.message.slice(0, 200) : String(error)}`);
  } finally {
    input.dispose();
  }
}
