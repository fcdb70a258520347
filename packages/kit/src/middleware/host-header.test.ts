import { describe, expect, it } from 'vitest';
import { createLogger } from '../logging.ts';
import { json } from '../responses.ts';
import { hostHeader, isAuthority } from './host-header.ts';
import { compose } from './pipeline.ts';

describe('host header', () => {
  it.each(['api.example.com', 'localhost:3000', '127.0.0.1:3000', '[::1]:3000', 'user@host', 'content-api.spin.internal'])('accepts %s', (host) => {
    expect(isAuthority(host)).toBe(true);
  });

  it.each(['x/v1/users/me?', 'a b', '[::1', '', 'host#frag', 'host?q', 'example.com:80:80'])('refuses %j', (host) => {
    expect(isAuthority(host)).toBe(false);
  });

  it('answers 400 bad_host before the route runs, and lets a request without Host through', async () => {
    let routed = 0;
    type Context = { request: Request; log: ReturnType<typeof createLogger>; requestId: string };
    const run = compose<Context>([hostHeader()], async () => {
      routed++;
      return json({ ok: true });
    });
    const context = (headers: Record<string, string>): Context => {
      const request = new Request('http://localhost/v1/users/health');
      // Request objects in Node drop a Host given to the constructor; set it the way a runtime would.
      const withHost = new Proxy(request, {
        get: (target, key) => (key === 'headers' ? new Headers(headers) : Reflect.get(target, key)),
      });
      return { request: withHost, log: createLogger({ level: 'error', sink: () => undefined }), requestId: 'r1' };
    };
    const refused = await run(context({ host: 'x/v1/users/me?' }));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: 'bad_host' } });
    expect((await run(context({}))).status).toBe(200);
    expect((await run(context({ host: 'localhost:3000' }))).status).toBe(200);
    expect(routed).toBe(2);
  });
});
