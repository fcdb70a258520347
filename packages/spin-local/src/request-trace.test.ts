import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './harness.ts';
import type { TraceEvent } from './request-trace.ts';
import { jobPhases, parseTrace } from './trace-report.ts';
import { callProbe, startFixtureApp } from '../test/probe-app.ts';

const dir = mkdtempSync(join(tmpdir(), 'spin-local-trace-'));
const traceFile = join(dir, 'trace.jsonl');
let app: TestApp;
let untraced: TestApp;
beforeAll(async () => {
  [app, untraced] = await Promise.all([
    startFixtureApp({ threads: 1, env: { SPIN_LOCAL_TRACE_FILE: traceFile } }),
    startFixtureApp({ threads: 1, env: { SPIN_LOCAL_TRACE_FILE: '' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([app?.close(), untraced?.close()]);
});

/** The trace file's events, once it holds the end of job `until` (threads post theirs after the answer). */
async function eventsUntil(predicate: (events: TraceEvent[]) => boolean): Promise<TraceEvent[]> {
  for (let waited = 0; waited < 5_000; waited += 50) {
    const events = existsSync(traceFile) ? parseTrace(readFileSync(traceFile, 'utf8')) : [];
    if (predicate(events)) return events;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the trace never held what was expected:\n${existsSync(traceFile) ? readFileSync(traceFile, 'utf8').slice(-3000) : '(no file)'}`);
}

describe('SPIN_LOCAL_TRACE_FILE', () => {
  it('writes the timeline of a request: arrival, thread, instance, each host call, the answer', async () => {
    await callProbe(app, 'kv', { store: 'default', ops: [['set', 'traced', 'x'], ['get', 'traced']] });
    const events = await eventsUntil((all) => all.some((e) => e.event === 'request' && e.path === '/probe/kv') && all.some((e) => e.event === 'job-end') && all.some((e) => e.event === 'response-end'));
    const request = events.find((e) => e.event === 'request' && e.path === '/probe/kv')!;
    expect(request).toMatchObject({ thread: 'main', component: 'probe', method: 'POST' });
    const job = events.filter((e) => e.job === request.job).sort((a, b) => a.t - b.t);
    // Every step, in the order it happened, on the thread that did it.
    const steps = job.filter((e) => e.event !== 'host-call' && e.event !== 'host-served').map((e) => `${e.thread} ${e.event}`);
    expect(steps).toEqual([
      'main request',
      'main dispatch',
      'executor-0 job-start',
      'executor-0 instance',
      'executor-0 guest-head',
      'executor-0 guest-end',
      ...steps.slice(6),
    ]);
    expect(steps.slice(6).sort()).toEqual(['executor-0 job-end', 'main job-done', 'main response-end', 'main response-head'].sort());
    // The guest's host calls, as it blocked on them, and as the main thread served them.
    const calls = job.filter((e) => e.event === 'host-call').map((e) => e.op);
    expect(calls).toEqual(expect.arrayContaining(['kv.open', 'kv.set', 'kv.get']));
    expect(job.filter((e) => e.event === 'host-served').map((e) => e.op)).toEqual(calls);
    for (const call of job.filter((e) => e.event === 'host-call')) expect(call.ms).toBeGreaterThanOrEqual(0);
    // The report reads it: the request's phases add up within its total.
    const [phases] = jobPhases(job);
    expect(phases).toMatchObject({ route: 'probe POST /probe/kv', hostCallCount: calls.length });
    expect(phases!.queue + phases!.handoff + phases!.instance + phases!.guest + phases!.hostCalls).toBeLessThanOrEqual(phases!.total);
    // No query string, header or body is written: a trace may be shared.
    expect(readFileSync(traceFile, 'utf8')).not.toContain('traced');
  });

  it('is summarised per route by `spin-local trace-report`', async () => {
    await eventsUntil((all) => all.some((e) => e.event === 'job-end'));
    const bin = fileURLToPath(new URL('../bin/spin-local.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'trace-report', traceFile]);
    expect(stdout).toMatch(/^probe POST \/probe\/kv\s+1\s+[01]\s+\d+\.\d\d/m);
    // An empty trace is an error, not an empty table.
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    await expect(promisify(execFile)(process.execPath, [bin, 'trace-report', empty])).rejects.toMatchObject({ code: 1 });
  }, 60_000);

  it('does not change what the guest answers (an app without it alongside)', async () => {
    expect(await callProbe(untraced, 'kv', { store: 'default', ops: [['set', 'k', 'v'], ['get', 'k']] })).toEqual(await callProbe(app, 'kv', { store: 'default', ops: [['set', 'k', 'v'], ['get', 'k']] }));
    expect(untraced.app.runtimeStats().executor.threads).toBe(1);
  });
});
