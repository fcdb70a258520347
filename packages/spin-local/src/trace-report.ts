/**
 * Reads a request trace (request-trace.ts) into per-route medians of where a request's time went:
 * in the runtime before the guest ran, in the guest's own code, blocked on host calls, and in
 * getting the answer back to the client. A route is the component, the method and the path with
 * its ids (UUIDs, numbers) replaced by `{id}`.
 */
import type { TraceEvent } from './request-trace.ts';

/** One job's phases, in ms. Absent when the trace lacks the events that bound the phase. */
export interface JobPhases {
  route: string;
  /** Arrival to the client having the whole answer (HTTP), or to the job's end (Redis). */
  total: number;
  /** Reading a buffered request body, before the job was queued. */
  body: number;
  /** Queued until a thread took the job. */
  queue: number;
  /** The job message reaching its thread. */
  handoff: number;
  /** Making the instance (≈ 0 when one was prepared ahead). */
  instance: number;
  prepared: boolean;
  /** The guest's own time until its answer was complete, host calls excluded. */
  guest: number;
  /** Time blocked on host calls until the answer was complete, and how many. */
  hostCalls: number;
  hostCallCount: number;
  /** The guest's response head reaching the main thread's socket. */
  relay?: number;
  /** From the guest finishing the body to the socket having all of it. */
  tail?: number;
  /** The guest's work after its answer (`FetchEvent.waitUntil`) until the job ended, collections excluded. */
  afterAnswer: number;
}

export interface RouteSummary {
  route: string;
  jobs: number;
  /** Of those, how many found an instance prepared ahead. */
  prepared: number;
  /** Medians, in ms. */
  median: Omit<JobPhases, 'route' | 'prepared' | 'hostCallCount'> & { hostCallCount: number };
}

const ID_SEGMENT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+)$/i;

export function routeOf(request: TraceEvent): string {
  const component = String(request.component ?? '?');
  if (request.trigger === 'redis') return `${component} (redis)`;
  const path = String(request.path ?? '')
    .split('/')
    .map((segment) => (ID_SEGMENT.test(segment) ? '{id}' : segment))
    .join('/');
  return `${component} ${String(request.method ?? '')} ${path}`;
}

/** Each complete job's phases, in the order the jobs arrived. */
export function jobPhases(events: readonly TraceEvent[]): JobPhases[] {
  const byJob = new Map<number, TraceEvent[]>();
  for (const event of events) {
    if (event.job === undefined) continue;
    const list = byJob.get(event.job) ?? [];
    list.push(event);
    byJob.set(event.job, list);
  }
  const jobs: (JobPhases & { arrived: number })[] = [];
  for (const list of byJob.values()) {
    list.sort((a, b) => a.t - b.t);
    const first = (name: TraceEvent['event']) => list.find((event) => event.event === name);
    const request = first('request');
    const dispatch = first('dispatch');
    const start = first('job-start');
    const instance = first('instance');
    const end = first('job-end');
    if (!request || !dispatch || !start || !instance || !end) continue;
    const guestEnd = first('guest-end');
    const guestHead = first('guest-head');
    const responseHead = first('response-head');
    const responseEnd = first('response-end');
    // The answer is complete when the guest finished its body (HTTP) or returned (Redis).
    const answered = guestEnd ?? end;
    const calls = list.filter((event) => event.event === 'host-call' && event.t < answered.t);
    const hostCalls = calls.reduce((sum, call) => sum + Number(call.ms ?? 0), 0);
    const body = Number(request.queuedAfterMs ?? 0);
    jobs.push({
      arrived: request.t,
      route: routeOf(request),
      total: (responseEnd ?? first('job-done') ?? end).t - request.t,
      body,
      queue: dispatch.t - request.t - body,
      handoff: start.t - dispatch.t,
      instance: instance.t - start.t,
      prepared: instance.prepared === true,
      guest: answered.t - instance.t - hostCalls,
      hostCalls,
      hostCallCount: calls.length,
      ...(guestHead && responseHead ? { relay: responseHead.t - guestHead.t } : {}),
      ...(guestEnd && responseEnd ? { tail: responseEnd.t - guestEnd.t } : {}),
      // Less a full collection the thread ran at the job's end (every 16 jobs): that is the runtime's.
      afterAnswer: end.t - answered.t - list.filter((event) => event.event === 'collect').reduce((sum, event) => sum + Number(event.ms ?? 0), 0),
    });
  }
  return jobs.sort((a, b) => a.arrived - b.arrived).map(({ arrived: _, ...phases }) => phases);
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Per route, the median of each phase over its jobs; routes in order of first appearance. */
export function summarizeTrace(events: readonly TraceEvent[]): RouteSummary[] {
  const groups = new Map<string, JobPhases[]>();
  for (const job of jobPhases(events)) groups.set(job.route, [...(groups.get(job.route) ?? []), job]);
  return [...groups].map(([route, jobs]) => {
    const of = (field: keyof Omit<JobPhases, 'route' | 'prepared'>) => median(jobs.flatMap((job) => (job[field] === undefined ? [] : [job[field]])));
    return {
      route,
      jobs: jobs.length,
      prepared: jobs.filter((job) => job.prepared).length,
      median: {
        total: of('total'),
        body: of('body'),
        queue: of('queue'),
        handoff: of('handoff'),
        instance: of('instance'),
        guest: of('guest'),
        hostCalls: of('hostCalls'),
        hostCallCount: of('hostCallCount'),
        relay: of('relay'),
        tail: of('tail'),
        afterAnswer: of('afterAnswer'),
      },
    };
  });
}

/** Parses a trace file's lines (blank and malformed lines are skipped). */
export function parseTrace(text: string): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const event = JSON.parse(line) as TraceEvent;
      if (typeof event.t === 'number' && typeof event.event === 'string') events.push(event);
    } catch {
      // A line cut short by a process that stopped mid-write.
    }
  }
  return events;
}

/** A plain-text table of the summaries. */
export function formatSummary(summaries: readonly RouteSummary[]): string {
  const columns = ['total', 'body', 'queue', 'handoff', 'instance', 'guest', 'hostCalls', 'relay', 'tail', 'afterAnswer'] as const;
  const width = Math.max(5, ...summaries.map((s) => s.route.length));
  const header = `${'route'.padEnd(width)}  ${'jobs'.padStart(4)} ${'prep'.padStart(4)} ${columns.map((c) => c.padStart(9)).join(' ')} ${'calls'.padStart(5)}`;
  const cell = (value: number) => (Number.isNaN(value) ? '-' : value.toFixed(2)).padStart(9);
  const rows = summaries.map(
    (s) => `${s.route.padEnd(width)}  ${String(s.jobs).padStart(4)} ${String(s.prepared).padStart(4)} ${columns.map((c) => cell(s.median[c] as number)).join(' ')} ${String(s.median.hostCallCount).padStart(5)}`,
  );
  return [`medians in ms (prep: jobs that found an instance prepared ahead; calls: host calls before the answer)`, header, ...rows].join('\n');
}
