// Two worker processes on one real PostgreSQL and Redis (skipped without DB_CONNECTION and
// REDIS_ADDRESS): each job runs exactly once though every nudge reaches both; a worker killed
// mid-job has its job re-driven by the other after the lease; 1,000 jobs enqueued while no worker
// runs are all done once workers are back and anything sweeps.
import { claimJob } from '@authorworks/kit';
import type { TestApp } from '@authorworks/spin-local';
import { startService } from '@authorworks/spin-local/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AUTH_SECRET, MANIFEST, demoClient, kitDatabase, realServers, rows, sweepUntil } from './demo-app.ts';
import { startWorkerProcess, type WorkerProcess } from './worker-processes.ts';

let api: TestApp;
let demo: ReturnType<typeof demoClient>;
let workers: WorkerProcess[] = [];

const count = async (sql: string, params: unknown[] = []) => Number((await rows(api, sql, params))[0]!.n);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls the database (the workers run in other processes) until `done`, for at most `rounds` × 200 ms. */
async function waitFor(done: () => Promise<boolean>, rounds = 900): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    if (await done()) return;
    await pause(200);
  }
  throw new Error('gave up waiting');
}

describe.skipIf(!realServers)('job workers in two runtime processes on real PostgreSQL and Redis', () => {
  beforeAll(async () => {
    // The API alone in this process; the workers in their own.
    api = await startService({ manifest: MANIFEST, authSecret: AUTH_SECRET, components: ['jobs-demo-api'] });
    demo = demoClient(api);
  });
  afterAll(() => api?.close());
  beforeEach(() => api.reset());
  afterEach(async () => {
    await Promise.all(workers.map((worker) => worker.kill()));
    workers = [];
  });

  it('runs each job exactly once though both workers get every nudge', async () => {
    workers = await Promise.all([startWorkerProcess(), startWorkerProcess()]);
    for (let round = 0; round < 10; round++) {
      const [id] = await demo.enqueue({ kind: 'quick', payload: { n: round } });
      await waitFor(async () => (await demo.job(id!)).state === 'succeeded');
    }
    const ids = await demo.enqueue({ kind: 'quick', payload: {}, count: 60 });
    await waitFor(async () => (await count("SELECT count(*)::int AS n FROM jobs WHERE state = 'succeeded'")) === 70);
    expect(await count('SELECT count(*)::int AS n FROM job_runs')).toBe(70);
    expect(await count('SELECT count(DISTINCT job_id)::int AS n FROM job_runs')).toBe(70);
    expect(await count('SELECT count(*)::int AS n FROM job_runs WHERE job_id = ANY($1::text[])', [ids])).toBe(60);
    // Both took part: each logged jobs it did.
    for (const worker of workers) expect(worker.output()).toContain('"msg":"job done"');
  });

  it('gives a job to exactly one of two claims made at the same moment', async () => {
    const [a, b] = [await kitDatabase(api), await kitDatabase(api)];
    try {
      for (let round = 0; round < 20; round++) {
        await a.query(
          `INSERT INTO jobs (queue, kind, payload, max_attempts, lease_seconds, backoff_seconds, correlation_id)
           VALUES ('jobs-demo-jobs', 'quick', '{}', 3, 60, 0, 'race')`,
        );
        const claims = await Promise.all([claimJob(a, 'jobs-demo-jobs'), claimJob(b, 'jobs-demo-jobs')]);
        expect(claims.filter((claim) => claim !== null)).toHaveLength(1);
        await a.query("UPDATE jobs SET state = 'succeeded' WHERE correlation_id = 'race'");
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('re-drives the job of a worker process killed mid-job, on the other, after its lease expires', async () => {
    workers = await Promise.all([startWorkerProcess(), startWorkerProcess()]);
    const [id] = await demo.enqueue({ kind: 'slow', payload: { sleepMs: 60_000, firstAttemptOnly: true }, leaseSeconds: 2 });
    await waitFor(async () => workers.some((worker) => worker.output().includes(id!)));
    const holder = workers.find((worker) => worker.output().includes(id!))!;
    const survivor = workers.find((worker) => worker !== holder)!;
    await holder.kill();
    expect(await demo.job(id!)).toMatchObject({ state: 'running', attempts: 1 });

    await sweepUntil(api, async () => (await demo.job(id!)).state === 'succeeded');
    expect(await demo.job(id!)).toMatchObject({ state: 'succeeded', attempts: 2, result: { slept: 0 } });
    expect((await rows(api, 'SELECT attempt FROM job_runs WHERE job_id = $1 ORDER BY attempt', [id])).map((row) => row.attempt)).toEqual([1, 2]);
    expect(survivor.output()).toContain(id);
  });

  it('does 1,000 jobs enqueued while no worker runs, once workers are back and a sweep nudges them', async () => {
    // No worker subscribed: the 1,000 nudges are published to nobody and lost.
    for (let batch = 0; batch < 10; batch++) await demo.enqueue({ kind: 'quick', payload: { n: batch }, count: 100 });
    expect(await count("SELECT count(*)::int AS n FROM jobs WHERE state = 'queued'")).toBe(1000);

    workers = await Promise.all([startWorkerProcess(), startWorkerProcess()]);
    const started = performance.now();
    expect(await demo.sweep()).toMatchObject({ swept: true, nudged: true });
    await waitFor(async () => (await count("SELECT count(*)::int AS n FROM jobs WHERE state = 'succeeded'")) === 1000);
    const seconds = (performance.now() - started) / 1000;
    console.log(`1,000 jobs by two worker processes in ${seconds.toFixed(1)} s (${(1000 / seconds).toFixed(0)} jobs/s)`);
    expect(await count('SELECT count(*)::int AS n FROM job_runs')).toBe(1000);
    expect(await count('SELECT count(DISTINCT job_id)::int AS n FROM job_runs')).toBe(1000);
  });
});
