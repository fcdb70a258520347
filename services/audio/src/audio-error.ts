// Why an audio operation refused its input: a stable code (it becomes the failed job's error code)
// and a sentence for a person. Nothing here is retried: the same bytes fail the same way.
export type AudioErrorCode =
  | 'empty_audio'
  | 'corrupt_audio'
  | 'unsupported_format'
  | 'format_mismatch'
  | 'invalid_range'
  | 'silent_audio'
  | 'audio_too_large';

export class AudioError extends Error {
  readonly permanent = true;
  constructor(
    readonly code: AudioErrorCode,
    message: string,
  ) {
    super(message);
    // The name is the code: a failed job's error then reads `corrupt_audio: …`.
    this.name = code;
  }
}

export const isAudioError = (error: unknown): error is AudioError => error instanceof AudioError;
