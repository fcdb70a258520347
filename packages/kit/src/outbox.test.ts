import { EventEnvelope } from '@authorworks/domain';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createApiWithHost, defineRoute, type ApiOptions } from './api.ts';
import { readEventLog } from './event-log.ts';
import { InMemoryRedis, inMemoryHost } from './in-memory-host.ts';
import { signAccessToken } from './jwt.ts';
import { outboxInsertSql } from './outbox.ts';
import { json } from './responses.ts';
import { transaction, type SqlClient, type SqlParam } from './sql.ts';

const OkAnswer = z.object({ ok: z.literal(true) });

/** Just enough of Postgres for the outbox statements, with transactions that really roll back. */
class FakeOutboxDatabase implements SqlClient {
  rows: { id: string; channel: string; type: string; subject: string; data: string; correlation_id: string; published: boolean; ageSeconds: number }[] = [];
  private snapshot: string | null = null;
  private next = 1;

  async query(sql: string, params: readonly SqlParam[] = []) {
    const statement = sql.trim();
    if (statement === 'BEGIN') this.snapshot = JSON.stringify(this.rows);
    else if (statement === 'COMMIT') this.snapshot = null;
    else if (statement === 'ROLLBACK') {
      this.rows = JSON.parse(this.snapshot!);
      this.snapshot = null;
    } else if (statement.startsWith('INSERT INTO outbox')) {
      const [channel, type, subject, data, correlationId] = params as string[];
      const id = `00000000-0000-4000-8000-${String(this.next++).padStart(12, '0')}`;
      this.rows.push({ id, channel: channel!, type: type!, subject: subject!, data: data!, correlation_id: correlationId!, published: false, ageSeconds: 0 });
    } else if (statement.startsWith('WITH taken AS')) {
      // The flush: takes the unpublished rows old enough and marks them published.
      const olderThan = Number(params[1] ?? 0);
      const taken = this.rows.filter((row) => !row.published && row.ageSeconds >= olderThan);
      for (const row of taken) row.published = true;
      return { rows: taken.map((row) => ({ ...row, time: '2026-11-28T10:00:00.000Z' })) };
    } else if (statement.startsWith('UPDATE things')) {
      // The change itself.
    } else throw new Error(`unexpected SQL: ${statement}`);
    return { rows: [] };
  }
}

afterEach(() => vi.restoreAllMocks());

const SECRET = 'x'.repeat(32);

function setup(options: Pick<ApiOptions, 'outboxSweep'> & { clock?: () => number } = {}) {
  const database = new FakeOutboxDatabase();
  const host = inMemoryHost({
    variables: { log_level: 'error', redis_address: 'redis://x', db_connection: 'postgres://x', auth_secret: SECRET },
    sql: database,
    redis: new InMemoryRedis(options.clock),
  });
  const api = createApiWithHost({ service: 'demo', base: '/v1/demo', version: '1', ...(options.outboxSweep ? { outboxSweep: options.outboxSweep } : {}) }, host)
    .get('/read', defineRoute({ responses: { 200: OkAnswer } }, async () => json({ ok: true })))
    .get('/mine', defineRoute({ auth: 'required', responses: { 200: OkAnswer } }, async () => json({ ok: true })))
    .post('/commit', defineRoute({ responses: { 200: OkAnswer } }, async ({ db, events }) => {
      await transaction(db(), async (tx) => {
        await tx.query('UPDATE things SET x = 1');
        await events.record(tx, 'demo-events', 'thing.changed', 'thing-1', { x: 1 });
      });
      return json({ ok: true });
    }))
    .post('/statement', defineRoute({ responses: { 200: OkAnswer } }, async ({ db, events }) => {
      // A change and its event in one statement (in Postgres: the change as a CTE, the row inserted FROM it).
      await db().query(outboxInsertSql(1, '(SELECT 1) AS changed'), events.recordInStatement('demo-events', 'thing.changed', 'thing-3', { x: 3 }));
      return json({ ok: true });
    }))
    .post('/rollback', defineRoute({ responses: { 200: OkAnswer } }, async ({ db, events }) => {
      await transaction(db(), async (tx) => {
        await events.record(tx, 'demo-events', 'thing.changed', 'thing-2', { x: 2 });
        throw new Error('changed my mind');
      });
      return json({ ok: true });
    }));
  return { api, host, database, redis: host.redis };
}

describe('transactional outbox', () => {
  it('publishes a committed event after the handler, with the row id and the request id', async () => {
    const { api, host, database } = setup();
    const response = await api.fetch(new Request('http://x/v1/demo/commit', { method: 'POST', headers: { 'x-request-id': 'req-9' } }));
    expect(response.status).toBe(200);
    expect(host.redis.published).toHaveLength(1);
    const event = EventEnvelope.parse(JSON.parse(host.redis.published[0]!.payload));
    expect(event).toMatchObject({ id: database.rows[0]!.id, type: 'thing.changed', source: 'demo', subject: 'thing-1', data: { x: 1 }, correlationId: 'req-9' });
    expect(database.rows[0]!.published).toBe(true);
  });

  it('also appends each published event to its channel’s event log, for consumers that were down', async () => {
    const { api, host } = setup();
    await api.fetch(new Request('http://x/v1/demo/commit', { method: 'POST' }));
    const logged = await readEventLog(host.redis, 'demo-events', null, 10);
    expect(logged.map((entry) => new TextDecoder().decode(entry.payload))).toEqual([host.redis.published[0]!.payload]);
  });

  it('publishes an event recorded inside a statement of the handler, as one recorded in a transaction', async () => {
    const { api, host, database } = setup();
    const response = await api.fetch(new Request('http://x/v1/demo/statement', { method: 'POST', headers: { 'x-request-id': 'req-3' } }));
    expect(response.status).toBe(200);
    expect(outboxInsertSql(1, '(SELECT 1) AS changed', (json) => `jsonb_set(${json}, '{x}', '4')`)).toBe(
      `INSERT INTO outbox (channel, type, subject, data, correlation_id) SELECT $1::text, $2::text, $3::text, jsonb_set($4::text::jsonb, '{x}', '4'), $5::text FROM (SELECT 1) AS changed`,
    );
    const event = EventEnvelope.parse(JSON.parse(host.redis.published[0]!.payload));
    expect(event).toMatchObject({ id: database.rows[0]!.id, type: 'thing.changed', subject: 'thing-3', data: { x: 3 }, correlationId: 'req-3' });
    expect(database.rows.map((row) => row.published)).toEqual([true]);
  });

  it('publishes nothing for a rolled-back transaction', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { api, host, database } = setup();
    expect((await api.fetch(new Request('http://x/v1/demo/rollback', { method: 'POST' }))).status).toBe(500);
    expect(host.redis.published).toEqual([]);
    expect(database.rows).toEqual([]);
  });

  it('keeps events when Redis fails and sends them with the next request', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { api, host, database } = setup();
    const publish = vi.spyOn(host.redis, 'publish').mockImplementationOnce(() => {
      throw new Error('redis down');
    });
    expect((await api.fetch(new Request('http://x/v1/demo/commit', { method: 'POST' }))).status).toBe(200);
    expect(database.rows.map((row) => row.published)).toEqual([false]);
    publish.mockRestore();
    await api.fetch(new Request('http://x/v1/demo/commit', { method: 'POST' }));
    expect(host.redis.published.map((message) => JSON.parse(message.payload).subject)).toEqual(['thing-1', 'thing-1']);
    expect(database.rows.every((row) => row.published)).toBe(true);
  });

  describe('the outbox sweep (ApiOptions.outboxSweep)', () => {
    /** A row a killed request committed but never published, `ageSeconds` old. */
    async function leftBehind(database: FakeOutboxDatabase, subject: string, ageSeconds: number) {
      await database.query('INSERT INTO outbox', ['demo-events', 'thing.changed', subject, '{}', 'killed-request']);
      database.rows.at(-1)!.ageSeconds = ageSeconds;
    }
    const read = () => new Request('http://x/v1/demo/read');

    it('publishes left-over rows with a request that recorded nothing, at most once per interval', async () => {
      const { api, host, database } = setup({ outboxSweep: { everySeconds: 60, olderThanSeconds: 5 } });
      await leftBehind(database, 'orphan-1', 30);
      expect((await api.fetch(read())).status).toBe(200);
      expect(host.redis.published.map((message) => JSON.parse(message.payload).subject)).toEqual(['orphan-1']);
      expect(database.rows.map((row) => row.published)).toEqual([true]);
      await leftBehind(database, 'orphan-2', 30);
      await api.fetch(read());
      expect(host.redis.published).toHaveLength(1);
      const [outboxTtl] = await host.redis.execute('TTL', ['outbox:sweep:demo']);
      expect(outboxTtl).toBeGreaterThan(50);
      expect(outboxTtl).toBeLessThanOrEqual(60);
    });

    it('leaves rows younger than olderThanSeconds to the request that is flushing them', async () => {
      const { api, host, database } = setup({ outboxSweep: { olderThanSeconds: 5 } });
      await leftBehind(database, 'in-flight', 1);
      await api.fetch(read());
      expect(host.redis.published).toEqual([]);
      expect(database.rows.map((row) => row.published)).toEqual([false]);
    });

    it('costs a signed-in request no Redis call while a sweep is recent, and sweeps with the first one after', async () => {
      let now = Date.parse('2026-12-03T10:00:00Z');
      const { api, host, database, redis } = setup({ outboxSweep: { everySeconds: 60, olderThanSeconds: 5 }, clock: () => now });
      const mine = () => new Request('http://x/v1/demo/mine', { headers: { authorization: `Bearer ${signAccessToken({ sub: '4f1c2b7e-0a4e-4a51-9d1b-6f1f1e9f2a10', roles: ['user'] }, { secret: SECRET })}` } });
      await leftBehind(database, 'orphan-1', 30);
      expect((await api.fetch(mine())).status).toBe(200);
      // The key was absent: the one SET NX, and the sweep.
      expect(redis.commands.slice(0, 2)).toEqual(['MGET', 'SET']);
      expect(host.redis.published.map((message) => JSON.parse(message.payload).subject)).toEqual(['orphan-1']);
      await leftBehind(database, 'orphan-2', 30);
      redis.commands.length = 0;
      expect((await api.fetch(mine())).status).toBe(200);
      expect(redis.commands).toEqual(['MGET']);
      expect(database.rows.map((row) => row.published)).toEqual([true, false]);
      // An anonymous request has no read to ride on: it asks with its own SET NX (refused here).
      redis.commands.length = 0;
      await api.fetch(read());
      expect(redis.commands).toEqual(['SET']);
      expect(database.rows.map((row) => row.published)).toEqual([true, false]);
      now += 61_000;
      expect((await api.fetch(mine())).status).toBe(200);
      expect(host.redis.published.map((message) => JSON.parse(message.payload).subject)).toEqual(['orphan-1', 'orphan-2']);
    });

    it('is off unless the service asks for it: a read alone publishes nothing', async () => {
      const { api, host, database } = setup();
      await leftBehind(database, 'orphan', 30);
      await api.fetch(read());
      expect(host.redis.published).toEqual([]);
    });
  });
});
