import { describe, expect, it } from 'vitest';
import { InMemoryRedis } from '../in-memory-host.ts';
import { createLogger } from '../logging.ts';
import type { SqlClient } from '../sql.ts';
import { jobSweep } from './job-sweep.ts';
import { compose } from './pipeline.ts';

/** A database where one job is due; `broken` makes every statement fail. */
function jobsDatabase(statements: string[], broken = false): SqlClient {
  return {
    async query(sql) {
      statements.push(sql.trim().split(/\s+/).slice(0, 2).join(' '));
      if (broken) throw new Error('connection refused');
      return { rows: sql.includes('SELECT EXISTS') ? [{ due: true }] : [] };
    },
  };
}

function request(redis: InMemoryRedis, db: SqlClient) {
  const context = { service: 'demo', requestId: 'req-1', log: createLogger({ level: 'error', sink: () => undefined }), db: () => db, redis: () => redis };
  return compose<typeof context>([jobSweep({ queue: 'demo-jobs', eventsChannel: 'demo-events', sweepEverySeconds: 30 })], async () => new Response('ok'))(context);
}

describe('jobSweep', () => {
  it('sweeps after the handler at most once per interval, nudging the queue when jobs are due', async () => {
    const redis = new InMemoryRedis();
    const statements: string[] = [];
    const db = jobsDatabase(statements);
    expect((await request(redis, db)).status).toBe(200);
    expect(redis.published.map((message) => [message.channel, JSON.parse(message.payload).type])).toEqual([['demo-jobs', 'job.sweep']]);
    const asked = statements.length;
    expect(asked).toBeGreaterThan(0);
    await request(redis, db);
    expect(statements).toHaveLength(asked);
    expect(redis.published).toHaveLength(1);
  });

  it('answers the request when the sweep fails', async () => {
    const response = await request(new InMemoryRedis(), jobsDatabase([], true));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
  });
});
