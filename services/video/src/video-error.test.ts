import { describe, expect, it } from 'vitest';
import { VIDEO_ERROR_CODES, VideoError } from './video-error.ts';

describe('VideoError', () => {
  it('reads code first where the kit records it: a failed job’s error is `name: message`', () => {
    const error = new VideoError('transcoder_not_configured', 'No transcoder is configured');
    // Error.prototype.toString is `name: message`, the kit's errorText for a failed job's lastError.
    expect(String(error)).toBe('transcoder_not_configured: No transcoder is configured');
    expect(error).toMatchObject({ code: 'transcoder_not_configured', permanent: true, message: 'No transcoder is configured' });
  });

  it('retries only outages: storage, the transcoder and its file server', () => {
    const retried = VIDEO_ERROR_CODES.filter((code) => !new VideoError(code, '').permanent);
    expect(retried).toEqual(['storage_error', 'transcoder_unavailable', 'transcoder_output_unavailable']);
    expect(VIDEO_ERROR_CODES).toHaveLength(15);
  });
});
