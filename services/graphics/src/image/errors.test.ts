import { describe, expect, it } from 'vitest';
import { corrupt, ImageError } from './errors.ts';

describe('ImageError', () => {
  it('reads code first where the kit records it: a failed job’s error is `name: message`', () => {
    const error = corrupt('JPEG image data is truncated');
    expect(error).toBeInstanceOf(ImageError);
    // Error.prototype.toString is `name: message`, the kit's errorText for a failed job's lastError.
    expect(String(error)).toBe('corrupt_image: JPEG image data is truncated');
    expect(error).toMatchObject({ code: 'corrupt_image', permanent: true });
  });
});
