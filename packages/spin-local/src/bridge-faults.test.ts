/**
 * The host bridge under slow and failing host calls, through the compiled probe component: every
 * response carries its own request's data, a call that outlives its deadline fails only its own
 * request, the thread it ran on is replaced, and /.well-known/spin/health says so meanwhile.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './harness.ts';
import { callProbe, startFixtureApp } from '../test/probe-app.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let app: TestApp;
let upstream: Server;
let upstreamUrl: string;

beforeAll(async () => {
  // `/slow` answers after the bridge's deadline; anything else echoes its query after a jitter.
  upstream = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    const delay = url.pathname === '/slow' ? 1500 : Math.random() * 15;
    setTimeout(() => res.end(url.searchParams.get('x') ?? ''), delay);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  app = await startFixtureApp({ components: ['probe', 'hidden'], hostCallDeadlineMs: 500 });
});
afterAll(async () => {
  await app?.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

type ProbeFetch = { status?: number; body?: string; error?: string };

/** The probe's outbound fetch of `url`; a host call past its deadline traps the guest (500). */
async function probeFetch(url: string): Promise<{ status: number; result?: ProbeFetch }> {
  const response = await app.fetch('/probe/fetch', { method: 'POST', body: JSON.stringify({ url }), headers: { 'content-type': 'application/json' } });
  const text = await response.text();
  return response.status === 200 ? { status: 200, result: JSON.parse(text) as ProbeFetch } : { status: response.status };
}

// spin-local's counters; Spin's /.well-known/spin/info carries only the app's name and version.
const info = async () => app.app.runtimeStats();

async function waitForHealthy(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await app.fetch('/.well-known/spin/health')).status === 200) return;
    await sleep(50);
  }
  throw new Error('the runtime never became healthy again');
}

describe('host bridge faults', () => {
  it('keeps every response with its own request while host calls are slow, failing or past their deadline', async () => {
    const requests = Array.from({ length: 48 }, (_, i) => {
      const kind = i % 12 === 5 ? 'slow' : i % 7 === 3 ? 'refused' : 'echo';
      const url = kind === 'slow' ? `${upstreamUrl}/slow?x=${i}` : kind === 'refused' ? 'http://127.0.0.1:1/nothing' : `${upstreamUrl}/echo?x=request-${i}`;
      return { i, kind, promise: probeFetch(url) };
    });
    for (const { i, kind, promise } of requests) {
      const answer = await promise;
      if (kind === 'echo') expect(answer, `request ${i}`).toMatchObject({ status: 200, result: { status: 200, body: `request-${i}` } });
      else if (kind === 'slow') expect(answer, `request ${i}`).toEqual({ status: 500 });
      else expect(answer.result?.error, `request ${i}`).toBeDefined();
    }
    expect(app.logs.lines.filter((line) => /no answer to http.send within 500 ms/.test(line.text)).length).toBeGreaterThanOrEqual(4);
    await waitForHealthy();
    const after = await info();
    expect(after.executor.faults).toBeGreaterThanOrEqual(1);
    expect(after.executor.threads).toBe(2);
    // The replaced threads serve correctly.
    for (let i = 0; i < 6; i++) expect(await callProbe<ProbeFetch>(app, 'fetch', { url: `${upstreamUrl}/echo?x=after-${i}` })).toMatchObject({ body: `after-${i}` });
  });

  it('reports the runtime degraded until the faulted thread is replaced', async () => {
    await waitForHealthy();
    const faultsBefore = (await info()).executor.faults;
    expect(await probeFetch(`${upstreamUrl}/slow?x=late`)).toEqual({ status: 500 });
    // The fault is known before the response leaves the thread, and the replacement takes a while.
    const health = await app.fetch('/.well-known/spin/health');
    expect(health.status).toBe(503);
    expect(await health.text()).toMatch(/^degraded: /);
    await waitForHealthy();
    expect((await info()).executor).toEqual({ threads: 2, faults: faultsBefore + 1 });
    expect(app.logs.lines.some((line) => /host bridge fault \(deadline on http.send/.test(line.text))).toBe(true);
  });
});
