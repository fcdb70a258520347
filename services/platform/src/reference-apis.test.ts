import { ConfigError } from '@authorworks/kit';
import { describe, expect, it } from 'vitest';
import { referenceApis } from './reference-apis.ts';

describe('referenceApis (the reference_apis variable)', () => {
  it('reads base paths separated by spaces or commas', () => {
    expect(referenceApis(' /v1/users,/v1/content  /v1/storage ')).toEqual(['/v1/users', '/v1/content', '/v1/storage']);
  });

  // The bases go into the page's HTML unescaped: anything but a plain path must never get there.
  it.each(['/v1/users"><script>', 'v1/users', '/v1/Users', '/v1//users', 'https://cdn.example/v1', '/v1/users/'])('refuses %s', (value) => {
    expect(() => referenceApis(value)).toThrow(ConfigError);
  });

  it('refuses an empty list', () => {
    expect(() => referenceApis(' , ')).toThrow(/names no API/);
  });
});
