import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BridgeWorkerData, BridgeWorkerReport } from '../test/host-bridge-worker.ts';
import { type HostHandler, WitError, serveHostCalls } from './host-bridge.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let workDir: string;
let workerFile: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'host-bridge-'));
  workerFile = join(workDir, 'worker.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('../test/host-bridge-worker.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: workerFile,
    logLevel: 'error',
  });
});
afterAll(() => rm(workDir, { recursive: true, force: true }));

/**
 * Runs the calls on a real worker thread against `handlers` served on this thread, while
 * `Atomics.notify` fires on the shared cell at random moments: the stray wake-up that made the
 * old bridge give up on a call and then hand every later call the answer to the one before.
 */
async function runCalls(calls: BridgeWorkerData['calls'], handlers: Record<string, HostHandler>, deadlineMs = 10_000): Promise<BridgeWorkerReport> {
  const { port1, port2 } = new MessageChannel();
  const signal = new SharedArrayBuffer(4);
  const unexpected: string[] = [];
  serveHostCalls(port1, signal, handlers, (op) => unexpected.push(op));
  const strayWakeups = setInterval(() => Atomics.notify(new Int32Array(signal), 0), 1);
  const worker = new Worker(workerFile, { workerData: { port: port2, signal, deadlineMs, calls } satisfies BridgeWorkerData, transferList: [port2] });
  try {
    return await new Promise<BridgeWorkerReport>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  } finally {
    clearInterval(strayWakeups);
    port1.close();
    await worker.terminate();
  }
}

const randomDelay = () => sleep(Math.random() < 0.5 ? 0 : Math.random() * 3);

const handlers: Record<string, HostHandler> = {
  echo: async (arg: string) => {
    await randomDelay();
    return `echo:${arg}`;
  },
  sync: (arg: string) => `sync:${arg}`,
  fail: async (arg: string) => {
    await randomDelay();
    throw new Error(`fail:${arg}`);
  },
  wit: async (arg: string) => {
    await randomDelay();
    throw new WitError({ tag: 'query-failed', val: arg });
  },
  // A function cannot be posted: the answer must still arrive, as a failure.
  uncloneable: (arg: string) => () => arg,
};

describe('host bridge', () => {
  it('answers every call with its own result, through slow, failing and unsendable calls and stray wake-ups', async () => {
    const ops = ['echo', 'sync', 'fail', 'wit', 'uncloneable'];
    const calls = Array.from({ length: 1500 }, (_, i) => ({ op: ops[Math.floor(Math.random() * ops.length)]!, arg: `call-${i}` }));
    const report = await runCalls(calls, handlers);

    expect(report.outcomes).toHaveLength(calls.length);
    for (const outcome of report.outcomes) {
      if (outcome.op === 'echo') expect(outcome).toEqual({ ...outcome, ok: `echo:${outcome.arg}` });
      if (outcome.op === 'sync') expect(outcome).toEqual({ ...outcome, ok: `sync:${outcome.arg}` });
      if (outcome.op === 'fail') expect(outcome).toEqual({ ...outcome, error: `host call fail failed: fail:${outcome.arg}` });
      if (outcome.op === 'wit') expect(outcome).toEqual({ ...outcome, payload: { tag: 'query-failed', val: outcome.arg } });
      if (outcome.op === 'uncloneable') expect('error' in outcome && outcome.error).toMatch(/^host call uncloneable failed: the host's answer could not be sent/);
    }
    expect(report.faults).toEqual([]);
    expect(report.discarded).toBe(0);
  });

  it('fails a call that outlives its deadline, drops its late answer and reports the fault once', async () => {
    // Wide margins: on a loaded machine a 60 ms call once took longer than a 100 ms deadline.
    // The stuck calls time out at 1.5 s and 3 s and answer at 4 s and 5.5 s, while the naps
    // (each well inside the deadline) run from 3 s to 6.2 s.
    const deadlineMs = 1500;
    const slowHandlers: Record<string, HostHandler> = {
      ...handlers,
      slow: async (arg: string) => {
        await sleep(4000);
        return `late:${arg}`;
      },
      // Each within the deadline; together they outlast the slow calls' late answers.
      nap: async (arg: string) => {
        await sleep(400);
        return `nap:${arg}`;
      },
    };
    const calls = [{ op: 'echo', arg: 'before' }, { op: 'slow', arg: 'stuck' }, { op: 'slow', arg: 'stuck-again' }, ...Array.from({ length: 8 }, (_, i) => ({ op: 'nap', arg: `after-${i}` }))];
    const report = await runCalls(calls, slowHandlers, deadlineMs);

    expect(report.outcomes[0]).toEqual({ op: 'echo', arg: 'before', ok: 'echo:before' });
    expect(report.outcomes[1]).toEqual({ op: 'slow', arg: 'stuck', error: 'host bridge: no answer to slow within 1500 ms' });
    expect(report.outcomes[2]).toEqual({ op: 'slow', arg: 'stuck-again', error: 'host bridge: no answer to slow within 1500 ms' });
    for (const [i, outcome] of report.outcomes.slice(3).entries()) expect(outcome).toEqual({ op: 'nap', arg: `after-${i}`, ok: `nap:after-${i}` });
    // Both late answers arrived while later calls waited, and neither was taken for theirs.
    expect(report.discarded).toBe(2);
    expect(report.faults).toEqual([{ op: 'slow', reason: 'deadline', detail: 'no answer to slow within 1500 ms' }]);
  });
});
