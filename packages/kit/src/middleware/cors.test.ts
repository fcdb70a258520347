import { describe, expect, it } from 'vitest';
import { Config } from '../config.ts';
import { createLogger } from '../logging.ts';
import { cors, parseCorsOrigins } from './cors.ts';
import { compose } from './pipeline.ts';

const log = createLogger({ level: 'error', sink: () => undefined });

function run(request: Request, origins: string, handler = async () => new Response('handled')) {
  const config = new Config({ get: (name) => (name === 'cors_origins' ? origins : undefined) });
  const context = { request, config, log, requestId: 'r' };
  return compose<typeof context>([cors()], handler)(context);
}

const preflight = (origin: string, headers: Record<string, string> = {}) =>
  new Request('http://x/v1/demo/me', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET', ...headers } });

describe('cors', () => {
  it('parses the origin list', () => {
    expect(parseCorsOrigins('https://a.example, https://b.example/ *')).toEqual(['https://a.example', 'https://b.example', '*']);
    expect(parseCorsOrigins('')).toEqual([]);
  });

  it('answers a preflight from a listed origin without running the handler', async () => {
    let handled = false;
    const response = await run(preflight('https://app.example', { 'access-control-request-headers': 'Authorization' }), 'https://app.example', async () => {
      handled = true;
      return new Response('handled');
    });
    expect(handled).toBe(false);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
  });

  it('refuses a preflight from another origin, or asking for an unknown header, with 403', async () => {
    const otherOrigin = await run(preflight('https://evil.example'), 'https://app.example');
    expect(otherOrigin.status).toBe(403);
    expect(otherOrigin.headers.get('access-control-allow-origin')).toBeNull();
    expect(otherOrigin.headers.get('vary')).toBe('Origin');
    const header = await run(preflight('https://app.example', { 'access-control-request-headers': 'x-admin' }), 'https://app.example');
    expect(header.status).toBe(403);
    expect(((await header.json()) as { error: { code: string } }).error.code).toBe('cors_header_not_allowed');
  });

  it('adds the allow-origin headers to answers for listed origins, failures included', async () => {
    const listed = new Request('http://x/v1/demo/me', { headers: { origin: 'https://app.example' } });
    const ok = await run(listed, 'https://app.example');
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(ok.headers.get('access-control-expose-headers')).toContain('x-request-id');
    const failed = await run(listed, 'https://app.example', async () => {
      throw new Error('broken');
    });
    expect(failed.status).toBe(500);
    expect(failed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const other = await run(new Request('http://x/', { headers: { origin: 'https://evil.example' } }), 'https://app.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect((await run(new Request('http://x/', { headers: { origin: 'https://x.example' } }), '*')).headers.get('access-control-allow-origin')).toBe('*');
  });
});
