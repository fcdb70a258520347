/**
 * Synchronous host calls from a guest thread to the main thread, the technique preview2-shim's
 * synckit uses: the worker posts a call on a dedicated MessagePort and sleeps in `Atomics.wait`;
 * the main thread does the asynchronous work (Postgres, Redis, fetch), posts the answer and wakes
 * the worker, which takes the answer off the port with `receiveMessageOnPort`. The guest sees an
 * ordinary blocking function, as it would under Spin.
 *
 * Every answer carries the id of the call it answers, and the shared cell counts answers posted
 * rather than holding a flag. An earlier version woke on a flag and took whatever message was
 * first on the port: a wake-up meant for the previous call (the main thread stores the flag, then
 * notifies; the worker can read the flag, finish that call and start the next before the notify
 * lands) made a call give up with "no answer", and from then on every call on the thread received
 * the answer to the one before — one request's rows in another's hands. Now a wake-up only means
 * "look again", an answer to another call is dropped, and a thread whose channel ever goes out
 * of step (or whose call outlived its deadline) is reported so the pool replaces it.
 */
import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';

/** An error the guest should receive as a WIT `result` error: `payload` is the error variant. */
export class WitError extends Error {
  constructor(readonly payload: unknown) {
    super(typeof payload === 'object' && payload && 'tag' in payload ? String((payload as { tag: unknown }).tag) : String(payload));
  }
}

export interface HostCall {
  /** Absent for notifications, which get no answer. */
  id?: number;
  op: string;
  args: unknown[];
}

type HostAnswer = { id: number } & ({ ok: unknown } | { witError: unknown } | { failure: string });

/** Index of the answer counter in the shared cell. */
const ANSWERS = 0;

/** How long a guest waits for one host call before the call fails (and the thread is retired). */
export const DEFAULT_HOST_CALL_DEADLINE_MS = 120_000;

/** Why a thread's channel can no longer be trusted. */
export interface BridgeFault {
  op: string;
  reason: 'deadline' | 'out-of-step';
  detail: string;
}

export interface HostClientOptions {
  deadlineMs?: number;
  /** Told of every answered call: when it started and how long the caller blocked (request-trace.ts). */
  onCall?: (op: string, startedAt: number, ms: number) => void;
  /** Called once, the first time the channel goes wrong; the thread should then be replaced. */
  onFault?: (fault: BridgeFault) => void;
}

/** The guest side: blocks the calling thread until the main thread has answered this call. */
export class HostClient {
  private readonly answers: Int32Array;
  private readonly deadlineMs: number;
  private lastId = 0;
  private faulted = false;
  /** Answers that arrived for calls that had already given up; counted for tests and logs. */
  discarded = 0;

  constructor(
    private readonly port: MessagePort,
    signal: SharedArrayBuffer,
    private readonly options: HostClientOptions = {},
  ) {
    this.answers = new Int32Array(signal);
    this.deadlineMs = options.deadlineMs ?? DEFAULT_HOST_CALL_DEADLINE_MS;
  }

  call<T>(op: string, ...args: unknown[]): T {
    // Ids stay positive int32s; a wrap-around after 2^31 calls is harmless because only the
    // one call in flight is ever matched.
    const id = (this.lastId = this.lastId >= 0x7fffffff ? 1 : this.lastId + 1);
    const startedAt = this.options.onCall ? performance.now() : 0;
    this.port.postMessage({ id, op, args } satisfies HostCall);
    const deadline = Date.now() + this.deadlineMs;
    for (;;) {
      // Read the counter before looking at the port: an answer posted after the look changes
      // the counter, so the wait below returns at once instead of sleeping through it.
      const seen = Atomics.load(this.answers, ANSWERS);
      const received = receiveMessageOnPort(this.port);
      if (received) {
        const answer = received.message as HostAnswer;
        if (answer.id === id) {
          this.options.onCall?.(op, startedAt, performance.now() - startedAt);
          return settle<T>(op, answer);
        }
        // A late answer to a call that gave up: drop it. Anything else means the channel is
        // broken and nothing more it says can be trusted.
        this.discarded++;
        if (!(answer.id < id || answer.id > id + 0x40000000)) {
          this.fault({ op, reason: 'out-of-step', detail: `answer ${answer.id} arrived while waiting for call ${id}` });
          throw new Error(`host bridge: the answer to ${op} is out of step (got ${answer.id}, expected ${id})`);
        }
        continue;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        this.fault({ op, reason: 'deadline', detail: `no answer to ${op} within ${this.deadlineMs} ms` });
        throw new Error(`host bridge: no answer to ${op} within ${this.deadlineMs} ms`);
      }
      Atomics.wait(this.answers, ANSWERS, seen, remaining);
    }
  }

  /** Fire-and-forget: for notifications that need no answer (releasing resources). */
  notify(op: string, ...args: unknown[]): void {
    this.port.postMessage({ op, args } satisfies HostCall);
  }

  private fault(fault: BridgeFault): void {
    if (this.faulted) return;
    this.faulted = true;
    this.options.onFault?.(fault);
  }
}

function settle<T>(op: string, answer: HostAnswer): T {
  if ('ok' in answer) return answer.ok as T;
  // A thrown `{ payload }` is how jco's glue returns a WIT `result` error to the guest.
  if ('witError' in answer) throw { payload: answer.witError };
  throw new Error(`host call ${op} failed: ${answer.failure}`);
}

export type HostHandler = (...args: never[]) => unknown;

/** The main-thread side: serves one worker's calls with the given handlers. */
export function serveHostCalls(
  port: MessagePort,
  signal: SharedArrayBuffer,
  handlers: Record<string, HostHandler>,
  onUnexpected: (op: string, error: unknown) => void,
  /** Told of every call served: when it arrived and how long its answer took (request-trace.ts). */
  onServed?: (op: string, receivedAt: number, ms: number) => void,
): void {
  const answers = new Int32Array(signal);
  const reply = (answer: HostAnswer) => {
    try {
      port.postMessage(answer);
    } catch (error) {
      // An answer that cannot be cloned must still end the call, or the guest waits until its deadline.
      onUnexpected('reply', error);
      port.postMessage({ id: answer.id, failure: `the host's answer could not be sent: ${error instanceof Error ? error.message : String(error)}` });
    }
    Atomics.add(answers, ANSWERS, 1);
    Atomics.notify(answers, ANSWERS);
  };
  port.on('message', async (message: HostCall) => {
    const { id } = message;
    const receivedAt = onServed ? performance.now() : 0;
    try {
      const handler = handlers[message.op];
      if (!handler) throw new Error(`unknown host call ${message.op}`);
      const ok = await (handler as (...args: unknown[]) => unknown)(...message.args);
      if (id !== undefined) reply({ id, ok });
    } catch (error) {
      if (error instanceof WitError) {
        if (id !== undefined) reply({ id, witError: error.payload });
        return;
      }
      onUnexpected(message.op, error);
      if (id !== undefined) reply({ id, failure: error instanceof Error ? error.message : String(error) });
    } finally {
      // Every call, answered with a value, a WIT error or a failure.
      onServed?.(message.op, receivedAt, performance.now() - receivedAt);
    }
  });
}
