import { describe, expect, it } from 'vitest';
import type { RouteInput } from '../context.ts';
import { HttpError } from '../errors.ts';
import { InMemoryRedis, inMemoryRouteInput } from '../in-memory-host.ts';
import { json } from '../responses.ts';
import { compose } from './pipeline.ts';
import { throttle, type ThrottleRule } from './throttle.ts';

/** A login-like route: the password "right" succeeds, anything else is a 401. */
function loginRoute(rules: readonly ThrottleRule<RouteInput>[], redis: InMemoryRedis) {
  let handled = 0;
  const run = compose([throttle(rules)], async (ctx: RouteInput) => {
    handled++;
    if (ctx.request.headers.get('x-password') !== 'right') throw new HttpError(401, 'invalid_credentials', 'wrong');
    return json({ ok: true });
  });
  const attempt = (password: string, account = 'ada') =>
    run(
      inMemoryRouteInput(new Request('http://x/login', { headers: { 'x-password': password, 'x-account': account } }), {
        variables: { log_level: 'error', redis_address: 'redis://in-memory' },
        redis,
      }),
    );
  return { attempt, handled: () => handled };
}

const perAccount: ThrottleRule<RouteInput> = {
  name: 'account',
  key: (ctx) => `failures:account:${ctx.request.headers.get('x-account')}`,
  limit: () => ({ limit: 2, windowSeconds: 60 }),
  counts: (response) => response.status === 401,
  resets: (response) => response.ok,
};

describe('throttle', () => {
  it('counts only the answers the rule counts, and refuses past the limit before the handler runs', async () => {
    let clock = 0;
    const redis = new InMemoryRedis(() => clock);
    const route = loginRoute([perAccount], redis);
    expect((await route.attempt('wrong')).status).toBe(401);
    expect((await route.attempt('wrong')).status).toBe(401);
    const refused = await route.attempt('right');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(route.handled()).toBe(2);
    // Other accounts are counted apart.
    expect((await route.attempt('right', 'grace')).status).toBe(200);
    // The window ends, and with it the refusal.
    clock += 60_000;
    expect((await route.attempt('right')).status).toBe(200);
  });

  it('clears a counter on the answers the rule resets on', async () => {
    const redis = new InMemoryRedis();
    const route = loginRoute([perAccount], redis);
    await route.attempt('wrong');
    expect((await route.attempt('right')).status).toBe(200);
    await route.attempt('wrong');
    // One failure since the success: still allowed.
    expect((await route.attempt('wrong')).status).toBe(401);
  });

  it('counts every answer when the rule says nothing, and takes the longest Retry-After of several', async () => {
    const redis = new InMemoryRedis();
    const everyRequest: ThrottleRule<RouteInput> = { name: 'requests', key: () => 'requests:all', limit: () => ({ limit: 1, windowSeconds: 300 }) };
    const route = loginRoute([perAccount, everyRequest], redis);
    expect((await route.attempt('right')).status).toBe(200);
    const refused = await route.attempt('right');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('300');
  });

  it('lets exactly `limit` of a parallel burst reach the handler', async () => {
    const redis = new InMemoryRedis();
    const route = loginRoute([{ ...perAccount, limit: () => ({ limit: 5, windowSeconds: 60 }) }], redis);
    const answers = await Promise.all(Array.from({ length: 16 }, () => route.attempt('wrong')));
    expect(answers.filter((a) => a.status === 401)).toHaveLength(5);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(11);
    expect(route.handled()).toBe(5);
  });

  it('gives back the attempt of an answer that does not count', async () => {
    const redis = new InMemoryRedis();
    const perAddress: ThrottleRule<RouteInput> = { ...perAccount, name: 'address', key: () => 'failures:address:1.2.3.4', resets: undefined };
    const route = loginRoute([perAddress], redis);
    for (let i = 0; i < 5; i++) expect((await route.attempt('right')).status).toBe(200);
    expect(await redis.get('failures:address:1.2.3.4')).toBeNull();
    expect((await route.attempt('wrong')).status).toBe(401);
    expect((await route.attempt('wrong')).status).toBe(401);
    expect((await route.attempt('right')).status).toBe(429);
  });

  it('may key a counter by something it looks up', async () => {
    const redis = new InMemoryRedis();
    const aliases: Record<string, string> = { ada: 'user-1', 'ada@example.com': 'user-1' };
    const byAccount: ThrottleRule<RouteInput> = { ...perAccount, key: async (ctx) => `failures:account:${aliases[ctx.request.headers.get('x-account') ?? ''] ?? 'unknown'}` };
    const route = loginRoute([byAccount], redis);
    expect((await route.attempt('wrong', 'ada')).status).toBe(401);
    expect((await route.attempt('wrong', 'ada@example.com')).status).toBe(401);
    // Both names are one account: its two failures are used up.
    expect((await route.attempt('right', 'ada')).status).toBe(429);
  });
});

