// 1,000 jobs enqueued while the worker is down, on the embedded backends (the real servers are
// covered by processes.test.ts): first the API alone (its nudges reach no subscriber and are
// lost), then the whole app on the same database, where the first request's sweep (the API's
// `jobs` option) nudges the worker and starts its chain.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestApp } from '@authorworks/spin-local';
import { startService } from '@authorworks/spin-local/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { AUTH_SECRET, MANIFEST, demoClient, realServers, rows } from './demo-app.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'kit-jobs-'));
let app: TestApp | undefined;
afterAll(async () => {
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const count = async (sql: string) => Number((await rows(app!, sql))[0]!.n);

describe.skipIf(realServers)('a backlog on the embedded backends', () => {
  it('does 1,000 jobs enqueued while the worker was down once it is back and a request sweeps', async () => {
    app = await startService({ manifest: MANIFEST, authSecret: AUTH_SECRET, components: ['jobs-demo-api'], backends: { dataDir } });
    for (let batch = 0; batch < 10; batch++) await demoClient(app).enqueue({ kind: 'quick', payload: { n: batch }, count: 100 });
    await app.close();

    app = await startService({ manifest: MANIFEST, authSecret: AUTH_SECRET, backends: { dataDir } });
    expect(await count("SELECT count(*)::int AS n FROM jobs WHERE state = 'queued'")).toBe(1000);
    const started = performance.now();
    // Any request but a probe (/health, /ready): the API sweeps after answering (at most once per
    // 30 s) and nudges the queue.
    expect((await app.fetch('/v1/jobs-demo/openapi.json')).status).toBe(200);
    // The nudge starts a chain of worker messages, each handing on to the next.
    await app.waitForIdle();
    const seconds = (performance.now() - started) / 1000;
    console.log(`1,000 jobs by one embedded worker in ${seconds.toFixed(1)} s (${(1000 / seconds).toFixed(0)} jobs/s)`);
    expect(await count("SELECT count(*)::int AS n FROM jobs WHERE state = 'succeeded'")).toBe(1000);
    expect(await count('SELECT count(DISTINCT job_id)::int AS n FROM job_runs')).toBe(1000);
    expect(await count('SELECT count(*)::int AS n FROM job_runs')).toBe(1000);
  });
});
