// A job that cannot succeed by retrying: the input is broken, missing or too large. Its name is its
// code, so the job's stored error reads `corrupt_audio: …`.

export type JobFailureCode =
  | 'input_not_found'
  | 'input_not_ready'
  | 'input_too_large'
  | 'input_changed'
  | 'result_too_large'
  | 'result_upload_lost'
  | 'tts_provider_not_configured'
  | 'tts_request_refused'
  | 'tts_bad_audio'
  | 'nothing_to_narrate'
  | 'text_too_long';

export class JobFailure extends Error {
  readonly permanent = true;
  constructor(
    readonly code: JobFailureCode,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

