// Issue 18, item 4: an access token stops working, in this and every other service, as soon as
// its session ends or its account is suspended, deleted, re-passworded or logged out everywhere.
// Two users throughout: one user's revocation never touches the other's tokens.
import { ErrorEnvelope, TokenResponse, User } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { caller, expectError, expectJson, promoteToAdmin, register, resetState, startUserApp } from './user-app.ts';

let app: TestApp;
let call: ReturnType<typeof caller>;

beforeAll(async () => {
  app = await startUserApp();
  call = caller(app);
}, 120_000);
afterAll(() => app?.close());
beforeEach(() => resetState(app));

/** The token works on a route of this service and on Traefik's gate. */
async function expectAccepted(token: string, userId: string) {
  expect((await expectJson(call('/me', { token }), 200, User)).id).toBe(userId);
  const gate = await call('/auth/verify', { token });
  expect(gate.status).toBe(200);
  expect(gate.headers.get('x-user-id')).toBe(userId);
}

/** Refused on a route and on the gate, which then passes no identity to the service behind. */
async function expectRevoked(token: string) {
  await expectError(call('/me', { token }), 401, 'token_revoked');
  const gate = await call('/auth/verify', { token });
  expect(gate.status).toBe(401);
  expect(gate.headers.get('x-user-id')).toBeNull();
}

async function loginAs(account: { email: string; password: string }) {
  return expectJson(call('/login', { body: { email: account.email, password: account.password } }), 200, TokenResponse);
}

describe('revoking access tokens', () => {
  it('logout ends that device: its access token is refused, the same user on another device and another user are not', async () => {
    const alice = await register(call);
    const bob = await register(call);
    const aliceLaptop = await loginAs(alice.body);

    expect((await call('/logout', { body: { refreshToken: alice.tokens.refreshToken } })).status).toBe(204);
    await expectRevoked(alice.tokens.accessToken);
    await expectAccepted(aliceLaptop.accessToken, alice.tokens.user.id);
    await expectAccepted(bob.tokens.accessToken, bob.tokens.user.id);
    // Tokens the device had refreshed to belong to the same session.
    const refreshed = await expectJson(call('/refresh', { body: { refreshToken: aliceLaptop.refreshToken } }), 200, TokenResponse);
    expect((await call('/logout', { body: { refreshToken: refreshed.refreshToken } })).status).toBe(204);
    await expectRevoked(aliceLaptop.accessToken);
    await expectRevoked(refreshed.accessToken);
  });

  it('logout-all refuses every token of the user, and a login right after works', async () => {
    const alice = await register(call);
    const bob = await register(call);
    const aliceLaptop = await loginAs(alice.body);

    expect((await call('/logout-all', { method: 'POST', token: aliceLaptop.accessToken })).status).toBe(204);
    await expectRevoked(alice.tokens.accessToken);
    await expectRevoked(aliceLaptop.accessToken);
    await expectError(call('/refresh', { body: { refreshToken: alice.tokens.refreshToken } }), 401);
    await expectAccepted(bob.tokens.accessToken, bob.tokens.user.id);

    const again = await loginAs(alice.body);
    await expectAccepted(again.accessToken, alice.tokens.user.id);
  });

  it('a password change refuses the tokens issued before it; the new password signs in at once', async () => {
    const alice = await register(call);
    const bob = await register(call);
    const newPassword = 'a brand new passphrase';
    await expectJson(
      call('/me', { method: 'PATCH', token: alice.tokens.accessToken, body: { currentPassword: alice.body.password, newPassword } }),
      200,
      User,
    );
    await expectRevoked(alice.tokens.accessToken);
    await expectError(call('/login', { body: { email: alice.body.email, password: alice.body.password } }), 401, 'invalid_credentials');
    const fresh = await loginAs({ email: alice.body.email, password: newPassword });
    await expectAccepted(fresh.accessToken, alice.tokens.user.id);
    await expectAccepted(bob.tokens.accessToken, bob.tokens.user.id);
  });

  it('a reused refresh token ends its session, access tokens included', async () => {
    const alice = await register(call);
    const next = await expectJson(call('/refresh', { body: { refreshToken: alice.tokens.refreshToken } }), 200, TokenResponse);
    await expectError(call('/refresh', { body: { refreshToken: alice.tokens.refreshToken } }), 401, 'refresh_token_reused');
    await expectRevoked(next.accessToken);
    await expectRevoked(alice.tokens.accessToken);
  });

  it('suspension refuses the tokens at once and the login answer cannot confirm a guessed password', async () => {
    const admin = await register(call);
    const adminToken = await promoteToAdmin(app, admin.tokens.user.id);
    const alice = await register(call);
    const bob = await register(call);

    const suspended = await call(`/${alice.tokens.user.id}/status`, { method: 'PATCH', token: adminToken, body: { status: 'suspended' } });
    expect(User.parse(await suspended.json()).status).toBe('suspended');
    await expectRevoked(alice.tokens.accessToken);
    await expectError(call('/me/preferences/theme', { method: 'PUT', token: alice.tokens.accessToken, body: { value: 'dark' } }), 401, 'token_revoked');
    await expectAccepted(bob.tokens.accessToken, bob.tokens.user.id);

    const right = await call('/login', { body: { email: alice.body.email, password: alice.body.password } });
    const wrong = await call('/login', { body: { email: alice.body.email, password: 'a wrong guess entirely' } });
    expect(right.status).toBe(401);
    expect(wrong.status).toBe(right.status);
    expect(ErrorEnvelope.parse(await right.json())).toEqual(ErrorEnvelope.parse(await wrong.json()));

    // Reactivated, the account signs in again; the tokens from before the suspension stay refused.
    await expectJson(call(`/${alice.tokens.user.id}/status`, { method: 'PATCH', token: adminToken, body: { status: 'active' } }), 200, User);
    await expectRevoked(alice.tokens.accessToken);
    await expectAccepted((await loginAs(alice.body)).accessToken, alice.tokens.user.id);
  });

  it("deleting the account refuses its tokens; the other user's still work", async () => {
    const alice = await register(call);
    const bob = await register(call);
    expect((await call('/me', { method: 'DELETE', token: alice.tokens.accessToken })).status).toBe(204);
    await expectRevoked(alice.tokens.accessToken);
    await expectError(call('/me', { method: 'DELETE', token: alice.tokens.accessToken }), 401, 'token_revoked');
    await expectAccepted(bob.tokens.accessToken, bob.tokens.user.id);
  });
});
