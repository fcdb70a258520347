import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createApiWithHost, defineRoute, type ApiOptions } from '../api.ts';
import type { Host } from '../host.ts';
import { InMemoryRedis, inMemoryHost } from '../in-memory-host.ts';
import { signAccessToken } from '../jwt.ts';
import { json } from '../responses.ts';
import type { SqlClient } from '../sql.ts';

afterEach(() => vi.restoreAllMocks());

const SECRET = 'x'.repeat(32);
const OkAnswer = z.object({ ok: z.literal(true) });

/** A database where one job is due; `broken` makes every statement fail. */
function jobsDatabase(statements: string[], broken: boolean): SqlClient {
  return {
    async query(sql) {
      statements.push(sql.trim().split(/\s+/).slice(0, 2).join(' '));
      if (broken) throw new Error('connection refused');
      return { rows: sql.includes('SELECT EXISTS') ? [{ due: true }] : [] };
    },
  };
}

/**
 * An API with the jobs sweep of `demo-jobs` every 30 s, on an in-memory host that counts the
 * database connections requests open (each `openPostgres` is a host call on Spin).
 */
function setup(options: { clock?: () => number; broken?: boolean } & Pick<ApiOptions, 'outboxSweep'> = {}) {
  const statements: string[] = [];
  const memory = inMemoryHost({
    variables: { log_level: 'error', redis_address: 'redis://x', db_connection: 'postgres://x', auth_secret: SECRET },
    sql: jobsDatabase(statements, options.broken ?? false),
    redis: new InMemoryRedis(options.clock),
  });
  let opened = 0;
  const host: Host = {
    ...memory,
    openPostgres(address) {
      opened++;
      return memory.openPostgres(address);
    },
  };
  const jobs = { queue: 'demo-jobs', eventsChannel: 'demo-events', sweepEverySeconds: 30 };
  const api = createApiWithHost({ service: 'demo', base: '/v1/demo', version: '1', jobs, ...(options.outboxSweep ? { outboxSweep: options.outboxSweep } : {}) }, host)
    .get('/read', defineRoute({ responses: { 200: OkAnswer } }, async () => json({ ok: true })))
    .get('/mine', defineRoute({ auth: 'required', responses: { 200: OkAnswer } }, async () => json({ ok: true })));
  const redis = memory.redis;
  return {
    api,
    redis,
    statements,
    opened: () => opened,
    /** `job.sweep` nudges published to the queue: one per sweep that ran (a job is always due here). */
    sweeps: () => redis.published.filter((message) => message.channel === 'demo-jobs' && JSON.parse(message.payload).type === 'job.sweep').length,
  };
}

const read = () => new Request('http://x/v1/demo/read');
const mine = () =>
  new Request('http://x/v1/demo/mine', {
    headers: { authorization: `Bearer ${signAccessToken({ sub: '4f1c2b7e-0a4e-4a51-9d1b-6f1f1e9f2a10', roles: ['user'] }, { secret: SECRET })}` },
  });

describe('jobSweep (ApiOptions.jobs)', () => {
  it('sweeps after the handler at most once per interval, and opens the database only for the sweep that runs', async () => {
    const { api, redis, statements, opened, sweeps } = setup();
    expect((await api.fetch(read())).status).toBe(200);
    expect(sweeps()).toBe(1);
    expect(opened()).toBe(1);
    const asked = statements.length;
    expect(asked).toBeGreaterThan(0);
    redis.commands.length = 0;
    expect((await api.fetch(read())).status).toBe(200);
    // A request without a token has no read to ride on: its own SET NX, refused; no connection.
    expect(redis.commands).toEqual(['SET']);
    expect(opened()).toBe(1);
    expect(statements).toHaveLength(asked);
    expect(sweeps()).toBe(1);
    const [ttl] = await redis.execute('TTL', ['jobs:sweep:demo-jobs']);
    expect(ttl).toBeGreaterThan(25);
    expect(ttl).toBeLessThanOrEqual(30);
  });

  it('sweeps after the answer where the request can go on (Spin: FetchEvent.waitUntil), not before it', async () => {
    const { api, opened, sweeps } = setup();
    const extended: Promise<unknown>[] = [];
    const response = await api.fetch(read(), { waitUntil: (promise) => void extended.push(promise) });
    expect(response.status).toBe(200);
    // The answer is there, the sweep not yet: it is the work the event was asked to wait for.
    expect([sweeps(), opened()]).toEqual([0, 0]);
    expect(extended).toHaveLength(1);
    await Promise.all(extended);
    expect([sweeps(), opened()]).toEqual([1, 1]);
    // A signed-in read while the sweep is recent leaves no work: the instance is not kept.
    expect((await api.fetch(mine(), { waitUntil: (promise) => void extended.push(promise) })).status).toBe(200);
    expect(extended).toHaveLength(1);
  });

  it('costs a signed-in request no Redis call and no database while a sweep is recent, and sweeps with the first one after', async () => {
    let now = Date.parse('2026-12-03T10:00:00Z');
    const { api, redis, opened, sweeps } = setup({ clock: () => now });
    expect((await api.fetch(mine())).status).toBe(200);
    // The key was absent: the revocation MGET read it along, then the one SET NX, and the sweep.
    expect(redis.commands.slice(0, 2)).toEqual(['MGET', 'SET']);
    expect([opened(), sweeps()]).toEqual([1, 1]);
    redis.commands.length = 0;
    expect((await api.fetch(mine())).status).toBe(200);
    expect(redis.commands).toEqual(['MGET']);
    expect([opened(), sweeps()]).toEqual([1, 1]);
    now += 31_000;
    redis.commands.length = 0;
    expect((await api.fetch(mine())).status).toBe(200);
    expect(redis.commands.slice(0, 2)).toEqual(['MGET', 'SET']);
    expect([opened(), sweeps()]).toEqual([2, 2]);
  });

  it('reads its key in the same MGET as the outbox sweep’s when the API has both', async () => {
    const { api, redis, opened } = setup({ outboxSweep: { everySeconds: 60 } });
    await api.fetch(mine());
    const afterFirst = opened();
    redis.commands.length = 0;
    expect((await api.fetch(mine())).status).toBe(200);
    expect(redis.commands).toEqual(['MGET']);
    expect(opened()).toBe(afterFirst);
  });

  it('leaves the probes alone: /health and /ready (GET or HEAD) make no sweep of either kind, the next other request does', async () => {
    const { api, redis, opened, sweeps } = setup({ outboxSweep: { everySeconds: 60 } });
    const probes = ['/v1/demo/health', '/v1/demo/ready'].flatMap((path) => ['GET', 'HEAD'].map((method) => new Request(`http://x${path}`, { method })));
    for (const probe of probes) expect((await api.fetch(probe)).status).toBe(200);
    // /ready's own SELECT 1 and PING, four times over; no sweep key set, no nudge.
    expect(redis.commands.filter((command) => command !== 'PING')).toEqual([]);
    expect(sweeps()).toBe(0);
    expect(await redis.execute('TTL', ['jobs:sweep:demo-jobs'])).toEqual([-2]);
    const openedByProbes = opened();
    expect((await api.fetch(read())).status).toBe(200);
    expect(sweeps()).toBe(1);
    expect(opened()).toBe(openedByProbes + 1);
    expect(redis.commands.filter((command) => command === 'SET')).toHaveLength(2);
  });

  it('answers the request when the sweep fails, and logs why', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const broken = setup({ broken: true });
    const response = await broken.api.fetch(read());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    const down = setup();
    vi.spyOn(down.redis, 'execute').mockRejectedValue(new Error('connection refused'));
    expect((await down.api.fetch(read())).status).toBe(200);
    expect(down.opened()).toBe(0);
    expect(errors.mock.calls.filter(([line]) => String(line).includes('jobs sweep failed'))).toHaveLength(2);
  });
});
