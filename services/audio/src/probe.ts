// What an audio file is: WAV by the parser here (exact duration from the frame count, cue points
// and labels), MP3/M4A/FLAC/OGG/AAC/WebM audio by mediabunny over ranged reads (tags, cover art
// described not copied). MP3 duration is frame-exact: mediabunny reads it from a Xing/VBRI/Info
// header when there is one and otherwise walks the frame headers.
import { ADTS, CustomSource, FLAC, Input, MATROSKA, MP3, MP4, OGG, QTFF, UnsupportedInputFormatError } from 'mediabunny';
import { AudioError } from './audio-error.ts';
import type { ByteSource } from './byte-source.ts';
import { looksLikeWav, parseWav } from './wav.ts';

export interface ProbeResult {
  format: string;
  mimeType: string;
  codec: string | null;
  durationSeconds: number;
  sampleRate: number | null;
  channels: number | null;
  bitsPerSample: number | null;
  /** Frames for WAV; null where the container does not count them. */
  frames: number | null;
  bitrate: number | null;
  tags: {
    title?: string;
    artist?: string;
    album?: string;
    albumArtist?: string;
    genre?: string;
    trackNumber?: number;
    date?: string;
    comment?: string;
  };
  images: { mimeType: string; kind: string; bytes: number }[];
  chapters: { id: number; frame: number; seconds: number; label?: string }[];
}

const TAG_TEXT_LIMIT = 500;
const clip = (value: string | undefined) => (value === undefined ? undefined : value.replace(/\0/g, '').slice(0, TAG_TEXT_LIMIT));

export async function probeAudio(source: ByteSource): Promise<ProbeResult> {
  if (source.size === 0) throw new AudioError('empty_audio', 'the file is empty');
  const head = await source.read(0, Math.min(source.size, 12));
  if (looksLikeWav(head)) {
    const wav = await parseWav(source);
    return {
      format: wav.container === 'riff' ? 'wav' : 'rf64',
      mimeType: 'audio/wav',
      codec: wav.encoding === 'pcm' ? `pcm-s${wav.bitsPerSample === 8 ? 'u8' : wav.bitsPerSample}` : `pcm-f${wav.bitsPerSample}`,
      durationSeconds: wav.durationSeconds,
      sampleRate: wav.sampleRate,
      channels: wav.channels,
      bitsPerSample: wav.bitsPerSample,
      frames: wav.frames,
      bitrate: wav.sampleRate * wav.blockAlign * 8,
      tags: {},
      images: [],
      chapters: wav.cues.map((cue) => ({ ...cue, seconds: cue.frame / wav.sampleRate })),
    };
  }
  return probeWithMediabunny(source);
}

async function probeWithMediabunny(source: ByteSource): Promise<ProbeResult> {
  const input = new Input({
    formats: [MP3, MP4, QTFF, FLAC, OGG, ADTS, MATROSKA],
    source: new CustomSource({ getSize: () => source.size, read: (start, end) => source.read(start, end), maxCacheSize: 4 * 1024 * 1024 }),
  });
  try {
    let format;
    try {
      format = await input.getFormat();
    } catch (error) {
      if (error instanceof UnsupportedInputFormatError) throw new AudioError('unsupported_format', 'not an audio format this service reads (WAV, MP3, M4A, FLAC, OGG, AAC, WebM)');
      throw error;
    }
    const track = await input.getPrimaryAudioTrack();
    if (!track) throw new AudioError('unsupported_format', `a ${format.name} file without an audio track`);
    const duration = (await input.getDurationFromMetadata([track])) ?? (await input.computeDuration([track]));
    const tags = await input.getMetadataTags();
    let bitrate: number | null = null;
    try {
      bitrate = (await track.getBitrate()) ?? null;
    } catch {
      bitrate = null;
    }
    if (bitrate === null && duration > 0) bitrate = Math.round((source.size * 8) / duration);
    return {
      format: format.name.toLowerCase(),
      mimeType: format.mimeType,
      codec: track.codec,
      durationSeconds: duration,
      sampleRate: track.sampleRate,
      channels: track.numberOfChannels,
      bitsPerSample: null,
      frames: null,
      bitrate,
      tags: {
        title: clip(tags.title),
        artist: clip(tags.artist),
        album: clip(tags.album),
        albumArtist: clip(tags.albumArtist),
        genre: clip(tags.genre),
        trackNumber: tags.trackNumber,
        date: tags.date && !Number.isNaN(tags.date.getTime()) ? tags.date.toISOString().slice(0, 10) : undefined,
        comment: clip(tags.comment),
      },
      images: (tags.images ?? []).slice(0, 20).map((image) => ({ mimeType: image.mimeType, kind: image.kind, bytes: image.data.length })),
      chapters: [],
    };
  } catch (error) {
    if (error instanceof AudioError) throw error;
    throw new AudioError('corrupt_audio', `the file could not be read: ${error instanceof Error ? error.message.slice(0, 200) : String(error)}`);
  } finally {
    input.dispose();
  }
}
