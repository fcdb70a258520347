import { TokenResponse } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PROXY_SECRET, caller, expectError, newAccount, register, resetState, startUserApp } from './user-app.ts';

let app: TestApp;
let call: ReturnType<typeof caller>;

beforeAll(async () => {
  app = await startUserApp({
    login_max_failures_per_account: '3',
    login_max_failures_per_address: '4',
    login_window_seconds: '8',
    authelia_integration: 'true',
    proxy_secret: PROXY_SECRET,
  });
  call = caller(app);
}, 120_000);
afterAll(() => app?.close());
beforeEach(() => resetState(app));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('login throttling', () => {
  it('engages per account with 429 + Retry-After and releases after the window', async () => {
    const { body } = await register(call);
    for (let i = 0; i < 3; i++) {
      await expectError(await call('/login', { body: { email: body.email, password: 'wrong password' } }), 401, 'invalid_credentials');
    }
    const throttled = await call('/login', { body: { email: body.email, password: body.password } });
    await expectError(throttled.clone(), 429, 'too_many_requests');
    const retryAfter = Number(throttled.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(8);
    await sleep(retryAfter * 1000 + 300);
    expect((await call('/login', { body: { email: body.email, password: body.password } })).status).toBe(200);
  });

  it('lets exactly the limit of a parallel burst of wrong passwords be checked', async () => {
    const { body } = await register(call);
    const answers = await Promise.all(Array.from({ length: 8 }, () => call('/login', { body: { email: body.email, password: 'wrong password' } })));
    expect(answers.map((a) => a.status).sort()).toEqual([401, 401, 401, 429, 429, 429, 429, 429]);
  });

  it('counts an account once, whether it is named by email or by username', async () => {
    const { body } = await register(call);
    await expectError(await call('/login', { body: { email: body.email, password: 'wrong password' } }), 401, 'invalid_credentials');
    await expectError(await call('/login', { body: { username: body.username, password: 'wrong password' } }), 401, 'invalid_credentials');
    await expectError(await call('/login', { body: { email: body.email, password: 'wrong password' } }), 401, 'invalid_credentials');
    await expectError(await call('/login', { body: { username: body.username, password: body.password } }), 429, 'too_many_requests');
  });

  it('engages per client address across accounts, keyed by spin-client-addr, not X-Forwarded-For', async () => {
    const { body } = await register(call);
    for (let i = 0; i < 4; i++) {
      await call('/login', { body: { email: `nobody${i}@example.com`, password: 'x' }, headers: { 'x-forwarded-for': `10.0.0.${i}` } });
    }
    const throttled = await call('/login', { body: { email: body.email, password: body.password }, headers: { 'x-forwarded-for': '10.9.9.9' } });
    await expectError(throttled.clone(), 429);
    await sleep(Number(throttled.headers.get('retry-after')) * 1000 + 300);
    expect((await call('/login', { body: { email: body.email, password: body.password } })).status).toBe(200);
  });
});

describe('Authelia mode', () => {
  const remote = { 'remote-user': 'ada', 'remote-email': 'ada@example.com', 'remote-groups': 'writers,admins' };

  it('ignores Remote-* headers without the proxy secret, or with a wrong one', async () => {
    await expectError(await call('/auth/authelia', { method: 'POST', headers: remote }), 401, 'untrusted_proxy');
    await expectError(await call('/auth/authelia', { method: 'POST', headers: { ...remote, 'x-authorworks-proxy-secret': 'guess' } }), 401, 'untrusted_proxy');
    // Remote-* never identify anyone on the ordinary routes.
    await expectError(await call('/me', { headers: { ...remote, 'x-authorworks-proxy-secret': PROXY_SECRET } }), 401, 'missing_token');
  });

  it('provisions the user on first sight with the proxy secret and issues a normal token', async () => {
    const headers = { ...remote, 'x-authorworks-proxy-secret': PROXY_SECRET };
    const first = await call('/auth/authelia', { method: 'POST', headers });
    expect(first.status).toBe(201);
    const tokens = TokenResponse.parse(await first.json());
    expect(tokens.user).toMatchObject({ email: 'ada@example.com', username: 'ada', roles: ['user', 'admin'] });
    const again = await call('/auth/authelia', { method: 'POST', headers: { ...headers, 'remote-groups': 'writers' } });
    expect(again.status).toBe(200);
    const second = TokenResponse.parse(await again.json());
    expect(second.user.id).toBe(tokens.user.id);
    expect(second.user.roles).toEqual(['user']);
    expect((await call('/me', { token: second.accessToken })).status).toBe(200);
    // A provisioned account has no password to guess.
    await expectError(await call('/login', { body: { username: 'ada', password: '' } }), 400);
    await expectError(await call('/login', { body: { username: 'ada', password: 'anything' } }), 401, 'invalid_credentials');
  });

  it('is off by default', async () => {
    const plain = await startUserApp();
    try {
      const response = await caller(plain)('/auth/authelia', { method: 'POST', headers: { ...remote, 'x-authorworks-proxy-secret': PROXY_SECRET } });
      await expectError(response, 404);
    } finally {
      await plain.close();
    }
  }, 60_000);

  it('keeps a duplicate local account from being registered over a provisioned one', async () => {
    await call('/auth/authelia', { method: 'POST', headers: { ...remote, 'x-authorworks-proxy-secret': PROXY_SECRET } });
    await expectError(await call('/register', { body: newAccount({ email: 'ada@example.com' }) }), 409, 'email_taken');
  });
});
