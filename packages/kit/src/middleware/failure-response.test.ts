import { ErrorEnvelope } from '@authorworks/domain';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config.ts';
import { HttpError } from '../errors.ts';
import { createLogger } from '../logging.ts';
import { failureResponse } from './failure-response.ts';

describe('failureResponse', () => {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', sink: (_level, line) => void lines.push(line) });

  it('answers an HttpError with its status, envelope and headers', async () => {
    const response = failureResponse(new HttpError(429, 'too_many_requests', 'slow down', { headers: { 'retry-after': '5' } }), log, 'r-1');
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(ErrorEnvelope.parse(await response.json()).error).toEqual({ code: 'too_many_requests', message: 'slow down', details: [] });
  });

  it('names a missing variable as 500 misconfigured', async () => {
    const response = failureResponse(new ConfigError('auth_secret', 'is not set'), log, 'r-2');
    expect(response.status).toBe(500);
    const { error } = ErrorEnvelope.parse(await response.json());
    expect(error.code).toBe('misconfigured');
    expect(error.message).toContain('SPIN_VARIABLE_AUTH_SECRET');
  });
});
