/**
 * A request timeline: with `SPIN_LOCAL_TRACE_FILE=<path>` (or the `traceFile` option) spin-local
 * appends one JSON line per step of every request and Redis message to the file — when it arrived,
 * when a thread took it, how its instance was made, every host call the guest blocked on, when the
 * guest answered, when the client got the answer — and what the threads did between jobs
 * (instances prepared ahead, collections). `summarizeTrace` (trace-report.ts) turns a file into
 * per-route medians of each phase; bench/spin-local `trace-report` prints them.
 *
 * Each thread records into memory and hands its events over after the job (an executor thread
 * posts them to the main thread, after the job's answer), so tracing adds no I/O to a request.
 * Times are milliseconds since the Unix epoch with sub-millisecond precision
 * (`performance.timeOrigin + performance.now()`), comparable across threads.
 */
import { appendFile } from 'node:fs/promises';

export interface TraceEvent {
  /** ms since the epoch. */
  t: number;
  /** `main`, or `executor-<slot>`. */
  thread: string;
  event: TraceEventName;
  /** The job (request or Redis message) the event belongs to; none for idle work. */
  job?: number;
  [field: string]: unknown;
}

export type TraceEventName =
  // Main thread: a request arrived (routed to `component`); a thread (`to`) took its job; the response
  // head and end reached the client's socket; the job finished (the guest returned).
  | 'request'
  | 'dispatch'
  | 'response-head'
  | 'response-end'
  | 'job-done'
  // Main thread: a host call served for a thread (`ms` from its arrival to the answer).
  | 'host-served'
  // Executor thread: the job arrived; its instance was ready (`prepared`: made ahead of it);
  // a host call (`ms`: blocked for); the guest set the response head; finished the body; returned.
  | 'job-start'
  | 'instance'
  | 'host-call'
  | 'guest-head'
  | 'guest-end'
  | 'job-end'
  // Executor thread, between jobs.
  | 'prepare-ahead'
  | 'collect'
  | 'idle-trim';

export const traceNow = (): number => performance.timeOrigin + performance.now();

/**
 * Collects one thread's events, for `take`, or hands each to `sink` (the main thread's go
 * straight to the file); `record` is a no-op when tracing is off.
 */
export class TraceRecorder {
  private events: TraceEvent[] = [];

  constructor(
    readonly enabled: boolean,
    private readonly thread: string,
    private readonly sink?: (event: TraceEvent) => void,
  ) {}

  /** `t` defaults to now; a `job` left undefined is left out. */
  record(event: TraceEventName, fields: { t?: number; job?: number | undefined; [field: string]: unknown } = {}): void {
    if (!this.enabled) return;
    const { t = traceNow(), job, ...rest } = fields;
    const recorded: TraceEvent = { t, thread: this.thread, event, ...(job !== undefined ? { job } : {}), ...rest };
    if (this.sink) this.sink(recorded);
    else this.events.push(recorded);
  }

  /** The events recorded since the last call. */
  take(): TraceEvent[] {
    const taken = this.events;
    this.events = [];
    return taken;
  }
}

/** Appends events to the trace file in the background, in order; `close` writes what is left. */
export class TraceFile {
  private pending: string[] = [];
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** A write that failed (the file's directory is gone, say): reported once, tracing stops. */
  private failed = false;

  constructor(
    readonly path: string,
    private readonly onError: (error: unknown) => void,
    private readonly flushAfterMs = 200,
  ) {}

  add(events: readonly TraceEvent[]): void {
    if (this.failed || events.length === 0) return;
    for (const event of events) this.pending.push(`${JSON.stringify(event)}\n`);
    this.timer ??= setTimeout(() => void this.flush(), this.flushAfterMs).unref();
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) {
      const text = this.pending.join('');
      this.pending = [];
      this.writing = this.writing.then(() =>
        appendFile(this.path, text).catch((error: unknown) => {
          if (!this.failed) this.onError(error);
          this.failed = true;
        }),
      );
    }
    return this.writing;
  }
}
