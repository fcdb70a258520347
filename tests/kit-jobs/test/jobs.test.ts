// The kit's durable jobs on the compiled components (embedded backends, or the real servers under
// DB_CONNECTION / REDIS_ADDRESS): retries with back-off, the retry limit, a dead worker's job
// re-driven after its lease, cancel, and the outbox events.
import { JobView, cancelOwnerJobs, claimJob, completeJob, heartbeatJob } from '@authorworks/kit';
import { expectJson, signIn, startService, type TestUser } from '@authorworks/spin-local/testing';
import { z } from 'zod';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AUTH_SECRET, MANIFEST, admin, demoClient, kitDatabase, rows, sweepUntil, user } from './demo-app.ts';

let app: TestApp;
let demo: ReturnType<typeof demoClient>;

beforeAll(async () => {
  app = await startService({ manifest: MANIFEST, authSecret: AUTH_SECRET });
  demo = demoClient(app);
});
afterAll(() => app?.close());
beforeEach(async () => {
  await app.reset();
});

const runsOf = async (id: string) =>
  (await rows(app, 'SELECT attempt, extract(epoch FROM started_at)::float8 AS at FROM job_runs WHERE job_id = $1 ORDER BY attempt', [id])) as { attempt: number; at: number }[];

const outboxOf = async (id: string) =>
  rows(app, `SELECT channel, type, data->>'attempts' AS attempts, published_at IS NOT NULL AS published FROM outbox WHERE subject = $1 ORDER BY created_at`, [id]);

describe('durable jobs', () => {
  it('retries a job that throws twice, with doubling back-off, and then records it done', async () => {
    const [id] = await demo.enqueue({ kind: 'flaky', payload: { failTimes: 2 }, backoffSeconds: 1, maxAttempts: 5 });
    await sweepUntil(app, async () => (await demo.job(id!)).state === 'succeeded');

    const done = await demo.job(id!);
    expect(done).toMatchObject({ state: 'succeeded', attempts: 3, result: { attempt: 3 }, lastError: 'Error: flaky failure 2' });
    const runs = await runsOf(id!);
    expect(runs.map((run) => run.attempt)).toEqual([1, 2, 3]);
    // Back-off of 1 s, then 2 s (database clock; lower bounds only).
    expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(1);
    expect(runs[2]!.at - runs[1]!.at).toBeGreaterThanOrEqual(2);
    expect(await outboxOf(id!)).toEqual([
      { channel: 'jobs-demo-jobs', type: 'job.requested', attempts: null, published: true },
      { channel: 'jobs-demo-events', type: 'job.completed', attempts: '3', published: true },
    ]);
  });

  it('fails a job with its error once its attempts are spent, and records job.failed', async () => {
    const [id] = await demo.enqueue({ kind: 'flaky', payload: { failTimes: 10 }, backoffSeconds: 0, maxAttempts: 2 });
    await app.waitForIdle();
    expect(await demo.job(id!)).toMatchObject({ state: 'failed', attempts: 2, lastError: 'Error: flaky failure 2' });
    expect((await runsOf(id!)).map((run) => run.attempt)).toEqual([1, 2]);
    expect(await outboxOf(id!)).toEqual([
      { channel: 'jobs-demo-jobs', type: 'job.requested', attempts: null, published: true },
      { channel: 'jobs-demo-events', type: 'job.failed', attempts: '2', published: true },
    ]);
  });

  it('re-drives the job of a worker that died mid-job once its lease expires; the dead worker can no longer settle it', async () => {
    const db = await kitDatabase(app);
    try {
      // A job recorded without its nudge, claimed by a worker (us) that then dies.
      const [{ id }] = (await db.query(
        `INSERT INTO jobs (queue, kind, payload, max_attempts, lease_seconds, backoff_seconds, correlation_id)
         VALUES ('jobs-demo-jobs', 'quick', '{"n": 7}', 3, 1, 0, 'test') RETURNING id::text AS id`,
      )).rows as [{ id: string }];
      const dead = await claimJob(db, 'jobs-demo-jobs');
      expect(dead?.id).toBe(id);
      expect(await demo.job(id!)).toMatchObject({ state: 'running', attempts: 1 });

      await sweepUntil(app, async () => (await demo.job(id!)).state === 'succeeded');
      expect(await demo.job(id!)).toMatchObject({ state: 'succeeded', attempts: 2, result: { n: 7 } });
      expect((await runsOf(id!)).map((run) => run.attempt)).toEqual([2]);
      // The dead worker wakes up: its lease token is stale.
      expect(await heartbeatJob(db, dead!)).toBe(false);
      expect(await completeJob(db, dead!, { n: 0 }, 'jobs-demo-events')).toBe(false);
      expect(await demo.job(id!)).toMatchObject({ state: 'succeeded', result: { n: 7 } });
    } finally {
      await db.close();
    }
  });

  it('fails a job whose lease expired on its last attempt', async () => {
    const db = await kitDatabase(app);
    try {
      await db.query(
        `INSERT INTO jobs (queue, kind, payload, max_attempts, lease_seconds, backoff_seconds, correlation_id, state, attempts, lease_token, lease_expires_at)
         VALUES ('jobs-demo-jobs', 'quick', '{}', 1, 1, 0, 'test', 'running', 1, 'gone', now() - interval '1 second')`,
      );
      expect(await demo.sweep()).toEqual({ swept: true, failed: 1, nudged: false, pruned: 0 });
      const [failed] = await rows(app, "SELECT state, last_error AS \"lastError\" FROM jobs WHERE queue = 'jobs-demo-jobs'");
      expect(failed).toEqual({ state: 'failed', lastError: 'lease expired on the last attempt' });
      expect(await rows(app, "SELECT type, published_at IS NOT NULL AS published FROM outbox WHERE type = 'job.failed'")).toEqual([
        { type: 'job.failed', published: true },
      ]);
    } finally {
      await db.close();
    }
  });

  it('deletes finished jobs past their retention in the sweep, and nothing else', async () => {
    const db = await kitDatabase(app);
    try {
      const insert = (state: string, finishedAgo: string | null, queue = 'jobs-demo-jobs') =>
        db.query(
          // Due in an hour: the sweep's nudge must not get the queued one run (and finished) meanwhile.
          `INSERT INTO jobs (queue, kind, payload, max_attempts, lease_seconds, backoff_seconds, correlation_id, state, finished_at, run_after)
           VALUES ($1::text, 'quick', '{}', 1, 60, 0, 'test', $2::text, now() - $3::text::interval, now() + interval '1 hour')`,
          [queue, state, finishedAgo],
        );
      for (const state of ['succeeded', 'failed', 'cancelled']) await insert(state, '8 days');
      await insert('succeeded', '6 days'); // within the 7 days kept
      await insert('succeeded', '30 days', 'another-queue'); // another queue's sweep prunes it
      await insert('queued', null);
      const result = await demo.sweep();
      expect(result).toMatchObject({ swept: true, failed: 0, pruned: 3 });
      const left = await rows(app, "SELECT queue, state, finished_at IS NULL AS open FROM jobs ORDER BY queue, state");
      expect(left).toEqual([
        { queue: 'another-queue', state: 'succeeded', open: false },
        { queue: 'jobs-demo-jobs', state: 'queued', open: true },
        { queue: 'jobs-demo-jobs', state: 'succeeded', open: false },
      ]);
    } finally {
      await db.close();
    }
  });

  it('cancels a running job: its worker learns it at the next heartbeat and cannot complete it', async () => {
    const db = await kitDatabase(app);
    try {
      await db.query(
        `INSERT INTO jobs (queue, kind, payload, max_attempts, lease_seconds, backoff_seconds, correlation_id)
         VALUES ('jobs-demo-jobs', 'quick', '{}', 3, 60, 0, 'test')`,
      );
      const claimed = await claimJob(db, 'jobs-demo-jobs');
      expect(await heartbeatJob(db, claimed!, { percent: 50 })).toBe(true);
      expect(await demo.job(claimed!.id)).toMatchObject({ state: 'running', progress: { percent: 50 } });
      const answer = await demo.call('POST', `/admin/jobs/${claimed!.id}/cancel`, { as: admin });
      expect(answer).toMatchObject({ status: 200, body: { cancelled: true } });
      expect(await heartbeatJob(db, claimed!)).toBe(false);
      expect(await completeJob(db, claimed!, {}, 'jobs-demo-events')).toBe(false);
      expect(await demo.job(claimed!.id)).toMatchObject({ state: 'cancelled' });
      expect(await claimJob(db, 'jobs-demo-jobs')).toBeNull();
    } finally {
      await db.close();
    }
  });

  it('runs a job that waits on work elsewhere again and again without using its attempts, then completes it', async () => {
    // One attempt only: a pending check that used one would leave none for the final run.
    const [id] = await demo.enqueue({ kind: 'waits', payload: { pendingTimes: 3, checkAgainSeconds: 1 }, maxAttempts: 1 });
    await app.waitForIdle();
    const waiting = await demo.job(id!);
    expect(waiting).toMatchObject({ state: 'queued', attempts: 0, progress: { checks: 1 }, lastError: null });
    expect(Date.parse(waiting.runAfter) - Date.parse(waiting.createdAt)).toBeGreaterThanOrEqual(1000);

    await sweepUntil(app, async () => (await demo.job(id!)).state === 'succeeded');
    expect(await demo.job(id!)).toMatchObject({ state: 'succeeded', attempts: 1, result: { checks: 3, pendingChecks: 3, attempt: 1 } });
    const runs = await runsOf(id!);
    expect(runs.map((run) => run.attempt)).toEqual([1, 1, 1, 1]);
    // Each check came at least the asked second after the one before (database clock).
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.at - runs[i - 1]!.at).toBeGreaterThanOrEqual(0.99);
    const [row] = await rows(app, `SELECT pending_checks, pending_since IS NOT NULL AS since FROM jobs WHERE id = $1::uuid`, [id]);
    expect(row).toEqual({ pending_checks: 3, since: true });
    expect((await outboxOf(id!)).map((event) => event.type)).toEqual(['job.requested', 'job.completed']);
  });

  it('fails a job still pending at its deadline, with job.failed', async () => {
    const [id] = await demo.enqueue({ kind: 'waits', payload: { pendingTimes: 1000, checkAgainSeconds: 1, deadlineSeconds: 2 }, maxAttempts: 1 });
    await sweepUntil(app, async () => (await demo.job(id!)).state === 'failed');
    const failed = await demo.job(id!);
    expect(failed.lastError).toMatch(/^PermanentJobError: still waiting after 2 s: check [23] of 1000$/);
    // Checks at 0, 1 and 2 s (the last one due at the deadline, not after it) — or two, if a loaded
    // machine ran the second one late, past the deadline.
    const runs = (await runsOf(id!)).length;
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(runs).toBeLessThanOrEqual(3);
    expect((await outboxOf(id!)).map((event) => event.type)).toEqual(['job.requested', 'job.failed']);
  });

  it('wakes a waiting job now instead of at its next check', async () => {
    const [id] = await demo.enqueue({ kind: 'waits', payload: { pendingTimes: 1, checkAgainSeconds: 3600 }, maxAttempts: 1 });
    await app.waitForIdle();
    expect(await demo.job(id!)).toMatchObject({ state: 'queued', progress: { checks: 1 } });
    expect(await expectJson(demo.call('POST', `/jobs/${id}/wake`, { as: user }), 200, z.object({ woken: z.boolean() }))).toEqual({ woken: true });
    await app.waitForIdle();
    expect(await demo.job(id!)).toMatchObject({ state: 'succeeded', attempts: 1, result: { checks: 1 } });
    // A finished job is not woken.
    expect(await expectJson(demo.call('POST', `/jobs/${id}/wake`, { as: user }), 200, z.object({ woken: z.boolean() }))).toEqual({ woken: false });
    expect((await runsOf(id!)).length).toBe(2);
  });

  it('keeps the admin routes for admins', async () => {
    expect((await demo.call('POST', '/admin/jobs/sweep', { as: user })).status).toBe(403);
    expect((await demo.call('POST', '/admin/jobs/sweep')).status).toBe(401);
  });
});

describe('jobs done for a user', () => {
  const ada = signIn(AUTH_SECRET);
  const ben = signIn(AUTH_SECRET);
  const Page = z.object({ items: z.array(JobView), nextCursor: z.string().nullable() });
  const mine = (as: TestUser, query = '') => expectJson(demo.call('GET', `/my/jobs${query}`, { as }), 200, Page);

  it('lists, reads and cancels only the caller\'s own jobs, newest first, in pages', async () => {
    const adaIds = await demo.enqueue({ kind: 'slow', payload: { sleepMs: 0 }, owned: true, count: 3, maxAttempts: 1 }, ada);
    const [benId] = await demo.enqueue({ kind: 'quick', payload: {}, owned: true }, ben);
    await demo.enqueue({ kind: 'quick', payload: {} }, ada); // no owner: nobody's list
    await app.waitForIdle();

    const first = await mine(ada, '?limit=2');
    expect(first.items).toHaveLength(2);
    expect(first.items.every((job) => job.ownerId === ada.id)).toBe(true);
    const second = await mine(ada, `?limit=2&cursor=${first.nextCursor}`);
    expect(second.nextCursor).toBeNull();
    expect([...first.items, ...second.items].map((job) => job.id).sort()).toEqual([...adaIds!].sort());
    expect((await mine(ben)).items.map((job) => job.id)).toEqual([benId]);
    expect((await mine(ada, '?state=succeeded&kind=slow')).items).toHaveLength(3);
    expect((await mine(ada, '?kind=quick')).items).toHaveLength(0);

    // Ben cannot see or cancel Ada's job: the same 404 as for a job that does not exist.
    for (const [method, path] of [['GET', `/my/jobs/${adaIds![0]}`], ['DELETE', `/my/jobs/${adaIds![0]}`], ['GET', `/my/jobs/${crypto.randomUUID()}`]] as const) {
      const response = await demo.call(method, path, { as: ben });
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ error: { code: 'not_found' } });
    }
    expect((await demo.call('GET', '/my/jobs?cursor=not-a-cursor', { as: ada })).status).toBe(400);
    expect((await demo.call('GET', '/my/jobs?state=done', { as: ada })).status).toBe(400);
    expect((await demo.call('GET', '/my/jobs')).status).toBe(401);

    // A finished job cannot be cancelled; a queued one can, and its owner sees it cancelled.
    const finished = await demo.call('DELETE', `/my/jobs/${adaIds![0]}`, { as: ada });
    expect(finished.status).toBe(409);
    expect(finished.body).toMatchObject({ error: { code: 'job_finished' } });
    const queuedId = (await rows(app, `INSERT INTO jobs (queue, kind, payload, max_attempts, lease_seconds, backoff_seconds, correlation_id, owner_id, run_after)
      VALUES ('jobs-demo-jobs', 'quick', '{}', 1, 60, 0, 'test', $1, now() + interval '1 hour') RETURNING id::text AS id`, [ada.id]))[0]!.id as string;
    const cancelled = await expectJson(demo.call('DELETE', `/my/jobs/${queuedId}`, { as: ada }), 200, JobView);
    expect(cancelled).toMatchObject({ id: queuedId, state: 'cancelled', ownerId: ada.id });
  });

  it('names the owner in job.completed and job.failed, and lets the handler call a service as the owner', async () => {
    const [whoami] = await demo.enqueue({ kind: 'whoami', payload: {}, owned: true }, ada);
    const [failing] = await demo.enqueue({ kind: 'flaky', payload: { failTimes: 5 }, owned: true, maxAttempts: 1 }, ada);
    await app.waitForIdle();

    // The API saw Ada, with the user role only, and the worker as the actor.
    expect(await demo.job(whoami!)).toMatchObject({ state: 'succeeded', ownerId: ada.id, result: { userId: ada.id, roles: ['user'], actor: 'jobs-demo-worker' } });
    const events = await rows(app, `SELECT type, data->>'ownerId' AS owner FROM outbox WHERE subject = ANY($1::text[]) AND channel = 'jobs-demo-events' ORDER BY type`, [[whoami, failing]]);
    expect(events).toEqual([
      { type: 'job.completed', owner: ada.id },
      { type: 'job.failed', owner: ada.id },
    ]);
  });

  it("cancels a deleted user's queued jobs and nobody else's", async () => {
    const insertDelayed = async (ownerId: string) =>
      (await rows(app, `INSERT INTO jobs (queue, kind, payload, max_attempts, lease_seconds, backoff_seconds, correlation_id, owner_id, run_after)
        VALUES ('jobs-demo-jobs', 'quick', '{}', 1, 60, 0, 'test', $1, now() + interval '1 hour') RETURNING id::text AS id`, [ownerId]))[0]!.id as string;
    const bens = [await insertDelayed(ben.id), await insertDelayed(ben.id)];
    const adas = await insertDelayed(ada.id);
    const db = await kitDatabase(app);
    try {
      expect(await cancelOwnerJobs(db, ben.id)).toBe(2);
      expect(await cancelOwnerJobs(db, ben.id)).toBe(0);
    } finally {
      await db.close();
    }
    for (const id of bens) expect((await demo.job(id)).state).toBe('cancelled');
    expect((await demo.job(adas)).state).toBe('queued');
  });

  it('refuses to call a service for a job without an owner', async () => {
    const [id] = await demo.enqueue({ kind: 'whoami', payload: {}, maxAttempts: 1 }, ada);
    await app.waitForIdle();
    expect(await demo.job(id!)).toMatchObject({ state: 'failed', ownerId: null, lastError: 'Error: this job has no owner to act for' });
  });
});
