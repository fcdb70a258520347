import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { utf8 } from './encoding.ts';
import { createEvent } from './events.ts';
import { inMemoryHost, InMemoryRedis } from './in-memory-host.ts';
import {
  DELEGATED_TOKEN_TTL_SECONDS,
  JOB_LIMITS,
  JobContinues,
  JobPending,
  OwnerRevokedError,
  PermanentJobError,
  createJobWorker,
  enqueueJob,
  errorText,
  isPermanentJobError,
  job,
  sweepJobs,
  wakeJob,
  jobWakeKey,
  takeWakeMark,
  type JobContext,
  type JobHandler,
} from './jobs.ts';
import { verifyAccessToken } from './jwt.ts';
import { createLogger } from './logging.ts';
import type { SqlClient, SqlParam, SqlRow } from './sql.ts';

// The SQL itself (SKIP LOCKED, leases, back-off arithmetic) is proven on PostgreSQL and PGlite by
// the component tests in tests/kit-jobs; these check the logic around it.

/** Answers the jobs statements from a list of due jobs, and records what it was asked. */
class ScriptedJobsDatabase implements SqlClient {
  readonly statements: { sql: string; params: readonly SqlParam[] }[] = [];
  readonly settled: { id: string; how: 'completed' | 'failed' | 'deferred'; detail: SqlParam }[] = [];
  constructor(
    private readonly due: { id: string; kind: string; payload: unknown; ownerId?: string; createdMs?: number; progress?: unknown; pendingChecks?: number; pastDeadline?: boolean }[] = [],
  ) {}
  private readonly claimed = new Map<string, { pastDeadline: boolean; pendingChecks: number }>();

  async query(sql: string, params: readonly SqlParam[] = []): Promise<{ rows: SqlRow[] }> {
    this.statements.push({ sql, params });
    const statement = sql.trim();
    if (statement.startsWith('UPDATE jobs') && statement.includes("SET state = 'running'")) {
      const next = this.due.shift();
      if (!next) return { rows: [] };
      this.claimed.set(next.id, { pastDeadline: next.pastDeadline ?? false, pendingChecks: next.pendingChecks ?? 0 });
      return {
        rows: [
          {
            id: next.id,
            queue: params[0],
            kind: next.kind,
            payload: JSON.stringify(next.payload),
            attempts: 1,
            max_attempts: 3,
            correlation_id: 'r1',
            owner_id: next.ownerId ?? null,
            created_ms: next.createdMs ?? Date.now(),
            progress: next.progress === undefined ? null : JSON.stringify(next.progress),
            pending_checks: next.pendingChecks ?? 0,
            pending_since_ms: next.pendingChecks ? Date.now() - 10_000 : null,
          },
        ],
      };
    }
    if (statement.includes('pending_checks = pending_checks + 1')) {
      // The deadline clause of the UPDATE: a job past it is not deferred (no row).
      const claim = this.claimed.get(params[0] as string)!;
      if (claim.pastDeadline) return { rows: [] };
      this.settled.push({ id: params[0] as string, how: 'deferred', detail: params[4]! });
      return { rows: [{ run_after: '2026-12-02T10:00:05.000Z', pending_checks: claim.pendingChecks + 1 }] };
    }
    if (statement.startsWith("UPDATE jobs SET state = 'succeeded'")) {
      this.settled.push({ id: params[0] as string, how: 'completed', detail: params[2]! });
      return { rows: [{ attempts: 1 }] };
    }
    if (statement.startsWith('UPDATE jobs SET') && statement.includes('last_error = $3::text')) {
      this.settled.push({ id: params[0] as string, how: 'failed', detail: params[2]! });
      return { rows: [{ state: params[3] ? 'failed' : 'queued', attempts: 1, run_after: '2026-12-02T10:00:05.000Z' }] };
    }
    if (statement.startsWith('SELECT EXISTS')) return { rows: [{ due: this.due.length > 0 }] };
    return { rows: [] };
  }
}

const variables = { log_level: 'error', redis_address: 'redis://x', db_connection: 'postgres://x', auth_secret: 'x'.repeat(32) };
const nudge = (type = 'job.requested') => utf8(JSON.stringify(createEvent({ type, source: 'test', subject: 'j', data: {}, correlationId: 'r1' })));

function worker(database: SqlClient | null, handlers: Record<string, JobHandler<z.ZodType>>, options: { maxJobsPerMessage?: number } = {}) {
  const redis = new InMemoryRedis();
  const host = inMemoryHost({ variables, redis, ...(database ? { sql: database } : {}) });
  return { redis, consumer: createJobWorker({ consumer: 'demo-worker', queue: 'demo-jobs', eventsChannel: 'demo-events', handlers, host, ...options }) };
}

describe('enqueueJob', () => {
  const recorded: unknown[][] = [];
  const context = { requestId: 'r1', events: { record: async (...args: unknown[]) => void recorded.push(args.slice(1)) } };

  it('refuses out-of-range settings and oversized payloads before touching the database', async () => {
    const database = new ScriptedJobsDatabase();
    const spec = { queue: 'demo-jobs', kind: 'render', payload: {} };
    await expect(enqueueJob(database, context, { ...spec, maxAttempts: 0 })).rejects.toThrow(RangeError);
    await expect(enqueueJob(database, context, { ...spec, maxAttempts: 101 })).rejects.toThrow(RangeError);
    await expect(enqueueJob(database, context, { ...spec, leaseSeconds: 1.5 })).rejects.toThrow(RangeError);
    await expect(enqueueJob(database, context, { ...spec, backoffSeconds: 3601 })).rejects.toThrow(RangeError);
    await expect(enqueueJob(database, context, { ...spec, kind: 'Render; DROP' })).rejects.toThrow(RangeError);
    await expect(enqueueJob(database, context, { ...spec, payload: 'x'.repeat(JOB_LIMITS.payloadBytes) })).rejects.toThrow(/at most/);
    await expect(enqueueJob(database, context, { ...spec, ownerId: 'ada' })).rejects.toThrow(/ownerId/);
    expect(database.statements).toEqual([]);
  });

  it('writes the row with typed parameters and records the nudge on the queue in the same transaction', async () => {
    const database = new (class extends ScriptedJobsDatabase {
      override async query(sql: string, params: readonly SqlParam[] = []): Promise<{ rows: SqlRow[] }> {
        await super.query(sql, params);
        return { rows: [{ id: '00000000-0000-4000-8000-000000000001' }] };
      }
    })();
    const id = await enqueueJob(database, context, { queue: 'demo-jobs', kind: 'render', payload: { a: 1 }, maxAttempts: 2 });
    expect(id).toBe('00000000-0000-4000-8000-000000000001');
    expect(database.statements[0]!.params).toEqual(['demo-jobs', 'render', '{"a":1}', 2, JOB_LIMITS.leaseSeconds.default, JOB_LIMITS.backoffSeconds.default, 0, 'r1', null]);
    await enqueueJob(database, context, { queue: 'demo-jobs', kind: 'render', payload: {}, ownerId: OWNER });
    expect(database.statements.at(-1)!.params.at(-1)).toBe(OWNER);
    expect(recorded).toContainEqual(['demo-jobs', 'job.requested', id, { kind: 'render' }]);
  });
});

const OWNER = '00000000-0000-4000-8000-0000000000a1';

/** The `data` of each event the worker recorded in the outbox, by type. */
const outboxData = (database: ScriptedJobsDatabase) =>
  database.statements
    .filter((statement) => statement.sql.includes('INSERT INTO outbox'))
    .map((statement) => ({ type: statement.params[1], data: JSON.parse(String(statement.params[3])) as { ownerId?: string } }));

describe('createJobWorker', () => {
  it('drops messages that are not nudges without opening the database', async () => {
    // The host has no database: opening one would throw.
    const { consumer } = worker(null, {});
    await expect(consumer.handleMessage(utf8('not json'))).resolves.toBeUndefined();
    await expect(consumer.handleMessage(nudge('book.created'))).resolves.toBeUndefined();
  });

  it('completes a job with its result and fails a throwing one with its error, then stops when nothing is due', async () => {
    const database = new ScriptedJobsDatabase([
      { id: 'a', kind: 'echo', payload: { text: 'hi' } },
      { id: 'b', kind: 'boom', payload: {} },
    ]);
    const { consumer } = worker(database, {
      echo: job(z.object({ text: z.string() }), async (payload) => ({ echoed: payload.text })),
      boom: job(z.object({}), async () => {
        throw new Error('kaput');
      }),
    });
    await consumer.handleMessage(nudge());
    expect(database.settled).toEqual([
      { id: 'a', how: 'completed', detail: '{"echoed":"hi"}' },
      { id: 'b', how: 'failed', detail: 'Error: kaput' },
    ]);
  });

  it('names the owner in job.completed and job.failed, and leaves it out for a job without one', async () => {
    const database = new ScriptedJobsDatabase([
      { id: 'a', kind: 'echo', payload: {}, ownerId: OWNER },
      // No handler: failed at once (a throwing handler would be retried first).
      { id: 'b', kind: 'unknown', payload: {}, ownerId: OWNER },
      { id: 'c', kind: 'echo', payload: {} },
    ]);
    const { consumer } = worker(database, { echo: job(z.object({}), async () => 'ok') });
    await consumer.handleMessage(nudge());
    const events = outboxData(database);
    expect(events.map((event) => [event.type, event.data.ownerId])).toEqual([
      ['job.completed', OWNER],
      ['job.failed', OWNER],
      ['job.completed', undefined],
    ]);
  });

  it("calls other services as the job's owner with a short-lived token naming the worker", async () => {
    const seen: Request[] = [];
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(new Request(input, init));
      return new Response('{}');
    });
    try {
      const database = new ScriptedJobsDatabase([
        { id: 'a', kind: 'call', payload: {}, ownerId: OWNER },
        { id: 'b', kind: 'call', payload: {} },
      ]);
      const { consumer } = worker(database, {
        call: job(z.object({}), async (_payload, ctx) => (await ctx.callServiceAs('http://storage-api.spin.internal/v1/storage/quota', { headers: { authorization: 'Bearer forged' } })).status),
      });
      const before = Math.floor(Date.now() / 1000);
      await consumer.handleMessage(nudge());
      expect(seen).toHaveLength(1);
      const token = seen[0]!.headers.get('authorization')!.replace(/^Bearer /, '');
      const claims = await verifyAccessToken(token, { secret: variables.auth_secret });
      expect(claims).toMatchObject({ sub: OWNER, roles: ['user'], act: { sub: 'demo-worker' } });
      expect(claims.exp - claims.iat).toBe(DELEGATED_TOKEN_TTL_SECONDS);
      expect(claims.iat).toBeGreaterThanOrEqual(before);
      expect(seen[0]!.headers.get('x-request-id')).toBe('r1');
      // The job without an owner failed instead of calling anyone.
      expect(database.settled).toEqual([
        { id: 'a', how: 'completed', detail: '200' },
        { id: 'b', how: 'failed', detail: 'Error: this job has no owner to act for' },
      ]);

      // The owner signed out everywhere (or was suspended) after enqueueing: the job no longer
      // acts for them, and fails at once instead of retrying.
      const revoked = new ScriptedJobsDatabase([{ id: 'c', kind: 'call', payload: {}, ownerId: OWNER, createdMs: Date.now() - 60_000 }]);
      const second = worker(revoked, { call: job(z.object({}), async (_payload, ctx) => (await ctx.callServiceAs('http://storage-api.spin.internal/')).status) });
      await second.redis.execute('SET', [`auth:revoked-before:${OWNER}`, utf8(String(Date.now() - 1000))]);
      await second.consumer.handleMessage(nudge());
      expect(seen).toHaveLength(1);
      expect(revoked.settled).toEqual([{ id: 'c', how: 'failed', detail: expect.stringContaining('OwnerRevokedError') }]);
      const permanent = revoked.statements.find((statement) => statement.sql.includes('last_error = $3::text'))!;
      expect(permanent.params[3]).toBe(true);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('fails a job of an unknown kind or with a payload that does not match at once, without retries', async () => {
    const database = new ScriptedJobsDatabase([
      { id: 'a', kind: 'unknown', payload: {} },
      { id: 'b', kind: 'echo', payload: { text: 5 } },
    ]);
    const { consumer } = worker(database, { echo: job(z.object({ text: z.string() }), async () => null) });
    await consumer.handleMessage(nudge());
    expect(database.settled.map((settled) => [settled.id, settled.how])).toEqual([
      ['a', 'failed'],
      ['b', 'failed'],
    ]);
    const permanent = database.statements.filter((statement) => statement.sql.includes('last_error = $3::text')).map((statement) => statement.params[3]);
    expect(permanent).toEqual([true, true]);
  });

  it('fails a job at once when its handler throws a permanent error, and retries any other error', async () => {
    class ServiceError extends Error {
      readonly permanent = true;
    }
    const database = new ScriptedJobsDatabase([
      { id: 'a', kind: 'broken', payload: {} },
      { id: 'b', kind: 'own', payload: {} },
      { id: 'c', kind: 'flaky', payload: {} },
    ]);
    const { consumer } = worker(database, {
      broken: job(z.object({}), async () => {
        throw new PermanentJobError('corrupt input');
      }),
      own: job(z.object({}), async () => {
        throw new ServiceError('unsupported_format');
      }),
      flaky: job(z.object({}), async () => {
        throw new Error('storage unavailable');
      }),
    });
    await consumer.handleMessage(nudge());
    const permanent = database.statements.filter((statement) => statement.sql.includes('last_error = $3::text')).map((statement) => [statement.params[0], statement.params[3]]);
    expect(permanent).toEqual([
      ['a', true],
      ['b', true],
      ['c', false],
    ]);
    expect(isPermanentJobError(new Error('x'))).toBe(false);
    expect(isPermanentJobError({ permanent: 'yes' })).toBe(false);
    expect(isPermanentJobError(new OwnerRevokedError())).toBe(true);
  });

  it('hands on to itself with job.sweep when its budget of jobs is spent and more are due', async () => {
    const due = ['a', 'b', 'c'].map((id) => ({ id, kind: 'echo', payload: { text: id } }));
    const database = new ScriptedJobsDatabase(due);
    const { consumer, redis } = worker(database, { echo: job(z.object({ text: z.string() }), async () => null) }, { maxJobsPerMessage: 2 });
    await consumer.handleMessage(nudge());
    expect(database.settled.map((settled) => settled.id)).toEqual(['a', 'b']);
    const handOn = redis.published.filter((message) => message.channel === 'demo-jobs').map((message) => JSON.parse(message.payload).type);
    expect(handOn).toContain('job.sweep');
  });

  it('hands a message on once, however many replicas handled it', async () => {
    const redis = new InMemoryRedis();
    const message = nudge();
    for (const replica of [1, 2]) {
      const database = new ScriptedJobsDatabase(['a', 'b', 'c'].map((id) => ({ id: `${replica}${id}`, kind: 'echo', payload: { text: id } })));
      const host = inMemoryHost({ variables, redis, sql: database });
      const echo = job(z.object({ text: z.string() }), async () => null);
      await createJobWorker({ consumer: 'demo-worker', queue: 'demo-jobs', eventsChannel: 'demo-events', handlers: { echo }, host, maxJobsPerMessage: 1 }).handleMessage(message);
      expect(database.settled).toHaveLength(1);
    }
    const handOns = redis.published.filter((published) => published.channel === 'demo-jobs' && JSON.parse(published.payload).type === 'job.sweep');
    // One from the rate-limited sweep (the first replica's), one hand-on.
    expect(handOns).toHaveLength(2);
  });
});

describe('JobPending', () => {
  const deferStatements = (database: ScriptedJobsDatabase) => database.statements.filter((statement) => statement.sql.includes('pending_checks = pending_checks + 1'));

  it('puts a waiting job back in the queue with its progress and the attempt given back, and hands the progress to its next run', async () => {
    const seen: JobContext['job'][] = [];
    const database = new ScriptedJobsDatabase([
      { id: 'a', kind: 'wait', payload: {} },
      { id: 'b', kind: 'wait', payload: {}, progress: { externalId: 'x1' }, pendingChecks: 2 },
    ]);
    const { consumer } = worker(database, {
      wait: job(z.object({}), async (_payload, ctx) => {
        seen.push(ctx.job);
        if (ctx.job.progress === null) throw new JobPending('submitted', { checkAgainSeconds: 2, deadlineSeconds: 60, progress: { externalId: 'x1' } });
        return { done: ctx.job.progress };
      }),
    });
    await consumer.handleMessage(nudge());
    expect(database.settled).toEqual([
      { id: 'a', how: 'deferred', detail: '{"externalId":"x1"}' },
      { id: 'b', how: 'completed', detail: '{"done":{"externalId":"x1"}}' },
    ]);
    const [defer] = deferStatements(database);
    // id, lease token, check again, deadline, progress; the attempt is given back and nothing is failed.
    expect(defer!.params.slice(2)).toEqual([2, 60, '{"externalId":"x1"}']);
    expect(defer!.sql).toMatch(/attempts = GREATEST\(attempts - 1, 0\)/);
    expect(database.statements.some((statement) => statement.sql.includes('last_error = $3::text'))).toBe(false);
    expect(seen.map((run) => [run.progress, run.pendingChecks, run.pendingSinceMs === null])).toEqual([
      [null, 0, true],
      [{ externalId: 'x1' }, 2, false],
    ]);
  });

  it('makes a job due again at once when a wake came during the check that parks it', async () => {
    // The database as it is: the job runs (a wake finds it running), then is queued by the park.
    class RunningThenQueued extends ScriptedJobsDatabase {
      override async query(sql: string, params: readonly SqlParam[] = []): Promise<{ rows: SqlRow[] }> {
        const answer = await super.query(sql, params);
        const parked = this.settled.some((settled) => settled.id === params[0] && settled.how === 'deferred');
        if (sql.trim().startsWith('SELECT id::text AS id FROM jobs')) return { rows: parked ? [] : [{ id: params[0] }] };
        if (sql.includes("state = 'queued'") && sql.includes('LEAST(run_after, now())')) return { rows: parked ? [{ id: params[0] }] : [] };
        return answer;
      }
    }
    const ID = '00000000-0000-4000-8000-00000000000a';
    const database = new RunningThenQueued([{ id: ID, kind: 'wait', payload: {} }]);
    const log = createLogger({ level: 'error' });
    const { consumer, redis } = worker(database, {
      wait: job(z.object({}), async (_payload, ctx) => {
        // Encore's callback arrives while this check asks it: the job is running, so it is marked.
        expect(await wakeJob(ctx.db(), ctx.redis(), { queue: 'demo-jobs', id: ID, source: 'demo-api', correlationId: 'cb', log })).toBe(true);
        throw new JobPending('still transcoding', { checkAgainSeconds: 60 });
      }),
    });
    await consumer.handleMessage(nudge());
    expect(database.settled).toEqual([{ id: ID, how: 'deferred', detail: null }]);
    // Parked for its next check in 60 s, then made due now and its queue nudged; the mark is gone.
    const defer = database.statements.findIndex((statement) => statement.sql.includes('pending_checks = pending_checks + 1'));
    const wake = database.statements.findLastIndex((statement) => statement.sql.includes('LEAST(run_after, now())'));
    expect(wake).toBeGreaterThan(defer);
    const nudges = redis.published.filter((message) => message.channel === 'demo-jobs').map((message) => JSON.parse(message.payload));
    expect(nudges.filter((sent) => sent.subject === ID)).toMatchObject([{ type: 'job.requested', data: { woken: true } }]);
    expect(await redis.execute('GET', [jobWakeKey(ID)])).toEqual([null]);
  });

  it('fails the job at once with its deadline error once the deadline has passed', async () => {
    class TimeoutError extends Error {
      override name = 'transcoder_timeout';
    }
    const database = new ScriptedJobsDatabase([
      { id: 'a', kind: 'wait', payload: {}, pendingChecks: 9, pastDeadline: true },
      { id: 'b', kind: 'plain', payload: {}, pendingChecks: 1, pastDeadline: true },
    ]);
    const { consumer } = worker(database, {
      wait: job(z.object({}), async () => {
        throw new JobPending('still transcoding', { deadlineSeconds: 30, deadlineError: new TimeoutError('no answer in 30 s') });
      }),
      plain: job(z.object({}), async () => {
        throw new JobPending('still waiting', { deadlineSeconds: 30 });
      }),
    });
    await consumer.handleMessage(nudge());
    expect(database.settled).toEqual([
      { id: 'a', how: 'failed', detail: 'transcoder_timeout: no answer in 30 s' },
      { id: 'b', how: 'failed', detail: 'PermanentJobError: still waiting after 30 s: still waiting' },
    ]);
    const failures = database.statements.filter((statement) => statement.sql.includes('last_error = $3::text'));
    expect(failures.map((statement) => statement.params[3])).toEqual([true, true]);
  });

  it('JobContinues: a step of long work ends the message, is due again at once with its progress, and the queue is nudged for the next step', async () => {
    const run = async (continues: boolean) => {
      const database = new ScriptedJobsDatabase([
        { id: 'a', kind: 'step', payload: {} },
        { id: 'b', kind: 'echo', payload: {} },
      ]);
      const { consumer, redis } = worker(database, {
        step: job(z.object({}), async () => {
          if (continues) throw new JobContinues('part 1 of 3 written', { deadlineSeconds: 7200, progress: { parts: 1 } });
          return null;
        }),
        echo: job(z.object({}), async () => null),
      });
      await consumer.handleMessage(nudge());
      const sweeps = redis.published.filter((message) => message.channel === 'demo-jobs' && JSON.parse(message.payload).type === 'job.sweep');
      return { database, sweeps: sweeps.length };
    };
    const stepped = await run(true);
    // Deferred, due now (0 s), deadline and progress kept; job b waits for the next message.
    expect(stepped.database.settled).toEqual([{ id: 'a', how: 'deferred', detail: '{"parts":1}' }]);
    expect(deferStatements(stepped.database)[0]!.params.slice(2)).toEqual([0, 7200, '{"parts":1}']);
    const finished = await run(false);
    expect(finished.database.settled.map((settled) => settled.id)).toEqual(['a', 'b']);
    // One nudge more than a message that ran everything: the hand-on to the next step.
    expect(stepped.sweeps).toBe(finished.sweeps + 1);
    expect(new JobContinues('x', { deadlineSeconds: 5 })).toMatchObject({ checkAgainSeconds: 0, deadlineSeconds: 5 });
  });

  it('keeps its timings within bounds', () => {
    expect(new JobPending('x')).toMatchObject({ checkAgainSeconds: JOB_LIMITS.pendingCheckSeconds.default, deadlineSeconds: JOB_LIMITS.pendingDeadlineSeconds.default });
    expect(new JobPending('x', { checkAgainSeconds: 0.2, deadlineSeconds: 1e9 })).toMatchObject({ checkAgainSeconds: 1, deadlineSeconds: JOB_LIMITS.pendingDeadlineSeconds.max });
    expect(new JobPending('x', { checkAgainSeconds: Number.NaN, deadlineSeconds: -5 })).toMatchObject({ checkAgainSeconds: 5, deadlineSeconds: 1 });
    expect(new JobPending('x', { checkAgainSeconds: 99_999 }).checkAgainSeconds).toBe(JOB_LIMITS.pendingCheckSeconds.max);
  });
});

describe('wakeJob', () => {
  const log = createLogger({ level: 'error' });
  const ID = '00000000-0000-4000-8000-000000000009';

  it('makes a queued job due now and nudges its queue; leaves anything else alone', async () => {
    const redis = new InMemoryRedis();
    const queued = new (class extends ScriptedJobsDatabase {
      override async query(sql: string, params: readonly SqlParam[] = []): Promise<{ rows: SqlRow[] }> {
        await super.query(sql, params);
        return { rows: [{ id: ID }] };
      }
    })();
    expect(await wakeJob(queued, redis, { queue: 'demo-jobs', id: ID, source: 'demo-api', correlationId: 'cb1', log })).toBe(true);
    expect(queued.statements[0]!.sql).toMatch(/state = 'queued'/);
    expect(queued.statements[0]!.params).toEqual([ID, 'demo-jobs']);
    const nudges = redis.published.map((message) => ({ channel: message.channel, ...JSON.parse(message.payload) }));
    expect(nudges).toMatchObject([{ channel: 'demo-jobs', type: 'job.requested', subject: ID, correlationId: 'cb1' }]);

    // Not queued (running, finished, another queue's): no row, no nudge.
    const other = new InMemoryRedis();
    expect(await wakeJob(new ScriptedJobsDatabase(), other, { queue: 'demo-jobs', id: ID, source: 'demo-api', correlationId: 'cb2', log })).toBe(false);
    expect(other.published).toEqual([]);
    // Not an id: not even asked.
    const untouched = new ScriptedJobsDatabase();
    expect(await wakeJob(untouched, other, { queue: 'demo-jobs', id: "x' OR 1=1", source: 'demo-api', correlationId: 'cb3', log })).toBe(false);
    expect(untouched.statements).toEqual([]);
  });

  it('marks a running job for the attempt that parks it, and wakes it if that attempt parked it meanwhile', async () => {
    const running = (parkedMeanwhile: boolean) =>
      new (class extends ScriptedJobsDatabase {
        private updates = 0;
        override async query(sql: string, params: readonly SqlParam[] = []): Promise<{ rows: SqlRow[] }> {
          await super.query(sql, params);
          if (sql.trim().startsWith('SELECT')) return { rows: [{ id: ID }] };
          // The first UPDATE finds it running; the second, after the mark, finds it parked or not.
          return { rows: this.updates++ === 1 && parkedMeanwhile ? [{ id: ID }] : [] };
        }
      })();
    const redis = new InMemoryRedis();
    expect(await wakeJob(running(false), redis, { queue: 'demo-jobs', id: ID, source: 'demo-api', correlationId: 'cb4', log })).toBe(true);
    expect(redis.published).toEqual([]);
    const [ttl] = await redis.execute('TTL', [jobWakeKey(ID)]);
    expect(ttl).toBeGreaterThan(3500);
    expect(await takeWakeMark(redis, ID)).toBe(true);
    expect(await takeWakeMark(redis, ID)).toBe(false);

    const parked = new InMemoryRedis();
    expect(await wakeJob(running(true), parked, { queue: 'demo-jobs', id: ID, source: 'demo-api', correlationId: 'cb5', log })).toBe(true);
    expect(parked.published.map((message) => JSON.parse(message.payload))).toMatchObject([{ type: 'job.requested', subject: ID }]);
  });
});

describe('sweepJobs', () => {
  it('nudges when jobs are due, and runs at most once per interval when rate-limited, opening no database when it does not run', async () => {
    const database = new ScriptedJobsDatabase([{ id: 'a', kind: 'echo', payload: {} }]);
    let opened = 0;
    const db = () => (opened++, database);
    const redis = new InMemoryRedis();
    const options = { queue: 'demo-jobs', eventsChannel: 'demo-events', source: 'demo', correlationId: 'r1', log: createLogger({ level: 'error' }), atMostEverySeconds: 30 };
    expect(await sweepJobs(db, () => redis, options)).toEqual({ swept: true, failed: 0, nudged: true, pruned: 0 });
    expect(redis.published.map((message) => [message.channel, JSON.parse(message.payload).type])).toEqual([['demo-jobs', 'job.sweep']]);
    const asked = database.statements.length;
    expect(await sweepJobs(db, () => redis, options)).toEqual({ swept: false, failed: 0, nudged: false, pruned: 0 });
    expect(database.statements).toHaveLength(asked);
    expect(opened).toBe(1);
  });
});

describe('errorText', () => {
  it('keeps the error short enough to store', () => {
    expect(errorText(new TypeError('bad'))).toBe('TypeError: bad');
    expect(errorText(new Error('x'.repeat(5000)))).toHaveLength(JOB_LIMITS.errorChars);
  });
});
