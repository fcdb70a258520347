import { Page, Preference, PublicProfile, TokenResponse, User } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PASSWORD_HASH_PARAMETERS, hashPassword, needsRehash, verifyPassword } from '@authorworks/kit';
import { DB, caller, expectError, expectJson, newAccount, register, resetState, startUserApp } from './user-app.ts';

let app: TestApp;
let call: ReturnType<typeof caller>;

beforeAll(async () => {
  app = await startUserApp();
  call = caller(app);
}, 120_000);
afterAll(() => app?.close());
beforeEach(() => resetState(app));

describe('account lifecycle', () => {
  it('register → login → refresh → me → patch me → preferences → logout → delete', async () => {
    const { body: account, tokens: registered } = await register(call);
    expect(registered.expiresIn).toBe(900);
    expect(registered.user).toMatchObject({ email: account.email, username: account.username, displayName: account.displayName, roles: ['user'], status: 'active' });
    expect(JSON.stringify(registered)).not.toContain('password');

    const loginByEmail = await call('/login', { body: { email: account.email.toUpperCase(), password: account.password } });
    expect(loginByEmail.status).toBe(200);
    const loginByUsername = await call('/login', { body: { username: account.username, password: account.password } });
    const session = TokenResponse.parse(await loginByUsername.json());
    expect(session.user.lastLoginAt).not.toBeNull();

    const refreshed = await expectJson(call('/refresh', { body: { refreshToken: session.refreshToken } }), 200, TokenResponse);
    expect(refreshed.refreshToken).not.toBe(session.refreshToken);

    const me = await expectJson(call('/me', { token: refreshed.accessToken }), 200, User);
    expect(me.id).toBe(registered.user.id);

    const patched = await call('/me', {
      method: 'PATCH',
      token: refreshed.accessToken,
      body: { displayName: 'Ada L.', bio: 'Writes at night.', website: 'https://ada.example', location: 'London' },
    });
    expect((await expectJson(patched, 200, User)).profile).toEqual({ bio: 'Writes at night.', avatarFileId: null, website: 'https://ada.example', location: 'London' });

    const put = await call('/me/preferences/editor.fontSize', { method: 'PUT', token: refreshed.accessToken, body: { value: 16 } });
    expect(Preference.parse(await put.json())).toMatchObject({ key: 'editor.fontSize', value: 16 });
    await call('/me/preferences/theme', { method: 'PUT', token: refreshed.accessToken, body: { value: { mode: 'dark', accent: 'teal' } } });
    const list = await expectJson(call('/me/preferences', { token: refreshed.accessToken }), 200, Page(Preference));
    expect(list.items.map((item) => [item.key, item.value])).toEqual([
      ['editor.fontSize', 16],
      ['theme', { mode: 'dark', accent: 'teal' }],
    ]);
    expect(list.nextCursor).toBeNull();
    const firstPage = await expectJson(call('/me/preferences?limit=1', { token: refreshed.accessToken }), 200, Page(Preference));
    expect(firstPage.items.map((item) => item.key)).toEqual(['editor.fontSize']);
    const secondPage = Page(Preference).parse(
      await (await call(`/me/preferences?limit=1&cursor=${firstPage.nextCursor}`, { token: refreshed.accessToken })).json(),
    );
    expect(secondPage).toMatchObject({ items: [{ key: 'theme' }], nextCursor: null });
    const one = await call('/me/preferences/theme', { token: refreshed.accessToken });
    expect((await one.json()).value).toEqual({ mode: 'dark', accent: 'teal' });
    expect((await call('/me/preferences/theme', { method: 'DELETE', token: refreshed.accessToken })).status).toBe(204);
    await expectError(await call('/me/preferences/theme', { token: refreshed.accessToken }), 404, 'not_found');

    const profile = await expectJson(call(`/${me.id}`), 200, PublicProfile);
    expect(profile).toMatchObject({ username: account.username, displayName: 'Ada L.', bio: 'Writes at night.' });
    expect(profile).not.toHaveProperty('email');

    expect((await call('/logout', { body: { refreshToken: refreshed.refreshToken } })).status).toBe(204);
    await expectError(await call('/refresh', { body: { refreshToken: refreshed.refreshToken } }), 401);

    // Logging out ends the session's access token too.
    await expectError(await call('/me', { method: 'DELETE', token: refreshed.accessToken }), 401, 'token_revoked');

    const again = await expectJson(call('/login', { body: { email: account.email, password: account.password } }), 200, TokenResponse);
    expect((await call('/me', { method: 'DELETE', token: again.accessToken })).status).toBe(204);
    await expectError(await call('/me', { token: again.accessToken }), 401, 'token_revoked');
    await expectError(await call('/login', { body: { email: account.email, password: account.password } }), 401, 'invalid_credentials');
  });

  it('changing the password needs the current one and ends other sessions', async () => {
    const { body: account, tokens } = await register(call);
    await expectError(
      await call('/me', { method: 'PATCH', token: tokens.accessToken, body: { newPassword: 'a brand new secret', currentPassword: 'wrong one' } }),
      403,
      'wrong_password',
    );
    const changed = await call('/me', {
      method: 'PATCH',
      token: tokens.accessToken,
      body: { newPassword: 'a brand new secret', currentPassword: account.password },
    });
    expect(changed.status).toBe(200);
    await expectError(await call('/refresh', { body: { refreshToken: tokens.refreshToken } }), 401);
    await expectError(await call('/login', { body: { email: account.email, password: account.password } }), 401, 'invalid_credentials');
    expect((await call('/login', { body: { email: account.email, password: 'a brand new secret' } })).status).toBe(200);
  });
});

describe('password hashes', () => {
  it('upgrades a hash made with weaker parameters at the next login, which still works after', async () => {
    const { body: account, tokens } = await register(call);
    const { sub } = JSON.parse(Buffer.from(tokens.accessToken.split('.')[1]!, 'base64url').toString()) as { sub: string };
    const db = await app.sql(DB);
    const storedHash = async () => String((await db.query('SELECT password_hash FROM users WHERE id = $1::uuid', [sub])).rows[0]?.password_hash);
    try {
      // What an account registered before the parameters were raised holds.
      const weaker = { logN: PASSWORD_HASH_PARAMETERS.logN - 1, r: 1, p: 1 };
      await db.query('UPDATE users SET password_hash = $2 WHERE id = $1::uuid', [sub, hashPassword(account.password, weaker)]);
      expect(needsRehash(await storedHash())).toBe(true);
      await expectError(await call('/login', { body: { email: account.email, password: 'not the password' } }), 401, 'invalid_credentials');
      expect(needsRehash(await storedHash())).toBe(true); // a failed login changes nothing
      expect((await call('/login', { body: { email: account.email, password: account.password } })).status).toBe(200);
      const upgraded = await storedHash();
      expect(upgraded.startsWith(`$scrypt$ln=${PASSWORD_HASH_PARAMETERS.logN},r=1,p=1$`)).toBe(true);
      expect(verifyPassword(account.password, upgraded)).toBe(true);
      expect((await call('/login', { body: { username: account.username, password: account.password } })).status).toBe(200);
      expect(await storedHash()).toBe(upgraded); // current parameters: not hashed again
    } finally {
      await db.close();
    }
  });
});

describe('bad input', () => {
  it.each([
    ['missing fields', { email: 'a@b.co' }, ['body.username', 'body.password', 'body.displayName']],
    ['mistyped fields', { email: 42, username: ['x'], password: true, displayName: null }, ['body.email', 'body.username', 'body.password', 'body.displayName']],
    ['bad email and short password', { ...newAccount(), email: 'not-an-email', password: 'short' }, ['body.email', 'body.password']],
    ['bad username', { ...newAccount(), username: 'a b' }, ['body.username']],
    ['too long a display name', { ...newAccount(), displayName: 'x'.repeat(101) }, ['body.displayName']],
  ])('register with %s is 400 naming the fields', async (_name, body, paths) => {
    const error = await expectError(await call('/register', { body }), 400, 'validation_failed');
    expect([...new Set(error.details.map((detail) => detail.path))].sort()).toEqual([...new Set(paths)].sort());
  });

  it('malformed JSON is 400 malformed_json', async () => {
    await expectError(await call('/register', { rawBody: '{"email": "a@b.co",', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
    await expectError(await call('/login', { rawBody: '', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
  });

  it('an oversize body is 413', async () => {
    await expectError(await call('/register', { body: { ...newAccount(), displayName: 'x'.repeat(10_000) } }), 413, 'payload_too_large');
  });

  it('a body that is not JSON is 415', async () => {
    await expectError(
      await call('/login', { rawBody: 'email=a@b.co&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      'unsupported_media_type',
    );
    await expectError(await call('/login', { rawBody: '{}', headers: { 'content-type': 'text/plain' } }), 415);
  });

  it('a duplicate email or username is 409', async () => {
    const { body } = await register(call);
    const sameEmail = await expectError(await call('/register', { body: newAccount({ email: body.email.toUpperCase() }) }), 409, 'email_taken');
    expect(sameEmail.details[0]?.path).toBe('body.email');
    await expectError(await call('/register', { body: newAccount({ username: body.username.toUpperCase() }) }), 409, 'username_taken');
  });

  it('patching to a taken username is 409; unknown fields are 400', async () => {
    const { body: first } = await register(call);
    const { tokens } = await register(call);
    await expectError(await call('/me', { method: 'PATCH', token: tokens.accessToken, body: { username: first.username } }), 409, 'username_taken');
    await expectError(await call('/me', { method: 'PATCH', token: tokens.accessToken, body: { roles: ['admin'] } }), 400, 'validation_failed');
    await expectError(await call('/me', { method: 'PATCH', token: tokens.accessToken, body: {} }), 400, 'validation_failed');
  });

  it('wrong password and unknown account are the same 401', async () => {
    const { body } = await register(call);
    const wrong = await expectError(await call('/login', { body: { email: body.email, password: 'not the password' } }), 401, 'invalid_credentials');
    const unknown = await expectError(await call('/login', { body: { email: 'nobody@example.com', password: 'whatever' } }), 401, 'invalid_credentials');
    expect(unknown.message).toBe(wrong.message);
  });

  it('login needs exactly one of email or username', async () => {
    await expectError(await call('/login', { body: { password: 'x' } }), 400, 'validation_failed');
  });

  it('a bad id or preference key is 400, an unknown user 404', async () => {
    await expectError(await call('/not-a-uuid'), 400, 'validation_failed');
    await expectError(await call('/0b0e8a8e-6d2c-4d6f-9f6e-1f2a3b4c5d6e'), 404, 'not_found');
    const { tokens } = await register(call);
    await expectError(await call('/me/preferences/bad%20key', { method: 'PUT', token: tokens.accessToken, body: { value: 1 } }), 400, 'validation_failed');
  });
});

describe('isolation between users', () => {
  it('two users never read or change each other’s private data', async () => {
    const alice = await register(call);
    const bob = await register(call);
    await call('/me/preferences/secret', { method: 'PUT', token: alice.tokens.accessToken, body: { value: 'alice-only' } });

    const bobMe = await expectJson(call('/me', { token: bob.tokens.accessToken }), 200, User);
    expect(bobMe.id).toBe(bob.tokens.user.id);
    await expectError(await call('/me/preferences/secret', { token: bob.tokens.accessToken }), 404);
    const bobList = await expectJson(call('/me/preferences', { token: bob.tokens.accessToken }), 200, Page(Preference));
    expect(bobList.items).toEqual([]);
    await expectError(await call('/me/preferences/secret', { method: 'DELETE', token: bob.tokens.accessToken }), 404);

    // Identity headers from the client change nothing.
    const spoofed = await call('/me', { token: bob.tokens.accessToken, headers: { 'x-user-id': alice.tokens.user.id, 'remote-user': alice.body.username } });
    expect(User.parse(await spoofed.json()).id).toBe(bob.tokens.user.id);
    await expectError(await call('/me', { headers: { 'x-user-id': alice.tokens.user.id } }), 401, 'missing_token');

    // Bob's refresh token does not log in as Alice, and the public profile hides her email.
    const profile = await (await call(`/${alice.tokens.user.id}`, { token: bob.tokens.accessToken })).json();
    expect(JSON.stringify(profile)).not.toContain(alice.body.email);

    // Non-admins cannot list or suspend.
    await expectError(await call('/', { token: bob.tokens.accessToken }), 403, 'forbidden');
    await expectError(await call(`/${alice.tokens.user.id}/status`, { method: 'PATCH', token: bob.tokens.accessToken, body: { status: 'suspended' } }), 403);

    const aliceStill = await call('/me/preferences/secret', { token: alice.tokens.accessToken });
    expect((await aliceStill.json()).value).toBe('alice-only');
  });
});
