// The ways a video job fails for a reason retrying cannot fix, each with a code the job's error
// starts with (`corrupt_video: …`), so clients and tests can tell them apart.

export const VIDEO_ERROR_CODES = [
  /** Truncated, zero-byte, a size or box past the end, no tracks, a structure the demuxer rejects. */
  'corrupt_video',
  /** Not MP4, MOV, WebM or Matroska. */
  'unsupported_format',
  /** The probe would read more bytes, make more reads or take longer than its budget. */
  'probe_limit_exceeded',
  /** The input file does not exist or the job's owner may not read it. */
  'file_not_found',
  /** poster / trailer with no transcoder configured. */
  'transcoder_not_configured',
  /** The transcoder refused the work (4xx). */
  'transcoder_rejected',
  /** Storage answered something a ranged read cannot use (retried). */
  'storage_error',
  /** The transcoder could not be reached or failed (5xx; retried). */
  'transcoder_unavailable',
] as const;
export type VideoErrorCode = (typeof VIDEO_ERROR_CODES)[number];

/** Codes whose failure is final: the same input fails the same way on every attempt. */
const PERMANENT: ReadonlySet<VideoErrorCode> = new Set([
  'corrupt_video',
  'unsupported_format',
  'probe_limit_exceeded',
  'file_not_found',
  'transcoder_not_configured',
  'transcoder_rejected',
]);

export class VideoError extends Error {
  readonly code: VideoErrorCode;
  constructor(code: VideoErrorCode, message: string) {
    super(message);
    // The name is the code: the kit records a failed job's error as `name: message`, so it reads
    // `corrupt_video: …`, code first.
    this.name = code;
    this.code = code;
  }

  get permanent(): boolean {
    return PERMANENT.has(this.code);
  }
}
