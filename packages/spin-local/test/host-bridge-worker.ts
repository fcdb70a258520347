// A worker thread for host-bridge.test.ts: makes the listed host calls one after another, as a
// guest would, and reports what each call returned or threw.
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { type BridgeFault, HostClient } from '../src/host-bridge.ts';

export interface BridgeWorkerData {
  port: MessagePort;
  signal: SharedArrayBuffer;
  deadlineMs: number;
  calls: { op: string; arg: string }[];
}

export type CallOutcome = { op: string; arg: string } & ({ ok: unknown } | { payload: unknown } | { error: string });

export interface BridgeWorkerReport {
  outcomes: CallOutcome[];
  faults: BridgeFault[];
  discarded: number;
}

const data = workerData as BridgeWorkerData;
const faults: BridgeFault[] = [];
const client = new HostClient(data.port, data.signal, { deadlineMs: data.deadlineMs, onFault: (fault) => faults.push(fault) });
const outcomes: CallOutcome[] = [];
for (const { op, arg } of data.calls) {
  try {
    outcomes.push({ op, arg, ok: client.call(op, arg) });
  } catch (error) {
    if (error instanceof Error) outcomes.push({ op, arg, error: error.message });
    else outcomes.push({ op, arg, payload: (error as { payload: unknown }).payload });
  }
}
parentPort!.postMessage({ outcomes, faults, discarded: client.discarded } satisfies BridgeWorkerReport);
