import { describe, expect, it } from 'vitest';
import type { TraceEvent } from './request-trace.ts';
import { formatSummary, jobPhases, parseTrace, routeOf, summarizeTrace } from './trace-report.ts';

/** One HTTP job's events, at `base` + the given offsets (ms). */
function httpJob(job: number, base: number, path: string, options: { prepared?: boolean; hostCallMs?: number[]; after?: number } = {}): TraceEvent[] {
  const main = (event: TraceEvent['event'], t: number, fields: Record<string, unknown> = {}): TraceEvent => ({ t: base + t, thread: 'main', event, job, ...fields });
  const guest = (event: TraceEvent['event'], t: number, fields: Record<string, unknown> = {}): TraceEvent => ({ t: base + t, thread: 'executor-0', event, job, ...fields });
  const calls = (options.hostCallMs ?? []).map((ms, i) => guest('host-call', 2 + i * 2, { op: 'pg.query', ms }));
  return [
    main('request', 0, { component: 'files-api', method: 'GET', path, queuedAfterMs: 0.5 }),
    main('dispatch', 1),
    guest('job-start', 1.25),
    guest('instance', 1.5, { prepared: options.prepared ?? true }),
    ...calls,
    guest('guest-head', 9),
    guest('guest-end', 10),
    main('response-head', 10.5, { status: 200 }),
    main('response-end', 11),
    guest('job-end', 10 + (options.after ?? 0)),
    main('job-done', 10.25 + (options.after ?? 0)),
  ];
}

describe('the request trace report', () => {
  it('splits a job into the runtime, the guest and its host calls', () => {
    const [job] = jobPhases(httpJob(7, 1000, '/files/42', { hostCallMs: [1, 2], after: 3 }));
    expect(job).toEqual({
      route: 'files-api GET /files/{id}',
      total: 11,
      body: 0.5,
      queue: 0.5,
      handoff: 0.25,
      instance: 0.25,
      prepared: true,
      // 1.5 → 10 is 8.5 ms, of which 3 blocked on host calls.
      guest: 5.5,
      hostCalls: 3,
      hostCallCount: 2,
      relay: 1.5,
      tail: 1,
      afterAnswer: 3,
    });
  });

  it('leaves a collection the thread ran at the end of a job out of the guest\u2019s after-answer work', () => {
    const events = httpJob(1, 0, '/x', { after: 12 });
    events.push({ t: 13, thread: 'executor-0', event: 'collect', job: 1, reason: 'jobs', ms: 9 });
    expect(jobPhases(events)[0]).toMatchObject({ afterAnswer: 3 });
  });

  it('counts only the host calls made before the answer was complete', () => {
    const events = httpJob(1, 0, '/x', { hostCallMs: [1] });
    events.push({ t: 10.5, thread: 'executor-0', event: 'host-call', job: 1, op: 'redis.publish', ms: 4 });
    expect(jobPhases(events)[0]).toMatchObject({ hostCalls: 1, hostCallCount: 1, guest: 7.5 });
  });

  it('gives per-route medians, ids folded, and leaves out jobs the trace does not cover', () => {
    const events = [
      ...httpJob(1, 0, '/files/3f2b8c1e-1d2a-4b5c-8d9e-0a1b2c3d4e5f', { hostCallMs: [1] }),
      ...httpJob(2, 100, '/files/7a2b8c1e-1d2a-4b5c-8d9e-0a1b2c3d4e5f', { hostCallMs: [3], prepared: false }),
      ...httpJob(3, 200, '/files/1b2b8c1e-1d2a-4b5c-8d9e-0a1b2c3d4e5f', { hostCallMs: [2] }),
      ...httpJob(4, 300, '/health'),
      // A job whose thread's events never arrived (the app closed first).
      { t: 400, thread: 'main', event: 'request', job: 5, component: 'files-api', method: 'GET', path: '/health' } as TraceEvent,
      // Idle work belongs to no job.
      { t: 450, thread: 'executor-0', event: 'collect', reason: 'idle', ms: 2 } as TraceEvent,
    ];
    const summary = summarizeTrace(events);
    expect(summary.map((s) => [s.route, s.jobs, s.prepared])).toEqual([
      ['files-api GET /files/{id}', 3, 2],
      ['files-api GET /health', 1, 1],
    ]);
    expect(summary[0]!.median.hostCalls).toBe(2);
    expect(summary[0]!.median.guest).toBe(6.5);
    expect(formatSummary(summary)).toMatch(/files-api GET \/files\/\{id\}\s+3\s+2\s+11\.00/);
  });

  it('names a Redis job by its component and reads a file with a torn last line', () => {
    expect(routeOf({ t: 0, thread: 'main', event: 'request', component: 'worker', trigger: 'redis' })).toBe('worker (redis)');
    const text = `${JSON.stringify({ t: 1, thread: 'main', event: 'request', job: 1 })}\n\n{"t": 2, "thread": "ma`;
    expect(parseTrace(text)).toEqual([{ t: 1, thread: 'main', event: 'request', job: 1 }]);
  });
});
