import { describe, expect, it } from 'vitest';
import { InMemoryRedis } from '../in-memory-host.ts';
import { createLogger } from '../logging.ts';
import type { SqlClient } from '../sql.ts';
import { outboxFlush } from './outbox-flush.ts';
import { compose } from './pipeline.ts';

/** A database whose outbox holds one unpublished event; it records every statement. */
function outboxDatabase(statements: string[]): SqlClient {
  return {
    async query(sql) {
      statements.push(sql.replace(/\s+/g, ' ').trim());
      if (sql.includes('UPDATE outbox') && sql.includes('published_at IS NULL')) {
        return {
          rows: [{ id: 'e-1', channel: 'demo-events', type: 'demo.done', subject: 's', data: '{"ok":true}', correlation_id: 'req-1', time: '2026-12-02T00:00:00.000Z' }],
        };
      }
      return { rows: [] };
    },
  };
}

function run(recorded: boolean, handler: () => Promise<Response> = async () => new Response('ok')) {
  const statements: string[] = [];
  const redis = new InMemoryRedis();
  const db = outboxDatabase(statements);
  const after: (() => Promise<void>)[] = [];
  const context = {
    service: 'demo',
    requestId: 'req-1',
    log: createLogger({ level: 'error', sink: () => undefined }),
    db: () => db,
    redis: () => redis,
    outboxPending: () => recorded,
    afterResponse: (work: () => Promise<void>) => void after.push(work),
  };
  const done = compose<typeof context>([outboxFlush()], async () => {
    statements.push('handler');
    return handler();
  })(context);
  /** What the host runs once the answer is on its way. */
  const afterResponse = async () => {
    for (const work of after.splice(0)) await work();
  };
  return { statements, redis, done, afterResponse };
}

describe('outbox flush', () => {
  it('publishes what the request recorded, after the answer', async () => {
    const { statements, redis, done, afterResponse } = run(true);
    expect(await (await done).text()).toBe('ok');
    // The answer is ready before anything is flushed…
    expect(statements).toEqual(['handler']);
    expect(redis.published).toEqual([]);
    await afterResponse();
    expect(statements[0]).toBe('handler');
    // Taken and marked published in one statement, inside the flush's transaction.
    expect(statements.slice(1)).toEqual(['BEGIN', expect.stringMatching(/^WITH taken AS .*UPDATE outbox o SET published_at = now\(\)/), 'COMMIT']);
    expect(redis.published.map((message) => [message.channel, JSON.parse(message.payload).id])).toEqual([['demo-events', 'e-1']]);
  });

  it('touches neither database nor Redis when nothing was recorded', async () => {
    const { statements, redis, done, afterResponse } = run(false);
    await done;
    await afterResponse();
    expect(statements).toEqual(['handler']);
    expect(redis.published).toEqual([]);
  });

  it('flushes after a handler that failed too (what it committed before failing goes out)', async () => {
    const { statements, redis, done, afterResponse } = run(true, async () => {
      throw new Error('handler failed');
    });
    expect((await done).status).toBe(500);
    await afterResponse();
    expect(statements.slice(1, 2)).toEqual(['BEGIN']);
    expect(redis.published).toHaveLength(1);
  });
});
