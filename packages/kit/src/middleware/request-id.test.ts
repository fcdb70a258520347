import { describe, expect, it } from 'vitest';
import { compose } from './pipeline.ts';
import { requestId, requestIdOf } from './request-id.ts';
import { createLogger } from '../logging.ts';

const log = createLogger({ level: 'error', sink: () => undefined });

describe('request id', () => {
  it('keeps a sane x-request-id and replaces a hostile or missing one', () => {
    const make = (id: string) => new Request('http://x/', { headers: { 'x-request-id': id } });
    expect(requestIdOf(make('abc-123'), () => 'new')).toBe('abc-123');
    expect(requestIdOf(make('a b;<script>'), () => 'new')).toBe('new');
    expect(requestIdOf(make('x'.repeat(129)), () => 'new')).toBe('new');
    expect(requestIdOf(new Request('http://x/'), () => 'new')).toBe('new');
  });

  it('puts the id on every answer, a thrown failure included', async () => {
    const ok = compose([requestId()], async () => new Response('fine'));
    expect((await ok({ requestId: 'req-1', log })).headers.get('x-request-id')).toBe('req-1');
    const failing = compose([requestId()], async () => {
      throw new Error('broken');
    });
    const failed = await failing({ requestId: 'req-2', log });
    expect(failed.status).toBe(500);
    expect(failed.headers.get('x-request-id')).toBe('req-2');
  });
});
