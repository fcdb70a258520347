import { describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../logging.ts';
import { compose } from './pipeline.ts';
import { requestLog } from './request-log.ts';
import { noBackendTime, timedOpen, timedSqlClient } from '../backend-timings.ts';

function logged(status: number) {
  const lines: { level: LogLevel; record: Record<string, unknown> }[] = [];
  const log = createLogger({ level: 'info', sink: (level, line) => void lines.push({ level, record: JSON.parse(line) as Record<string, unknown> }) });
  let clock = 1_000;
  const context = {
    request: new Request('http://x/v1/demo/things?secret=1', { method: 'PATCH' }),
    url: new URL('http://x/v1/demo/things?secret=1'),
    log,
    requestId: 'req-1',
  };
  const run = compose<typeof context>([requestLog(() => clock)], async () => {
    clock += 42.26;
    return new Response(null, { status });
  });
  return { lines, done: run(context) };
}

describe('request log', () => {
  it('writes one info line with method, path (no query), status and the time the rest took', async () => {
    const { lines, done } = logged(204);
    expect((await done).status).toBe(204);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe('info');
    expect(lines[0]!.record).toMatchObject({ msg: 'request', method: 'PATCH', path: '/v1/demo/things', status: 204, ms: 42.3 });
  });

  it('logs a 5xx at error level', async () => {
    const { lines, done } = logged(503);
    await done;
    expect(lines.map((line) => [line.level, line.record.msg])).toEqual([['error', 'request failed']]);
  });
});

describe('backend time in the request log', () => {
  it('adds how long the request waited on the database and Redis, and how many calls, only for the backends it used', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ level: 'info', sink: (_level, line) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const backendTime = noBackendTime();
    const slowQuery = timedSqlClient({ query: () => new Promise((resolve) => setTimeout(() => resolve({ rows: [] }), 20)) }, backendTime);
    const context = { request: new Request('http://x/v1/demo'), url: new URL('http://x/v1/demo'), log, requestId: 'req-2', backendTime };
    const run = compose<typeof context>([requestLog()], async () => {
      await slowQuery.query('SELECT 1');
      await slowQuery.query('SELECT 2');
      return new Response(null, { status: 204 });
    });
    await run(context);
    expect(lines[0]).toMatchObject({ msg: 'request', status: 204, dbCalls: 2 });
    expect(lines[0]!.dbMs as number).toBeGreaterThanOrEqual(35);
    expect(lines[0]).not.toHaveProperty('redisCalls');
  });
});

describe('opening a backend connection', () => {
  it('counts towards its time, not its calls', () => {
    const timings = noBackendTime();
    const client = timedOpen(() => {
      const until = performance.now() + 5;
      while (performance.now() < until);
      return { query: async () => ({ rows: [] }) };
    }, timings, 'db');
    expect(client).toHaveProperty('query');
    expect(timings.dbMs).toBeGreaterThanOrEqual(5);
    expect(timings.dbCalls).toBe(0);
    expect(timings.redisMs).toBe(0);
  });
});
