import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { utf8 } from './encoding.ts';
import { createEvent, createEventConsumer, on } from './events.ts';
import { inMemoryHost } from './in-memory-host.ts';

const data = z.object({ bookId: z.uuid() });
const bookId = '0b0e8a8e-6d2c-4d6f-9f6e-1f2a3b4c5d6e';

function consumer(handle: (bookId: string) => void) {
  const host = inMemoryHost({ variables: { log_level: 'error', redis_address: 'redis://x' } });
  const inboundRedis = createEventConsumer({
    consumer: 'test-worker',
    idempotency: 'redis',
    host,
    handlers: {
      'content.updated': on(data, (event) => {
        handle(event.data.bookId);
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
    inboundRedis.handleMessage(event);
    inboundRedis.handleMessage(event);
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
    expect(() => inboundRedis.handleMessage(event)).toThrow('temporary');
    inboundRedis.handleMessage(event);
    expect(attempts).toBe(2);
  });

  it('drops garbage and mismatched data without calling the handler, ignores other types', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const handle = vi.fn(() => undefined);
    const { inboundRedis } = consumer(handle);
    inboundRedis.handleMessage(utf8('not json'));
    inboundRedis.handleMessage(utf8(JSON.stringify({ type: 'content.updated' })));
    inboundRedis.handleMessage(message({ data: { bookId: 'nope' } }));
    inboundRedis.handleMessage(message({ type: 'content.deleted' }));
    expect(handle).not.toHaveBeenCalled();
  });

  it('refuses an async handler instead of silently losing its work', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const host = inMemoryHost({ variables: { log_level: 'error', redis_address: 'redis://x' } });
    const inboundRedis = createEventConsumer({
      consumer: 'test-worker',
      idempotency: 'redis',
      host,
      // @ts-expect-error handlers must be synchronous
      handlers: { 'content.updated': on(data, async () => undefined) },
    });
    expect(() => inboundRedis.handleMessage(message())).toThrow(/must be synchronous/);
  });

  it('with postgres idempotency, marks and handles in one transaction', () => {
    const statements: string[] = [];
    const seen = new Set<string>();
    const host = inMemoryHost({
      variables: { log_level: 'error', db_connection: 'postgres://x' },
      syncSql: {
        query(sql, params = []) {
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
        'content.updated': on(data, (event, { db }) => {
          db().query('UPDATE books SET word_count = 0 WHERE id = $1::text::uuid', [event.data.bookId]);
          handled.push(event.id);
        }),
      },
    });
    const event = message();
    inboundRedis.handleMessage(event);
    inboundRedis.handleMessage(event);
    expect(handled).toHaveLength(1);
    expect(statements).toEqual(['BEGIN', 'INSERT', 'UPDATE', 'COMMIT', 'BEGIN', 'INSERT', 'COMMIT']);
  });
});
