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
  /** The transcoder ran the job and reports it FAILED (its message follows), or no longer knows it. */
  'transcoder_failed',
  /** The transcoder reports the job CANCELLED (by its operator). */
  'transcoder_cancelled',
  /** The transcoder did not finish within `video_transcoder_timeout_seconds` (down, stuck or too slow). */
  'transcoder_timeout',
  /** The transcoder reports success but an output the job needs is not listed or not on the file server. */
  'transcoder_output_missing',
  /** An output is over `video_transcoder_max_output_bytes`, or storage refused its size. */
  'transcoder_output_too_large',
  /** Storage refused an output: the owner's quota is full. */
  'quota_exceeded',
  /** Storage answered something a ranged read cannot use (retried). */
  'storage_error',
  /** The transcoder could not be reached or failed (5xx; retried). */
  'transcoder_unavailable',
  /** The file server of the transcoder's outputs could not be reached or failed (5xx; retried). */
  'transcoder_output_unavailable',
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
  'transcoder_failed',
  'transcoder_cancelled',
  'transcoder_timeout',
  'transcoder_output_missing',
  'transcoder_output_too_large',
  'quota_exceeded',
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
