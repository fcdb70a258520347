import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { utf8 } from './encoding.ts';
import { createEvent } from './events.ts';
import { inMemoryHost, InMemoryRedis } from './in-memory-host.ts';
import { JOB_LIMITS, createJobWorker, enqueueJob, errorText, job, sweepJobs, type JobHandler } from './jobs.ts';
import { createLogger } from './logging.ts';
import type { SqlClient, SqlParam, SqlRow } from './sql.ts';

// The SQL itself (SKIP LOCKED, leases, back-off arithmetic) is proven on PostgreSQL and PGlite by
// the component tests in tests/kit-jobs; these check the logic around it.

/** Answers the jobs statements from a list of due jobs, and records what it was asked. */
class ScriptedJobsDatabase implements SqlClient {
  readonly statements: { sql: string; params: readonly SqlParam[] }[] = [];
  readonly settled: { id: string; how: 'completed' | 'failed'; detail: SqlParam }[] = [];
  constructor(private readonly due: { id: string; kind: string; payload: unknown }[] = []) {}

  async query(sql: string, params: readonly SqlParam[] = []): Promise<{ rows: SqlRow[] }> {
    this.statements.push({ sql, params });
    const statement = sql.trim();
    if (statement.startsWith('UPDATE jobs') && statement.includes("SET state = 'running'")) {
      const next = this.due.shift();
      if (!next) return { rows: [] };
      return {
        rows: [{ id: next.id, queue: params[0], kind: next.kind, payload: JSON.stringify(next.payload), attempts: 1, max_attempts: 3, correlation_id: 'r1' }],
      };
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
    expect(database.statements[0]!.params).toEqual(['demo-jobs', 'render', '{"a":1}', 2, JOB_LIMITS.leaseSeconds.default, JOB_LIMITS.backoffSeconds.default, 0, 'r1']);
    expect(recorded).toContainEqual(['demo-jobs', 'job.requested', id, { kind: 'render' }]);
  });
});

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

describe('sweepJobs', () => {
  it('nudges when jobs are due, and runs at most once per interval when rate-limited', async () => {
    const database = new ScriptedJobsDatabase([{ id: 'a', kind: 'echo', payload: {} }]);
    const redis = new InMemoryRedis();
    const options = { queue: 'demo-jobs', eventsChannel: 'demo-events', source: 'demo', correlationId: 'r1', log: createLogger({ level: 'error' }), atMostEverySeconds: 30 };
    expect(await sweepJobs(database, () => redis, options)).toEqual({ swept: true, failed: 0, nudged: true, pruned: 0 });
    expect(redis.published.map((message) => [message.channel, JSON.parse(message.payload).type])).toEqual([['demo-jobs', 'job.sweep']]);
    const asked = database.statements.length;
    expect(await sweepJobs(database, () => redis, options)).toEqual({ swept: false, failed: 0, nudged: false, pruned: 0 });
    expect(database.statements).toHaveLength(asked);
  });
});

describe('errorText', () => {
  it('keeps the error short enough to store', () => {
    expect(errorText(new TypeError('bad'))).toBe('TypeError: bad');
    expect(errorText(new Error('x'.repeat(5000)))).toHaveLength(JOB_LIMITS.errorChars);
  });
});
