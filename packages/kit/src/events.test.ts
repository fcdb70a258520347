import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { utf8 } from './encoding.ts';
import { createEvent, createEventConsumer, on, TICK_EVENT_TYPE } from './events.ts';
import { inMemoryHost } from './in-memory-host.ts';

const data = z.object({ bookId: z.uuid() });
const bookId = '0b0e8a8e-6d2c-4d6f-9f6e-1f2a3b4c5d6e';

function consumer(handle: (bookId: string) => Promise<void> | void) {
  const host = inMemoryHost({ variables: { log_level: 'error', redis_address: 'redis://x' } });
  const inboundRedis = createEventConsumer({
    consumer: 'test-worker',
    idempotency: 'redis',
    host,
    handlers: {
      'content.updated': on(data, async (event) => {
        await handle(event.data.bookId);
      }),
    },
  });
  return { inboundRedis, host };
}

const message = (fields: Partial<Parameters<typeof createEvent>[0]> = {}) =>
  utf8(JSON.stringify(createEvent({ type: 'content.updated', source: 'content', subject: bookId, data: { bookId }, correlationId: 'r1', ...fields })));

afterEach(() => vi.restoreAllMocks());

describe('event consumer', () => {
  it('handles an event once even when delivered twice', async () => {
    const handled: string[] = [];
    const { inboundRedis } = consumer((id) => void handled.push(id));
    const event = message({ id: '11111111-2222-4333-8444-555555555555' });
    await inboundRedis.handleMessage(event);
    await inboundRedis.handleMessage(event);
    expect(handled).toEqual([bookId]);
  });

  it('lets a failed event be retried', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    let attempts = 0;
    const { inboundRedis } = consumer(() => {
      attempts++;
      if (attempts === 1) throw new Error('temporary');
    });
    const event = message();
    await expect(inboundRedis.handleMessage(event)).rejects.toThrow('temporary');
    await inboundRedis.handleMessage(event);
    expect(attempts).toBe(2);
  });

  it('drops garbage and mismatched data without calling the handler, ignores other types', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const handle = vi.fn(() => undefined);
    const { inboundRedis } = consumer(handle);
    await inboundRedis.handleMessage(utf8('not json'));
    await inboundRedis.handleMessage(utf8(JSON.stringify({ type: 'content.updated' })));
    await inboundRedis.handleMessage(message({ data: { bookId: 'nope' } }));
    await inboundRedis.handleMessage(message({ type: 'content.deleted' }));
    expect(handle).not.toHaveBeenCalled();
  });

  it('waits for an async handler: its work after an await is done before the message counts as handled', async () => {
    const handled: string[] = [];
    const { inboundRedis, host } = consumer(async (id) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await host.redis.set(`seen:${id}`, utf8('yes'));
      handled.push(id);
    });
    await inboundRedis.handleMessage(message());
    expect(handled).toEqual([bookId]);
    expect(await host.redis.get(`seen:${bookId}`)).toEqual(utf8('yes'));
  });

  it('with postgres idempotency, marks and handles in one transaction', async () => {
    const statements: string[] = [];
    const seen = new Set<string>();
    const host = inMemoryHost({
      variables: { log_level: 'error', db_connection: 'postgres://x' },
      sql: {
        async query(sql, params = []) {
          statements.push(sql.split(' ')[0]!);
          if (sql.startsWith('INSERT INTO processed_events')) {
            const id = String(params[1]);
            if (seen.has(id)) return { rows: [] };
            seen.add(id);
            return { rows: [{ event_id: id }] };
          }
          return { rows: [] };
        },
      },
    });
    const handled: string[] = [];
    const inboundRedis = createEventConsumer({
      consumer: 'test-worker',
      idempotency: 'postgres',
      host,
      handlers: {
        'content.updated': on(data, async (event, { db }) => {
          await db().query('UPDATE books SET word_count = 0 WHERE id = $1::text::uuid', [event.data.bookId]);
          handled.push(event.id);
        }),
      },
    });
    const event = message();
    await inboundRedis.handleMessage(event);
    await inboundRedis.handleMessage(event);
    expect(handled).toHaveLength(1);
    expect(statements).toEqual(['BEGIN', 'INSERT', 'UPDATE', 'COMMIT', 'BEGIN', 'INSERT', 'COMMIT']);
  });

  describe('maintenance (the rate-limited upkeep after every message)', () => {
    function maintained(run: () => Promise<void>) {
      const statements: string[] = [];
      const host = inMemoryHost({
        variables: { log_level: 'error', db_connection: 'postgres://x', redis_address: 'redis://x' },
        sql: {
          async query(sql) {
            statements.push(sql.trim().split(/\s+/).slice(0, 2).join(' '));
            return { rows: [] };
          },
        },
      });
      const inboundRedis = createEventConsumer({
        consumer: 'test-worker',
        idempotency: 'redis',
        host,
        handlers: { 'content.updated': on(data, async () => undefined) },
        maintenance: { outbox: { everySeconds: 20 }, everySeconds: 40, run },
      });
      return { inboundRedis, host, statements };
    }

    it('runs after any message, a tick or garbage included, at most once per interval', async () => {
      let runs = 0;
      const { inboundRedis, host, statements } = maintained(async () => {
        runs++;
      });
      await inboundRedis.handleMessage(message({ type: TICK_EVENT_TYPE }));
      expect(runs).toBe(1);
      expect(statements.filter((statement) => statement === 'WITH taken')).toHaveLength(1);
      await inboundRedis.handleMessage(utf8('not an envelope'));
      await inboundRedis.handleMessage(message());
      expect(runs).toBe(1);
      expect(statements.filter((statement) => statement === 'WITH taken')).toHaveLength(1);
      const [outboxTtl] = await host.redis.execute('TTL', ['outbox:sweep:test-worker']);
      expect(outboxTtl).toBeGreaterThan(10);
      expect(outboxTtl).toBeLessThanOrEqual(20);
      const [maintenanceTtl] = await host.redis.execute('TTL', ['maintenance:test-worker']);
      expect(maintenanceTtl).toBeGreaterThan(30);
      expect(maintenanceTtl).toBeLessThanOrEqual(40);
    });

    it('runs even when the handler throws, and its own failure is logged, not thrown', async () => {
      vi.spyOn(console, 'error').mockImplementation(() => undefined);
      let runs = 0;
      const { inboundRedis } = maintained(async () => {
        runs++;
        throw new Error('reconcile failed');
      });
      await expect(inboundRedis.handleMessage(message({ type: TICK_EVENT_TYPE }))).resolves.toBeUndefined();
      expect(runs).toBe(1);
    });
  });
});
