import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { utf8 } from './encoding.ts';
import { createEvent, createEventConsumer, on } from './events.ts';
import { inMemoryHost } from './in-memory-host.ts';

const data = z.object({ bookId: z.uuid() });
const bookId = '0b0e8a8e-6d2c-4d6f-9f6e-1f2a3b4c5d6e';

function consumer(handle: (bookId: string) => Promise<void>) {
  const host = inMemoryHost({ variables: { log_level: 'error', redis_address: 'redis://x' } });
  const inboundRedis = createEventConsumer({
    consumer: 'test-worker',
    idempotency: 'redis',
    host,
    handlers: { 'content.updated': on(data, async (event) => handle(event.data.bookId)) },
  });
  return { inboundRedis, host };
}

const message = (fields: Partial<Parameters<typeof createEvent>[0]> = {}) =>
  utf8(JSON.stringify(createEvent({ type: 'content.updated', source: 'content', subject: bookId, data: { bookId }, correlationId: 'r1', ...fields })));

afterEach(() => vi.restoreAllMocks());

describe('event consumer', () => {
  it('handles an event once even when delivered twice', async () => {
    const handled: string[] = [];
    const { inboundRedis } = consumer(async (id) => void handled.push(id));
    const event = message({ id: '11111111-2222-4333-8444-555555555555' });
    await inboundRedis.handleMessage(event);
    await inboundRedis.handleMessage(event);
    expect(handled).toEqual([bookId]);
  });

  it('lets a failed event be retried', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    let attempts = 0;
    const { inboundRedis } = consumer(async () => {
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
    const handle = vi.fn(async () => undefined);
    const { inboundRedis } = consumer(handle);
    await inboundRedis.handleMessage(utf8('not json'));
    await inboundRedis.handleMessage(utf8(JSON.stringify({ type: 'content.updated' })));
    await inboundRedis.handleMessage(message({ data: { bookId: 'nope' } }));
    await inboundRedis.handleMessage(message({ type: 'content.deleted' }));
    expect(handle).not.toHaveBeenCalled();
  });
});
