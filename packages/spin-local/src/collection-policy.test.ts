import { describe, expect, it } from 'vitest';
import { CollectionPolicy } from './collection-policy.ts';

const MiB = 2 ** 20;

describe('when a busy executor thread collects', () => {
  it('collects every 16 jobs when they let go of little memory', () => {
    const policy = new CollectionPolicy();
    const reasons = Array.from({ length: 40 }, () => {
      const reason = policy.afterJob(0);
      if (reason) policy.collected();
      return reason;
    });
    expect(reasons.filter(Boolean)).toEqual(['jobs', 'jobs']);
    expect(reasons[15]).toBe('jobs');
    expect(reasons.slice(0, 15).every((r) => r === undefined)).toBe(true);
  });

  it('collects as soon as 64 MiB of linear memory were let go, long before 16 jobs', () => {
    const policy = new CollectionPolicy();
    expect(policy.afterJob(20 * MiB)).toBeUndefined();
    expect(policy.afterJob(20 * MiB)).toBeUndefined();
    expect(policy.afterJob(20 * MiB)).toBeUndefined();
    expect(policy.afterJob(20 * MiB)).toBe('dropped');
    policy.collected();
    expect(policy.afterJob(63 * MiB)).toBeUndefined();
  });

  it('never starts one for a warm-up instance, but counts the memory it let go', () => {
    const policy = new CollectionPolicy();
    for (let i = 0; i < 40; i++) expect(policy.afterJob(10 * MiB, false)).toBeUndefined();
    expect(policy.afterJob(0)).toBe('dropped');
  });
});
