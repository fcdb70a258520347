import { describe, expect, it } from 'vitest';
import { VideoError } from './video-error.ts';

describe('VideoError', () => {
  it('reads code first where the kit records it: a failed job’s error is `name: message`', () => {
    const error = new VideoError('transcoder_not_configured', 'No transcoder is configured');
    // Error.prototype.toString is `name: message`, the kit's errorText for a failed job's lastError.
    expect(String(error)).toBe('transcoder_not_configured: No transcoder is configured');
    expect(error).toMatchObject({ code: 'transcoder_not_configured', permanent: true, message: 'No transcoder is configured' });
  });
});
