/**
 * Synchronous host calls from a guest thread to the main thread, the technique preview2-shim's
 * synckit uses: the worker posts a call on a dedicated MessagePort and sleeps in `Atomics.wait`;
 * the main thread does the asynchronous work (Postgres, Redis, fetch), posts the answer and wakes
 * the worker, which takes the answer off the port with `receiveMessageOnPort`. The guest sees an
 * ordinary blocking function, as it would under Spin.
 */
import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';

/** An error the guest should receive as a WIT `result` error: `payload` is the error variant. */
export class WitError extends Error {
  constructor(readonly payload: unknown) {
    super(typeof payload === 'object' && payload && 'tag' in payload ? String((payload as { tag: unknown }).tag) : String(payload));
  }
}

export interface HostCall {
  op: string;
  args: unknown[];
}

type HostAnswer = { ok: unknown } | { witError: unknown } | { failure: string };

const STATE = 0;
const IDLE = 0;
const ANSWERED = 1;

/** The guest side: blocks the calling thread until the main thread has answered. */
export class HostClient {
  private readonly state: Int32Array;

  constructor(
    private readonly port: MessagePort,
    signal: SharedArrayBuffer,
  ) {
    this.state = new Int32Array(signal);
  }

  call<T>(op: string, ...args: unknown[]): T {
    Atomics.store(this.state, STATE, IDLE);
    this.port.postMessage({ op, args } satisfies HostCall);
    Atomics.wait(this.state, STATE, IDLE);
    const received = receiveMessageOnPort(this.port);
    if (!received) throw new Error(`host bridge: no answer to ${op}`);
    const answer = received.message as HostAnswer;
    if ('ok' in answer) return answer.ok as T;
    // A thrown `{ payload }` is how jco's glue returns a WIT `result` error to the guest.
    if ('witError' in answer) throw { payload: answer.witError };
    throw new Error(`host call ${op} failed: ${answer.failure}`);
  }

  /** Fire-and-forget: for notifications that need no answer (releasing resources). */
  notify(op: string, ...args: unknown[]): void {
    this.port.postMessage({ op, args, noReply: true });
  }
}

export type HostHandler = (...args: never[]) => unknown;

/** The main-thread side: serves one worker's calls with the given handlers. */
export function serveHostCalls(
  port: MessagePort,
  signal: SharedArrayBuffer,
  handlers: Record<string, HostHandler>,
  onUnexpected: (op: string, error: unknown) => void,
): void {
  const state = new Int32Array(signal);
  port.on('message', async (message: HostCall & { noReply?: boolean }) => {
    let answer: HostAnswer;
    try {
      const handler = handlers[message.op];
      if (!handler) throw new Error(`unknown host call ${message.op}`);
      answer = { ok: await (handler as (...args: unknown[]) => unknown)(...message.args) };
    } catch (error) {
      if (error instanceof WitError) answer = { witError: error.payload };
      else {
        onUnexpected(message.op, error);
        answer = { failure: error instanceof Error ? error.message : String(error) };
      }
    }
    if (message.noReply) return;
    port.postMessage(answer);
    Atomics.store(state, STATE, ANSWERED);
    Atomics.notify(state, STATE);
  });
}
