import { createHmac } from 'node:crypto';
import { TokenResponse, User } from '@authorworks/domain';
import { base64UrlEncode, signAccessToken, utf8 } from '@authorworks/kit';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AUTH_SECRET, caller, expectError, expectJson, promoteToAdmin, register, resetState, startUserApp } from './user-app.ts';

let app: TestApp;
let call: ReturnType<typeof caller>;

beforeAll(async () => {
  app = await startUserApp();
  call = caller(app);
}, 120_000);
afterAll(() => app?.close());
beforeEach(() => resetState(app));

const part = (value: unknown) => base64UrlEncode(utf8(JSON.stringify(value)));
function forge(header: Record<string, unknown>, claims: Record<string, unknown>, secret = AUTH_SECRET): string {
  const input = `${part(header)}.${part(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
function claimsFor(userId: string, overrides: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { sub: userId, roles: ['user'], iss: 'authorworks', aud: 'authorworks-api', iat: now, nbf: now, exp: now + 900, ...overrides };
}

describe('access tokens', () => {
  it('accepts a good token and refuses expired, tampered, alg none, RS256 and wrong-audience ones', async () => {
    const { tokens } = await register(call);
    const userId = tokens.user.id;
    expect((await call('/me', { token: tokens.accessToken })).status).toBe(200);

    const expired = signAccessToken({ sub: userId, roles: ['user'] }, { secret: AUTH_SECRET, now: Date.now() - 3600_000 });
    await expectError(await call('/me', { token: expired }), 401, 'token_expired');

    const [header, payload, signature] = tokens.accessToken.split('.');
    const elevated = part({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), roles: ['user', 'admin'] });
    await expectError(await call('/me', { token: `${header}.${elevated}.${signature}` }), 401, 'invalid_token');
    await expectError(await call('/', { token: `${header}.${elevated}.${signature}` }), 401, 'invalid_token');

    await expectError(await call('/me', { token: `${part({ alg: 'none', typ: 'JWT' })}.${part(claimsFor(userId))}.` }), 401, 'invalid_token');
    await expectError(await call('/me', { token: forge({ alg: 'RS256', typ: 'JWT' }, claimsFor(userId)) }), 401, 'invalid_token');
    await expectError(await call('/me', { token: forge({ alg: 'HS256', typ: 'JWT' }, claimsFor(userId, { aud: 'another-api' })) }), 401, 'invalid_token');
    await expectError(await call('/me', { token: forge({ alg: 'HS256', typ: 'JWT' }, claimsFor(userId, { iss: 'evil' })) }), 401, 'invalid_token');
    await expectError(await call('/me', { token: forge({ alg: 'HS256', typ: 'JWT' }, claimsFor(userId), 'some-other-secret-of-enough-length-00') }), 401, 'invalid_token');
    await expectError(await call('/me', { headers: { authorization: 'Basic YTpi' } }), 401, 'invalid_token');
  });
});

describe('refresh tokens', () => {
  it('rotate on every use, and a reused one revokes its whole family', async () => {
    const { body, tokens } = await register(call);
    const first = await expectJson(call('/refresh', { body: { refreshToken: tokens.refreshToken } }), 200, TokenResponse);
    const second = await expectJson(call('/refresh', { body: { refreshToken: first.refreshToken } }), 200, TokenResponse);

    // Another device's session is a different family and survives.
    const otherDevice = await expectJson(call('/login', { body: { email: body.email, password: body.password } }), 200, TokenResponse);

    await expectError(await call('/refresh', { body: { refreshToken: tokens.refreshToken } }), 401, 'refresh_token_reused');
    await expectError(await call('/refresh', { body: { refreshToken: second.refreshToken } }), 401, 'invalid_refresh_token');
    expect((await call('/refresh', { body: { refreshToken: otherDevice.refreshToken } })).status).toBe(200);
  });

  it('refuses unknown tokens and empty bodies', async () => {
    await expectError(await call('/refresh', { body: { refreshToken: 'made-up' } }), 401, 'invalid_refresh_token');
    await expectError(await call('/refresh', { body: {} }), 400, 'validation_failed');
    expect((await call('/logout', { body: { refreshToken: 'made-up' } })).status).toBe(204);
  });
});

describe('forwardAuth verify', () => {
  it('answers 200 with X-User-Id and X-User-Roles for a valid token, 401 otherwise', async () => {
    const { tokens } = await register(call);
    const ok = await call('/auth/verify', { token: tokens.accessToken });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-user-id')).toBe(tokens.user.id);
    expect(ok.headers.get('x-user-roles')).toBe('user');
    const none = await call('/auth/verify', { headers: { 'x-user-id': tokens.user.id } });
    expect(none.status).toBe(401);
    expect(none.headers.get('x-user-id')).toBeNull();
    await expectError(await call('/auth/verify', { token: `${tokens.accessToken}x` }), 401, 'invalid_token');
  });
});

describe('admin', () => {
  it('lists users with filters and pages, and suspends one, ending their sessions', async () => {
    const admin = await register(call);
    const adminToken = await promoteToAdmin(app, admin.tokens.user.id);
    const writers = [await register(call), await register(call), await register(call)];

    const firstPage = await (await call('/?limit=2', { token: adminToken })).json();
    expect(firstPage.items).toHaveLength(2);
    expect(firstPage.nextCursor).toEqual(expect.any(String));
    const secondPage = await (await call(`/?limit=2&cursor=${firstPage.nextCursor}`, { token: adminToken })).json();
    expect(secondPage.items).toHaveLength(2);
    expect(secondPage.nextCursor).toBeNull();
    const ids = [...firstPage.items, ...secondPage.items].map((user: User) => user.id);
    expect(new Set(ids).size).toBe(4);

    const target = writers[0]!;
    const suspended = await call(`/${target.tokens.user.id}/status`, { method: 'PATCH', token: adminToken, body: { status: 'suspended', reason: 'spam' } });
    expect(User.parse(await suspended.json()).status).toBe('suspended');
    const onlySuspended = await (await call('/?status=suspended', { token: adminToken })).json();
    expect(onlySuspended.items.map((user: User) => user.id)).toEqual([target.tokens.user.id]);
    await expectError(await call('/refresh', { body: { refreshToken: target.tokens.refreshToken } }), 401);
    await expectError(await call('/login', { body: { email: target.body.email, password: target.body.password } }), 401, 'invalid_credentials');
    await expectError(await call(`/${target.tokens.user.id}`), 404);
    // The suspended user's unexpired access token is refused at once (revocation.test.ts has more).
    await expectError(await call('/me', { token: target.tokens.accessToken }), 401, 'token_revoked');
    await expectError(await call('/me', { method: 'PATCH', token: target.tokens.accessToken, body: { bio: 'still here' } }), 401, 'token_revoked');

    await expectError(await call('/?limit=0', { token: adminToken }), 400, 'validation_failed');
    await expectError(await call('/?status=banned', { token: adminToken }), 400, 'validation_failed');
    await expectError(await call('/?cursor=garbage', { token: adminToken }), 400, 'invalid_cursor');
    await expectError(await call(`/${admin.tokens.user.id}/status`, { method: 'PATCH', token: adminToken, body: { status: 'suspended' } }), 422);
  });
});

describe('platform behaviour on the compiled component', () => {
  it('answers health and ready', async () => {
    expect(await (await call('/health')).json()).toMatchObject({ status: 'ok', service: 'user' });
    const ready = await call('/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { database: { ok: true }, redis: { ok: true } } });
  });

  it('lets a forwarded CORS preflight through verify without identity', async () => {
    const response = await call('/auth/verify', { headers: { 'x-forwarded-method': 'OPTIONS' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-user-id')).toBeNull();
  });

  it('refuses a preflight from an unlisted origin and 405s a wrong method', async () => {
    const preflight = await call('/me', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    await expectError(preflight, 403, 'cors_origin_not_allowed');
    const wrong = await call('/me', { method: 'PUT', body: {} });
    await expectError(wrong.clone(), 405, 'method_not_allowed');
    expect(wrong.headers.get('allow')).toBe('GET, PATCH, DELETE, HEAD');
  });

  it('answers HEAD on GET routes as GET without a body; HEAD on a POST-only route is 405', async () => {
    const { tokens } = await register(call);
    const health = await call('/health', { method: 'HEAD' });
    expect(health.status).toBe(200);
    expect(health.headers.get('content-type')).toContain('application/json');
    expect(await health.text()).toBe('');
    const me = await call('/me', { method: 'HEAD', token: tokens.accessToken });
    expect(me.status).toBe(200);
    expect(me.headers.get('x-request-id')).toEqual(expect.any(String));
    expect((await call('/me', { method: 'HEAD' })).status).toBe(401);
    // As GET would: `/login` is also `/:id` (400 for a bad id); `/auth/authelia` has no GET (405).
    expect((await call('/login', { method: 'HEAD' })).status).toBe((await call('/login')).status);
    const postOnly = await call('/auth/authelia', { method: 'HEAD' });
    expect(postOnly.status).toBe(405);
    expect(postOnly.headers.get('allow')).toBe('POST');
  });
});
