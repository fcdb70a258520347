/**
 * A small pool of executor threads (one per core by default). Each thread runs one job at a time;
 * the pool queues the rest and prefers a thread that already prepared an instance of the wanted
 * component. Every thread gets its own host-bridge port, served here on the main thread.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import type { ExecutorComponent, ExecutorInit } from './executor-worker.ts';
import type { ExecutorJob, ExecutorMessage, GuestFailure, HttpRequestHead } from './executor-protocol.ts';
import type { HeaderList } from './guest/http.ts';
import { type HostHandler, serveHostCalls } from './host-bridge.ts';
import type { HttpTriggerSpec } from './routes.ts';
import { bundledEntry } from './entry-bundle.ts';
import { type TraceEvent, type TraceRecorder, traceNow } from './request-trace.ts';

export interface HttpJobCallbacks {
  /** The job's id, as soon as it is queued (for the request trace). */
  onQueued?(jobId: number): void;
  onHead(status: number, headers: HeaderList): void;
  onChunk(bytes: Uint8Array): void;
  /** The body is complete (the guest finished it); the job may still be running. */
  onEnd?(): void;
}

/** A request body the guest pulls chunk by chunk (bodies too large to hand over at once). */
export interface StreamedBody {
  read(maxBytes: number): Promise<Uint8Array | null>;
}

interface PendingJob {
  job: ExecutorJob;
  callbacks?: HttpJobCallbacks;
  streamedBody?: StreamedBody;
  resolve(failure: GuestFailure | undefined): void;
}

interface ExecutorThread {
  worker: Worker;
  /** Stable position in the pool: components have a home slot. */
  slot: number;
  busy: PendingJob | undefined;
  prepared: Set<string>;
  /** Components whose glue this thread has loaded (~15 MB of JS heap each). */
  loaded: Set<string>;
  /** Set between a job's end and the instance the thread then prepares ahead for it. */
  preparingFor: string | undefined;
  /** The component of the thread's previous job (it prepares ahead after two in a row). */
  lastComponent: string | undefined;
  /** Its host bridge faulted: it takes no more jobs and is replaced once its job ends. */
  retiring?: string;
}

export interface ExecutorPoolOptions {
  size: number;
  /** Component ids, known before their modules are compiled. */
  componentIds: string[];
  /** The components themselves; threads start while these are still compiling. */
  components: Promise<ExecutorComponent[]>;
  httpTriggers: HttpTriggerSpec[];
  maxPrepared: number;
  /** Host calls shared by all threads (backends, outbound HTTP). */
  hostHandlers: Record<string, HostHandler>;
  /** Host calls that also learn which kind of job made them (`undefined`: none, e.g. start-up warm-up). */
  jobHostHandlers?: Record<string, (job: ExecutorJob['type'] | undefined, ...args: never[]) => unknown>;
  onLog(message: Extract<ExecutorMessage, { type: 'log' }>): void;
  onGuestError(message: Extract<ExecutorMessage, { type: 'guest-error' }>): void;
  onHostError(op: string, error: unknown): void;
  /** How long one host call may take before it fails and its thread is retired. */
  hostCallDeadlineMs?: number;
  /** Per thread: most bytes of finished instances' memories kept for reuse. */
  memoryPoolBytes?: number;
  /** Per thread: how long without a job before it lets go of pooled memories and prepared instances. */
  idleTrimMs?: number;
  /** The request trace (request-trace.ts): the main thread's recorder, and where the threads' events go. */
  trace?: { main: TraceRecorder; add(events: readonly TraceEvent[]): void };
}


export class ExecutorPool {
  private readonly threads: ExecutorThread[] = [];
  private readonly queue: PendingJob[] = [];
  /** Warm-up work, done only when no request is waiting. */
  private readonly background: PendingJob[] = [];
  private readonly running = new Map<number, PendingJob>();
  /** Threads retired because their host bridge faulted, since start. */
  private faults = 0;
  private nextJobId = 1;
  /** Jobs that found an instance prepared ahead, and jobs that had to instantiate first. */
  /** Instances prepared ahead or made on demand, and the largest linear memory a job's instance reached. */
  /** And how many jobs' instances started on a finished instance's memory, reset (memory-images.ts), or on a new one. */
  /** And how often an idle thread let go of its memories (`idleTrims`), and how many bytes in all. */
  readonly stats = { prepared: 0, fresh: 0, peakGuestMemoryBytes: 0, memoryReused: 0, memoryNew: 0, idleTrims: 0, trimmedBytes: 0, collections: { idle: 0, jobs: 0, dropped: 0 } };
  private closed = false;

  private readonly componentSlots: Map<string, number>;

  private constructor(
    private readonly options: ExecutorPoolOptions,
    /** The executor thread's code, bundled to plain JavaScript. */
    private readonly workerFile: string,
  ) {
    this.componentSlots = new Map(options.componentIds.map((id, i) => [id, i]));
  }

  static async start(options: ExecutorPoolOptions): Promise<ExecutorPool> {
    const pool = new ExecutorPool(options, await bundledEntry('executor-worker.ts'));
    try {
      await Promise.all([options.components, ...Array.from({ length: Math.max(1, options.size) }, (_, slot) => pool.spawn(slot))]);
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  private spawn(slot: number): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    const init: ExecutorInit = {
      hostPort: port2,
      signal,
      httpTriggers: this.options.httpTriggers,
      maxPrepared: this.options.maxPrepared,
      ...(this.options.hostCallDeadlineMs !== undefined ? { hostCallDeadlineMs: this.options.hostCallDeadlineMs } : {}),
      ...(this.options.memoryPoolBytes !== undefined ? { memoryPoolBytes: this.options.memoryPoolBytes } : {}),
      ...(this.options.idleTrimMs !== undefined ? { idleTrimMs: this.options.idleTrimMs } : {}),
      ...(this.options.trace ? { trace: { slot } } : {}),
    };
    const worker = new Worker(this.workerFile, {
      workerData: init,
      transferList: [port2],
      // SPIN_LOCAL_PROFILE_DIR=<dir>: a V8 CPU profile of each executor thread (the guests' time), for finding where a request's time goes.
      execArgv: process.env.SPIN_LOCAL_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SPIN_LOCAL_PROFILE_DIR}`] : [],
      stdout: false,
      stderr: false,
    });
    const thread: ExecutorThread = { worker, slot, busy: undefined, prepared: new Set(), loaded: new Set(), preparingFor: undefined, lastComponent: undefined };
    serveHostCalls(
      port1,
      signal,
      {
        ...this.options.hostHandlers,
        ...Object.fromEntries(
          Object.entries(this.options.jobHostHandlers ?? {}).map(([op, handler]) => [op, (...args: never[]) => handler(thread.busy?.job.type, ...args)]),
        ),
        'body.read': (jobId: number, maxBytes: number) => {
          const body = this.running.get(jobId)?.streamedBody;
          return body ? body.read(maxBytes) : null;
        },
      },
      this.options.onHostError,
      this.options.trace
        ? (op, receivedAt, ms) => this.options.trace?.main.record('host-served', { t: performance.timeOrigin + receivedAt, job: thread.busy?.job.jobId, op, ms, for: `executor-${slot}` })
        : undefined,
    );
    port1.unref();
    void this.options.components.then(
      (components) => worker.postMessage({ type: 'load', components }),
      () => void worker.terminate(),
    );
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (message: ExecutorMessage) => {
        if (message.type === 'ready') {
          worker.off('error', reject);
          worker.on('error', (error) => this.threadFailed(thread, error));
          this.threads.push(thread);
          resolve();
          this.pump();
          return;
        }
        this.onMessage(thread, message);
      });
      worker.once('exit', (code) => {
        // A retired thread was terminated on purpose and is replaced by retire().
        if (!this.closed && !thread.retiring) this.threadFailed(thread, new Error(`executor thread exited with code ${code}`));
      });
    });
  }

  /**
   * Why the runtime cannot be trusted to serve every request right now, or undefined when it can:
   * a thread was retired after a host-bridge fault and its replacement is not up yet.
   */
  get degraded(): string | undefined {
    if (this.closed) return 'the app is shutting down';
    const retiring = this.threads.find((t) => t.retiring);
    if (retiring) return `executor thread ${retiring.slot} is being replaced: ${retiring.retiring}`;
    if (this.threads.length < Math.max(1, this.options.size)) return 'an executor thread is being replaced';
    return undefined;
  }

  /** Counters for /.well-known/spin/info and tests. */
  get health(): { threads: number; faults: number } {
    return { threads: this.threads.filter((t) => !t.retiring).length, faults: this.faults };
  }

  private retire(thread: ExecutorThread): void {
    const index = this.threads.indexOf(thread);
    if (index < 0) return;
    this.threads.splice(index, 1);
    // Terminating first: the replacement must not share a port with a thread that may still talk.
    void thread.worker.terminate().then(
      () => {
        if (!this.closed) void this.spawn(thread.slot).catch((e) => this.options.onHostError('spawn', e));
      },
      (e) => this.options.onHostError('terminate', e),
    );
  }

  private threadFailed(thread: ExecutorThread, error: unknown): void {
    const index = this.threads.indexOf(thread);
    if (index >= 0) this.threads.splice(index, 1);
    const pending = thread.busy;
    thread.busy = undefined;
    if (pending) {
      this.running.delete(pending.job.jobId);
      const err = error instanceof Error ? error : new Error(String(error));
      pending.resolve({ message: `executor thread failed: ${err.message}`, stack: err.stack ?? '', guestStderr: [] });
    }
    if (!this.closed) void this.spawn(thread.slot).catch((e) => this.options.onHostError('spawn', e));
  }

  private onMessage(thread: ExecutorThread, message: ExecutorMessage): void {
    switch (message.type) {
      case 'log':
        return this.options.onLog(message);
      case 'trace':
        return this.options.trace?.add(message.events);
      case 'guest-error':
        return this.options.onGuestError(message);
      case 'prepared':
        thread.prepared.add(message.component);
        thread.preparingFor = undefined;
        this.pump();
        return;
      case 'evicted':
        thread.prepared.delete(message.component);
        return;
      case 'collected':
        this.stats.collections[message.reason]++;
        return;
      case 'trimmed':
        this.stats.idleTrims++;
        this.stats.trimmedBytes += message.bytes;
        return;
      case 'degraded':
        if (thread.retiring) return;
        thread.retiring = `${message.reason} on ${message.op}: ${message.detail}`;
        this.faults++;
        thread.prepared.clear();
        this.options.onHostError(message.op, new Error(`host bridge fault (${thread.retiring}); the executor thread is replaced after its current job`));
        if (!thread.busy) this.retire(thread);
        return;
      case 'head':
        this.running.get(message.jobId)?.callbacks?.onHead(message.status, message.headers);
        return;
      case 'chunk':
        this.running.get(message.jobId)?.callbacks?.onChunk(message.bytes);
        return;
      case 'end':
        this.running.get(message.jobId)?.callbacks?.onEnd?.();
        return;
      case 'done': {
        const pending = this.running.get(message.jobId);
        if (!pending) return;
        this.running.delete(message.jobId);
        this.options.trace?.main.record('job-done', { job: message.jobId, ...(message.failure ? { failed: true } : {}) });
        if (message.head) pending.callbacks?.onHead(message.head.status, message.head.headers);
        if (message.bytes) pending.callbacks?.onChunk(message.bytes);
        thread.busy = undefined;
        // The thread now prepares the next instance of this component (unless it has one).
        thread.preparingFor =
          this.options.maxPrepared > 0 && pending.job.type !== 'prepare' && thread.lastComponent === pending.job.component && !thread.prepared.has(pending.job.component)
            ? pending.job.component
            : undefined;
        if (pending.job.type !== 'prepare') thread.lastComponent = pending.job.component;
        if (pending.job.type !== 'prepare') {
          if (message.guestMemoryBytes !== undefined) this.stats.peakGuestMemoryBytes = Math.max(this.stats.peakGuestMemoryBytes, message.guestMemoryBytes);
          if (message.warm) this.stats.prepared++;
          else this.stats.fresh++;
          if (message.reusedMemory === true) this.stats.memoryReused++;
          else if (message.reusedMemory === false) this.stats.memoryNew++;
        }
        pending.resolve(message.failure);
        if (thread.retiring) this.retire(thread);
        this.pump();
        return;
      }
      case 'ready':
        return;
    }
  }

  /**
   * Each component has a home thread, so its glue (and V8's code for it) lives in one isolate;
   * it spills to another idle thread that already has it loaded, or when its home thread is busy
   * with that same component (a hot component gets every thread).
   */
  private homeSlot(component: string): number {
    return (this.componentSlots.get(component) ?? 0) % Math.max(1, this.options.size);
  }

  private eligible(pending: PendingJob, thread: ExecutorThread): boolean {
    const component = pending.job.component;
    const home = this.homeSlot(component);
    if (thread.slot === home) return true;
    if (pending.job.type === 'prepare') return false;
    if (thread.loaded.has(component)) return true;
    const homeThread = this.threads.find((t) => t.slot === home);
    return !homeThread || homeThread.busy?.job.component === component || homeThread.preparingFor === component;
  }

  private pump(): void {
    for (const list of [this.queue, this.background]) {
      for (let i = 0; i < list.length; ) {
        const pending = list[i] as PendingJob;
        const candidates = this.threads.filter((t) => !t.busy && !t.retiring && this.eligible(pending, t));
        if (candidates.length === 0) {
          i++;
          continue;
        }
        list.splice(i, 1);
        const component = pending.job.component;
        // A prepared instance first; then a thread that is not busy preparing one; then home.
        const thread =
          candidates.find((t) => t.prepared.has(component)) ??
          candidates.find((t) => t.preparingFor === undefined && t.slot === this.homeSlot(component)) ??
          candidates.find((t) => t.preparingFor === undefined) ??
          (candidates[0] as ExecutorThread);
        const wasPrepared = thread.prepared.delete(component);
        thread.preparingFor = undefined;
        thread.loaded.add(component);
        thread.busy = pending;
        if (pending.job.type !== 'prepare') this.options.trace?.main.record('dispatch', { job: pending.job.jobId, to: `executor-${thread.slot}`, prepared: wasPrepared });
        this.running.set(pending.job.jobId, pending);
        thread.worker.postMessage(pending.job);
      }
    }
  }

  private enqueue(pending: Omit<PendingJob, 'resolve'>, receivedAt?: number): Promise<GuestFailure | undefined> {
    if (this.closed) return Promise.resolve({ message: 'the app is shutting down', stack: '', guestStderr: [] });
    const { job } = pending;
    if (this.options.trace && job.type !== 'prepare') {
      const at = traceNow();
      const fields = job.type === 'http' ? { method: job.request.method, path: job.request.pathWithQuery.split('?')[0] } : { trigger: 'redis' };
      // `queuedAfterMs`: from the request's arrival to its job (reading a buffered body).
      this.options.trace.main.record('request', { t: receivedAt ?? at, job: job.jobId, component: job.component, ...fields, queuedAfterMs: receivedAt === undefined ? 0 : at - receivedAt });
    }
    pending.callbacks?.onQueued?.(job.jobId);
    return new Promise((resolve) => {
      this.queue.push({ ...pending, resolve });
      this.pump();
    });
  }

  /** Runs one HTTP request; resolves when the response is complete (or failed). */
  runHttp(component: string, request: HttpRequestHead, body: Uint8Array | StreamedBody | undefined, callbacks: HttpJobCallbacks, receivedAt?: number): Promise<GuestFailure | undefined> {
    const jobId = this.nextJobId++;
    const streamed = body !== undefined && !(body instanceof Uint8Array);
    const job: ExecutorJob = { type: 'http', jobId, component, request, ...(streamed ? { streamedBody: true } : { body: body as Uint8Array | undefined }) };
    return this.enqueue({ job, callbacks, ...(streamed ? { streamedBody: body as StreamedBody } : {}) }, receivedAt);
  }

  /**
   * Instantiates each component once, spread over the threads, in the background: the first
   * instance of a module pays for V8's lazy compilation of everything start-up touches.
   */
  warmUp(components: string[]): void {
    for (const component of components) {
      this.background.push({ job: { type: 'prepare', jobId: this.nextJobId++, component }, resolve: () => {} });
    }
    this.pump();
  }

  runRedis(component: string, payload: Uint8Array): Promise<GuestFailure | undefined> {
    return this.enqueue({ job: { type: 'redis', jobId: this.nextJobId++, component, payload } });
  }

  /** Jobs queued or running. */
  get pending(): number {
    return this.queue.length + this.running.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.background.length = 0;
    for (const pending of this.queue.splice(0)) pending.resolve({ message: 'the app is shutting down', stack: '', guestStderr: [] });
    if (process.env.SPIN_LOCAL_PROFILE_DIR) await Promise.all(this.threads.map((t) => exitForProfile(t.worker)));
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

/**
 * A thread run with --cpu-prof writes its profile only when it exits by itself: terminate()
 * stops it without one. Asked to exit, it does so between jobs; terminate() follows anyway.
 */
function exitForProfile(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 5_000);
    worker.once('exit', () => (clearTimeout(timer), resolve()));
    worker.postMessage({ type: 'exit' });
  });
}
