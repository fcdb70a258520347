/** Messages between the main thread and executor threads. */
import type { HeaderList } from './guest/http.ts';
import type { TraceEvent } from './request-trace.ts';

export interface HttpRequestHead {
  method: string;
  pathWithQuery: string;
  scheme: 'http' | 'https';
  authority: string;
  headers: HeaderList;
}

export type ExecutorJob =
  | {
      type: 'http';
      jobId: number;
      component: string;
      request: HttpRequestHead;
      /** The whole body when it was small enough to buffer; otherwise `streamedBody` is set. */
      body?: Uint8Array;
      streamedBody?: boolean;
    }
  | { type: 'redis'; jobId: number; component: string; payload: Uint8Array }
  /** Instantiate once and drop it (start-up warm-up): V8 compiles a module's functions lazily, on first use. */
  | { type: 'prepare'; jobId: number; component: string };

export interface GuestFailure {
  message: string;
  stack: string;
  /** The last lines the instance wrote to stderr: where componentize-js prints JS exceptions. */
  guestStderr: string[];
  /** The guest caught the error itself and already sent its own (500) response. */
  answered?: boolean;
}

export type ExecutorMessage =
  | { type: 'ready' }
  | { type: 'prepared'; component: string }
  | { type: 'evicted'; component: string }
  /** The thread was idle and let go of this many bytes of pooled memories and prepared instances. */
  | { type: 'trimmed'; bytes: number }
  /** A full collection the thread asked for, and why (executor-worker.ts, scheduleCollection). */
  | { type: 'collected'; reason: CollectionReason }
  /** The thread's host bridge can no longer be trusted (see host-bridge.ts): replace the thread. */
  | { type: 'degraded'; op: string; reason: 'deadline' | 'out-of-step'; detail: string }
  | { type: 'head'; jobId: number; status: number; headers: HeaderList }
  | { type: 'chunk'; jobId: number; bytes: Uint8Array }
  /** The guest finished the response's body: the client has all of it, the job may go on. */
  | { type: 'end'; jobId: number }
  /** `guestMemoryBytes`: the linear memory the job's instance ended with (it only grows). */
  | { type: 'done'; jobId: number; head?: { status: number; headers: HeaderList }; bytes?: Uint8Array; failure?: GuestFailure; warm?: boolean; guestMemoryBytes?: number; reusedMemory?: boolean | undefined }
  | { type: 'log'; component: string; stream: 'stdout' | 'stderr' | 'host'; line: string }
  /** The thread's request-trace events since its last (request-trace.ts), sent after a job's answer. */
  | { type: 'trace'; events: TraceEvent[] }
  | { type: 'guest-error'; component: string; route: string; failure: GuestFailure };

/** Why a thread collected: it went idle, ran FULL_COLLECTION_JOBS jobs, or let go of enough linear memory. */
export type CollectionReason = 'idle' | 'jobs' | 'dropped';
