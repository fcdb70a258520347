import { afterEach, describe, expect, it, vi } from 'vitest';
import { isJobQueue, startTicker, tickEnvelope } from './ticker.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('tickEnvelope', () => {
  it('is the compose ticker’s envelope: platform.tick to worker channels, job.sweep to job queues', () => {
    const tick = JSON.parse(tickEnvelope('content-events', new Date('2026-12-02T08:00:00.123Z'))) as Record<string, unknown>;
    expect(tick).toEqual({ id: expect.stringMatching(UUID), type: 'platform.tick', source: 'ticker', time: '2026-12-02T08:00:00Z', subject: 'content-events', data: {}, correlationId: 'ticker' });
    expect(JSON.parse(tickEnvelope('audio-jobs'))).toMatchObject({ type: 'job.sweep', subject: 'audio-jobs' });
    expect(isJobQueue('storage-events')).toBe(false);
  });

  it('has a fresh id every time (consumers skip ids they have seen)', () => {
    const ids = new Set(Array.from({ length: 20 }, () => (JSON.parse(tickEnvelope('content-events')) as { id: string }).id));
    expect(ids.size).toBe(20);
  });
});

describe('startTicker', () => {
  afterEach(() => vi.useRealTimers());

  it('ticks every subscription at once and then every interval, until stopped', async () => {
    vi.useFakeTimers();
    const published: [string, string][] = [];
    const stop = startTicker({
      seconds: 30,
      subscriptions: [
        { address: 'redis://a', channel: 'content-events' },
        { address: 'redis://b', channel: 'audio-jobs' },
      ],
      publish: async (channel, payload, address) => void published.push([`${address} ${channel}`, (JSON.parse(payload) as { type: string }).type]),
      onError: () => {},
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(published).toEqual([
      ['redis://a content-events', 'platform.tick'],
      ['redis://b audio-jobs', 'job.sweep'],
    ]);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(published).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(published).toHaveLength(4);
    stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(published).toHaveLength(4);
  });

  it('reports a failed publish and goes on with the other channels and the next round', async () => {
    vi.useFakeTimers();
    const errors: string[] = [];
    const reached: string[] = [];
    const stop = startTicker({
      seconds: 5,
      subscriptions: [
        { address: 'redis://a', channel: 'down-events' },
        { address: 'redis://a', channel: 'content-events' },
      ],
      publish: async (channel) => {
        if (channel === 'down-events') throw new Error('connection refused');
        reached.push(channel);
      },
      onError: (message) => errors.push(message),
    });
    await vi.advanceTimersByTimeAsync(5_000);
    stop();
    expect(reached).toEqual(['content-events', 'content-events']);
    expect(errors).toEqual(['tick to "down-events" not published: connection refused', 'tick to "down-events" not published: connection refused']);
  });

  it('holds the start-up round back as long as asked', async () => {
    vi.useFakeTimers();
    const published: string[] = [];
    const stop = startTicker({
      seconds: 30,
      firstRoundAfterMs: 5_000,
      subscriptions: [{ address: 'redis://x', channel: 'content-events' }],
      publish: async (channel) => void published.push(channel),
      onError: () => {},
    });
    await vi.advanceTimersByTimeAsync(4_900);
    expect(published).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(published).toEqual(['content-events']);
    stop();
    vi.useRealTimers();
  });

  it('spreads a round over the interval when asked, each subscription still ticking every interval', async () => {
    vi.useFakeTimers();
    const published: [number, string][] = [];
    const stop = startTicker({
      seconds: 30,
      firstRoundAfterMs: 5_000,
      spread: true,
      subscriptions: ['a-events', 'b-events', 'c-jobs'].map((channel) => ({ address: 'redis://x', channel })),
      publish: async (channel) => void published.push([Date.now(), channel]),
      onError: () => {},
    });
    const started = Date.now();
    await vi.advanceTimersByTimeAsync(65_000);
    stop();
    expect(published.map(([at, channel]) => [at - started, channel])).toEqual([
      [5_000, 'a-events'],
      [15_000, 'b-events'],
      [25_000, 'c-jobs'],
      [35_000, 'a-events'],
      [45_000, 'b-events'],
      [55_000, 'c-jobs'],
      [65_000, 'a-events'],
    ]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(published).toHaveLength(7);
  });

  it('does not double a tick whose publish is still running when its next is due', async () => {
    vi.useFakeTimers();
    let calls = 0;
    let release: () => void = () => {};
    const stop = startTicker({
      seconds: 1,
      subscriptions: [{ address: 'redis://x', channel: 'slow-events' }],
      publish: () => {
        calls++;
        return new Promise<void>((resolve) => (release = resolve));
      },
      onError: () => {},
    });
    await vi.advanceTimersByTimeAsync(3_500);
    expect(calls).toBe(1);
    release();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(2);
    stop();
  });

  it('refuses an interval that is not a positive number', () => {
    const options = { subscriptions: [], publish: async () => {}, onError: () => {} };
    expect(() => startTicker({ ...options, seconds: 0 })).toThrow(RangeError);
    expect(() => startTicker({ ...options, seconds: Number.NaN })).toThrow(RangeError);
  });
});
