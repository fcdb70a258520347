import { describe, expect, it } from 'vitest';
import { JobInputError } from './storage-files.ts';

describe('JobInputError', () => {
  it('reads code first where the kit records it: a failed job’s error is `name: message`', () => {
    const error = new JobInputError('input_not_found', 'no such file, or the job’s owner may not read it');
    // Error.prototype.toString is `name: message`, the kit's errorText for a failed job's lastError.
    expect(String(error)).toBe('input_not_found: no such file, or the job’s owner may not read it');
    expect(error).toMatchObject({ code: 'input_not_found', permanent: true });
  });
});
