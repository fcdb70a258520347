import { describe, expect, it } from 'vitest';
import { attachProfile, createProfile, noProfile, profileClock, profileOf, withoutClock } from './request-profile.ts';

function fakeClock() {
  let at = 100;
  return { clock: () => at, advance: (ms: number) => void (at += ms) };
}

describe('request profile', () => {
  it('adds the time of sync and async work to its stage, to a hundredth of a millisecond', async () => {
    const { clock, advance } = fakeClock();
    const profile = createProfile(90, clock);
    expect(profile.time('jwt', () => (advance(1.234), 'claims'))).toBe('claims');
    await profile.time('revocation', async () => {
      await Promise.resolve();
      advance(0.5);
    });
    profile.time('rows', () => advance(0.25));
    profile.time('rows', () => advance(0.25));
    expect(profile.fields()).toEqual({ jwt: 1.23, revocation: 0.5, rows: 0.5 });
    expect(profile.elapsed()).toBeCloseTo(12.234);
  });

  it('counts a failed step too, and keeps the failure', async () => {
    const { clock, advance } = fakeClock();
    const profile = createProfile(100, clock);
    await expect(profile.time('body', async () => {
      advance(2);
      throw new Error('malformed');
    })).rejects.toThrow('malformed');
    expect(profile.fields()).toEqual({ body: 2 });
  });

  it('times a stage between begin and its first end only', () => {
    const { clock, advance } = fakeClock();
    const profile = createProfile(100, clock);
    profile.end('routing'); // not begun: nothing
    profile.begin('routing');
    advance(0.3);
    profile.end('routing');
    advance(5);
    profile.end('routing');
    expect(profile.fields()).toEqual({ routing: 0.3 });
  });

  it('lists stages in request order', () => {
    const profile = createProfile(0, () => 0);
    for (const stage of ['rows', 'handler', 'jwt', 'context'] as const) profile.add(stage, 1);
    expect(Object.keys(profile.fields())).toEqual(['context', 'jwt', 'handler', 'rows']);
  });

  it('is off by default: no profile records anything, and a client carries none unless one is on', () => {
    noProfile.add('jwt', 5);
    expect(noProfile.time('jwt', () => 7)).toBe(7);
    expect(noProfile.fields()).toEqual({});
    const client = {};
    expect(profileOf(attachProfile(client, noProfile))).toBe(noProfile);
    const on = createProfile(0);
    expect(profileOf(attachProfile(client, on))).toBe(on);
  });

  it('reads no clock while the snapshot is warmed, and the clock again after', async () => {
    let during = -1;
    await withoutClock(async () => {
      during = profileClock();
    });
    expect(during).toBe(0);
    expect(profileClock()).toBeGreaterThan(0);
  });
});
