import { describe, expect, it } from 'vitest';
import { InMemoryRedis } from './in-memory-host.ts';
import { hitRateLimit, peekRateLimit, resetRateLimit } from './rate-limit.ts';

describe('rate limit', () => {
  it('engages after the limit and releases when the window ends', async () => {
    let clock = 1_000_000;
    const redis = new InMemoryRedis(() => clock);
    const rule = { limit: 3, windowSeconds: 60 };
    for (let i = 0; i < 3; i++) expect((await hitRateLimit(redis, 'k', rule)).allowed).toBe(true);
    const blocked = await hitRateLimit(redis, 'k', rule);
    expect(blocked).toMatchObject({ allowed: false, attempts: 4 });
    expect(blocked.retryAfterSeconds).toBeGreaterThan(0);
    expect((await peekRateLimit(redis, 'k', rule)).allowed).toBe(false);
    clock += 61_000;
    expect(await peekRateLimit(redis, 'k', rule)).toEqual({ allowed: true, attempts: 0, retryAfterSeconds: 0 });
  });

  it('reports the time left as Retry-After', async () => {
    let clock = 0;
    const redis = new InMemoryRedis(() => clock);
    const rule = { limit: 1, windowSeconds: 100 };
    await hitRateLimit(redis, 'k', rule);
    clock += 40_000;
    expect((await peekRateLimit(redis, 'k', rule)).retryAfterSeconds).toBe(60);
    await resetRateLimit(redis, 'k');
    expect((await peekRateLimit(redis, 'k', rule)).allowed).toBe(true);
  });
});
