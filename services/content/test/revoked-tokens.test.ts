// Issue 18, item 4, across services: the user service revokes, the content service refuses. The
// composed app (spin-all.toml) runs the user and content components on one Redis, as deployed;
// before the fix a deleted user's token still created a book owned by no one.
import { fileURLToPath } from 'node:url';
import { Book, TokenResponse } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { fetchAs, startService } from '@authorworks/spin-local/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_SECRET, DB_ADDRESS, expectError, expectJson } from './content-app.ts';

let app: TestApp;
let users: ReturnType<typeof fetchAs>;
let content: ReturnType<typeof fetchAs>;

beforeAll(async () => {
  app = await startService({
    manifest: fileURLToPath(new URL('../../../spin-all.toml', import.meta.url)),
    authSecret: AUTH_SECRET,
    components: ['user-api', 'content-api'],
  });
  users = fetchAs(app, '/v1/users');
  content = fetchAs(app, '/v1/content');
}, 180_000);
afterAll(() => app?.close());

let counter = 0;
async function registerUser(): Promise<TokenResponse & { password: string; email: string }> {
  counter += 1;
  const tag = `${Date.now().toString(36)}${counter}`;
  const body = { email: `revoked${tag}@example.com`, username: `revoked_${tag}`, password: 'correct horse battery', displayName: `Writer ${counter}` };
  return { ...(await expectJson(users('POST', '/register', { body }), 201, TokenResponse)), password: body.password, email: body.email };
}

async function booksOf(authorId: string): Promise<number> {
  const db = await app.sql(DB_ADDRESS);
  try {
    const { rows } = await db.query('SELECT count(*)::int AS n FROM books WHERE author_id = $1::uuid', [authorId]);
    return Number((rows[0] as { n: number }).n);
  } finally {
    await db.close();
  }
}

describe('content refuses tokens the user service revoked', () => {
  it("a deleted user's token creates no book; another user's still does", async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const book = await expectJson(content('POST', '/books', { as: alice.accessToken, body: { title: 'Before' } }), 201, Book);

    expect((await users('DELETE', '/me', { as: alice.accessToken })).status).toBe(204);
    await expectError(content('POST', '/books', { as: alice.accessToken, body: { title: 'After' } }), 401, 'token_revoked');
    await expectError(content('POST', `/books/${book.id}/publish`, { as: alice.accessToken }), 401, 'token_revoked');
    expect(await booksOf(alice.user.id)).toBe(1);

    await expectJson(content('POST', '/books', { as: bob.accessToken, body: { title: 'Still mine' } }), 201, Book);
    expect(await booksOf(bob.user.id)).toBe(1);
  });

  it("logging out a device or everywhere stops that user's writes at once", async () => {
    const carol = await registerUser();
    const laptop = await expectJson(users('POST', '/login', { body: { email: carol.email, password: carol.password } }), 200, TokenResponse);

    expect((await users('POST', '/logout', { body: { refreshToken: carol.refreshToken } })).status).toBe(204);
    await expectError(content('POST', '/books', { as: carol.accessToken, body: { title: 'Phone' } }), 401, 'token_revoked');
    await expectJson(content('POST', '/books', { as: laptop.accessToken, body: { title: 'Laptop' } }), 201, Book);

    expect((await users('POST', '/logout-all', { as: laptop.accessToken })).status).toBe(204);
    await expectError(content('POST', '/books', { as: laptop.accessToken, body: { title: 'Laptop again' } }), 401, 'token_revoked');
    expect(await booksOf(carol.user.id)).toBe(1);
  });
});
