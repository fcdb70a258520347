// Validation of a video against the platform's upload limits (Spin variables, with defaults in
// spin.toml): size, duration, resolution, codecs. A probe that fails for a reason of the file's
// own (corrupt, not a video, too costly to read) is a verdict, not an error: the report says why.
import type { Config } from '@authorworks/kit';
import { z } from 'zod';
import { VideoProbe } from './probe.ts';
import { VideoError } from './video-error.ts';

const codecList = z
  .string()
  .transform((text) => text.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== ''))
  .pipe(z.array(z.string().regex(/^[a-z0-9_]{1,32}$/)).max(64));
const positive = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const VideoLimits = z.object({
  maxBytes: z.number().int().positive(),
  maxDurationSeconds: z.number().int().positive(),
  /** The longer side of the displayed picture, and the shorter (so portrait and landscape pass alike). */
  maxLongSide: z.number().int().positive(),
  maxShortSide: z.number().int().positive(),
  videoCodecs: z.array(z.string()),
  audioCodecs: z.array(z.string()),
});
export type VideoLimits = z.output<typeof VideoLimits>;

/** Variable → default; the same defaults stand in spin.toml. */
export const LIMIT_VARIABLES = {
  max_bytes: '1073741824',
  max_duration_seconds: '3600',
  max_long_side: '3840',
  max_short_side: '2160',
  video_codecs: 'h264,hevc,vp8,vp9,av1',
  audio_codecs: 'aac,opus,mp3,vorbis,flac',
} as const;

/** The limits from the component's variables; a malformed value is a configuration error (500 misconfigured / a failed job). */
export function videoLimits(config: Pick<Config, 'optional'>): VideoLimits {
  const read = (name: keyof typeof LIMIT_VARIABLES) => config.optional(name, LIMIT_VARIABLES[name]);
  const parsed = z
    .object({
      maxBytes: positive,
      maxDurationSeconds: positive,
      maxLongSide: positive,
      maxShortSide: positive,
      videoCodecs: codecList,
      audioCodecs: codecList,
    })
    .safeParse({
      maxBytes: read('max_bytes'),
      maxDurationSeconds: read('max_duration_seconds'),
      maxLongSide: read('max_long_side'),
      maxShortSide: read('max_short_side'),
      videoCodecs: read('video_codecs'),
      audioCodecs: read('audio_codecs'),
    });
  if (!parsed.success) throw new Error(`The video limits are misconfigured: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return parsed.data;
}

export const Violation = z.object({
  code: z.enum([
    'file_too_large',
    'duration_too_long',
    'resolution_too_high',
    'video_codec_not_allowed',
    'audio_codec_not_allowed',
    'no_video_track',
    'corrupt_video',
    'unsupported_format',
    'probe_limit_exceeded',
  ]),
  message: z.string(),
});
export type Violation = z.output<typeof Violation>;

export const ValidationReport = z.object({
  valid: z.boolean(),
  violations: z.array(Violation),
  limits: VideoLimits,
  /** Null when the file could not be probed (its violation says why). */
  probe: VideoProbe.nullable(),
});
export type ValidationReport = z.output<typeof ValidationReport>;

/** The verdict on a probed file. */
export function validateProbe(probe: VideoProbe, limits: VideoLimits): ValidationReport {
  const violations: Violation[] = [];
  if (probe.sizeBytes > limits.maxBytes) violations.push({ code: 'file_too_large', message: `The file has ${probe.sizeBytes} bytes; at most ${limits.maxBytes} are allowed` });
  if (probe.durationSeconds > limits.maxDurationSeconds) {
    violations.push({ code: 'duration_too_long', message: `The video lasts ${probe.durationSeconds} s; at most ${limits.maxDurationSeconds} s are allowed` });
  }
  if (!probe.video) {
    violations.push({ code: 'no_video_track', message: 'The file has no video track' });
  } else {
    const long = Math.max(probe.video.displayWidth, probe.video.displayHeight);
    const short = Math.min(probe.video.displayWidth, probe.video.displayHeight);
    if (long > limits.maxLongSide || short > limits.maxShortSide) {
      violations.push({
        code: 'resolution_too_high',
        message: `The picture is ${probe.video.displayWidth}×${probe.video.displayHeight}; at most ${limits.maxLongSide}×${limits.maxShortSide} (either orientation) is allowed`,
      });
    }
    if (!limits.videoCodecs.includes(probe.video.codec)) {
      violations.push({ code: 'video_codec_not_allowed', message: `Video codec ${probe.video.codec} is not one of ${limits.videoCodecs.join(', ')}` });
    }
  }
  if (probe.audio && !limits.audioCodecs.includes(probe.audio.codec)) {
    violations.push({ code: 'audio_codec_not_allowed', message: `Audio codec ${probe.audio.codec} is not one of ${limits.audioCodecs.join(', ')}` });
  }
  return { valid: violations.length === 0, violations, limits, probe };
}

/** The verdict on a file the probe refused for a reason of its own; other errors are rethrown. */
export function reportOfProbeFailure(error: unknown, limits: VideoLimits): ValidationReport {
  if (error instanceof VideoError && (error.code === 'corrupt_video' || error.code === 'unsupported_format' || error.code === 'probe_limit_exceeded')) {
    return { valid: false, violations: [{ code: error.code, message: error.message }], limits, probe: null };
  }
  throw error;
}
