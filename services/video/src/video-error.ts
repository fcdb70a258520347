// The ways a video job fails, each with a code the job's error starts with (`corrupt_video: …`),
// so clients and tests can tell them apart, and whether the failure is final (the same input fails
// the same way on every attempt: the job fails at once) or retried (an outage that may pass).

const VIDEO_ERRORS = {
  /** Truncated, zero-byte, a size or box past the end, no tracks, a structure the demuxer rejects. */
  corrupt_video: 'final',
  /** Not MP4, MOV, WebM or Matroska. */
  unsupported_format: 'final',
  /** The probe would read more bytes, make more reads or take longer than its budget. */
  probe_limit_exceeded: 'final',
  /** The input file does not exist or the job's owner may not read it. */
  file_not_found: 'final',
  /** poster / trailer with no transcoder (or no file server for its outputs) configured. */
  transcoder_not_configured: 'final',
  /** The transcoder refused the work (4xx). */
  transcoder_rejected: 'final',
  /** The transcoder ran the job and reports it FAILED (its message follows), or no longer knows it. */
  transcoder_failed: 'final',
  /** The transcoder reports the job CANCELLED (by its operator). */
  transcoder_cancelled: 'final',
  /** The transcoder did not finish within `video_transcoder_timeout_seconds` (down, stuck or too slow). */
  transcoder_timeout: 'final',
  /** The transcoder reports success but an output the job needs is not listed or not on the file server. */
  transcoder_output_missing: 'final',
  /** An output is over `video_transcoder_max_output_bytes`, or storage refused its size. */
  transcoder_output_too_large: 'final',
  /** Storage refused an output: the owner's quota is full. */
  quota_exceeded: 'final',
  /** Storage answered something a ranged read cannot use, or failed to store an output. */
  storage_error: 'retried',
  /** The transcoder could not be reached or failed (5xx). */
  transcoder_unavailable: 'retried',
  /** The file server of the transcoder's outputs could not be reached, failed, or broke off. */
  transcoder_output_unavailable: 'retried',
} as const satisfies Record<string, 'final' | 'retried'>;

export type VideoErrorCode = keyof typeof VIDEO_ERRORS;
export const VIDEO_ERROR_CODES = Object.keys(VIDEO_ERRORS) as VideoErrorCode[];

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
    return VIDEO_ERRORS[this.code] === 'final';
  }
}
