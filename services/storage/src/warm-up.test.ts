import { afterEach, describe, expect, it, vi } from 'vitest';
import { warmUpStorage } from './warm-up.ts';

afterEach(() => vi.restoreAllMocks());

describe('the storage warm-up', () => {
  it('runs at build time: no clock, no randomness (Wizer would refuse or trap on them)', async () => {
    const clock = vi.spyOn(performance, 'now');
    const date = vi.spyOn(Date, 'now');
    const random = vi.spyOn(crypto, 'getRandomValues');
    const uuid = vi.spyOn(crypto, 'randomUUID');
    await expect(warmUpStorage()).resolves.toBeUndefined();
    expect([clock, date, random, uuid].map((spy) => spy.mock.calls.length)).toEqual([0, 0, 0, 0]);
  });
});
