import { ErrorEnvelope } from '@authorworks/domain';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.ts';
import { createLogger, type LogLevel } from '../logging.ts';
import { compose, type FailureContext, type Middleware } from './pipeline.ts';

function context(lines: string[] = []): FailureContext & { trail: string[] } {
  const log = createLogger({ level: 'debug', sink: (_level: LogLevel, line: string) => void lines.push(line) });
  return { log, requestId: 'req-9', trail: [] };
}

const mark =
  (name: string): Middleware<FailureContext & { trail: string[] }> =>
  async (ctx, next) => {
    ctx.trail.push(`${name} in`);
    const response = await next();
    ctx.trail.push(`${name} out ${response.status}`);
    return response;
  };

describe('compose', () => {
  it('runs middlewares outermost first around the handler', async () => {
    const ctx = context();
    const response = await compose([mark('a'), mark('b')], async (c) => {
      c.trail.push('handler');
      return new Response(null, { status: 204 });
    })(ctx);
    expect(response.status).toBe(204);
    expect(ctx.trail).toEqual(['a in', 'b in', 'handler', 'b out 204', 'a out 204']);
  });

  it('lets a middleware answer without calling the rest', async () => {
    const ctx = context();
    const stop: Middleware<FailureContext & { trail: string[] }> = async () => new Response('stopped', { status: 418 });
    const response = await compose([mark('a'), stop, mark('never')], async () => new Response('handler'))(ctx);
    expect(await response.text()).toBe('stopped');
    expect(ctx.trail).toEqual(['a in', 'a out 418']);
  });

  it('turns a throw into its error envelope where it happens, so outer middlewares see the answer', async () => {
    const ctx = context();
    const response = await compose([mark('a')], async () => {
      throw new HttpError(409, 'taken', 'That name is taken');
    })(ctx);
    expect(response.status).toBe(409);
    expect(ErrorEnvelope.parse(await response.json()).error.code).toBe('taken');
    expect(ctx.trail).toEqual(['a in', 'a out 409']);
  });

  it('answers an unknown error with a bare 500 quoting the request id, and logs the error', async () => {
    const lines: string[] = [];
    const response = await compose([], async () => {
      throw new Error('secret detail');
    })(context(lines));
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).toContain('req-9');
    expect(text).not.toContain('secret detail');
    expect(lines.some((line) => line.includes('secret detail'))).toBe(true);
  });
});
