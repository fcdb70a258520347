// Input an outside attack sent that once reached PostgreSQL and came back as a 500: NUL
// characters, lone surrogates, crafted cursors for every paginated list, deep JSON, and a token
// whose subject is not a user id. Each must be a 400 (401 for the token) in the error envelope.
import { randomUUID } from 'node:crypto';
import { signAccessToken } from '@authorworks/kit';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_SECRET, type User, call, createBook, expectError, newUser, startContentApp } from './content-app.ts';

let app: TestApp;
let author: User;
let book: { id: string; chapterIds: string[] };

beforeAll(async () => {
  app = await startContentApp({ components: ['content-api'] });
  author = newUser();
  book = await createBook(app, author, { title: 'Hostile', visibility: 'public' }, 1);
});
afterAll(() => app?.close());

const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('text PostgreSQL cannot store', () => {
  it('refuses a NUL in a body field, naming the field', async () => {
    const error = await expectError(call(app, 'POST', '/books', author, { title: 'a\u0000b' }), 400, 'validation_failed');
    expect(error.details).toEqual([{ path: 'body.title', message: 'Must not contain the NUL character (U+0000)', code: 'unstorable_text' }]);
  });

  it('refuses a lone surrogate instead of storing U+FFFD in its place', async () => {
    // Written as a JSON escape: the body itself is valid UTF-8.
    const error = await expectError(call(app, 'PATCH', `/books/${book.id}`, author, '{"title":"Ch\\ud800apter"}'), 400, 'validation_failed');
    expect(error.details[0]).toMatchObject({ path: 'body.title', code: 'unstorable_text' });
    const unchanged = await call(app, 'GET', `/books/${book.id}`, author);
    expect(unchanged.body).toMatchObject({ title: 'Hostile' });
  });

  it('refuses a NUL in a query string', async () => {
    const error = await expectError(call(app, 'GET', '/catalog?q=night%00mail', null), 400, 'validation_failed');
    expect(error.details[0]).toMatchObject({ path: 'query.q', code: 'unstorable_text' });
  });

  it('refuses JSON nested hundreds of levels deep before any schema walks it', async () => {
    const deep = `{"title":"x","description":${'['.repeat(400)}${']'.repeat(400)}}`;
    const error = await expectError(call(app, 'POST', '/books', author, deep), 400, 'validation_failed');
    expect(error.details[0]).toMatchObject({ code: 'too_deep' });
  });
});

describe('crafted cursors', () => {
  const lists = () => [
    ['/books', author, { t: '2026-02-30T00:00:00.000000', i: book.id }],
    ['/catalog', null, { t: 'yesterday', i: book.id }],
    ['/catalog?q=hostile', null, { o: 1e12 }],
    [`/books/${book.id}/chapters`, author, { p: 2_147_483_648 }],
    [`/chapters/${book.chapterIds[0]}/versions`, author, { v: -5 }],
    [`/chapters/${book.chapterIds[0]}/scenes`, author, { p: 1.5 }],
    [`/books/${book.id}/characters`, author, { t: '2026-01-01T25:00:00.000000', i: book.id }],
    [`/books/${book.id}/collaborators`, author, { t: '2026-01-01T00:00:00.000000\u0000', i: book.id }],
    ['/invites', author, { t: '0000-01-01T00:00:00.000000', i: book.id }],
    ['/collections', author, { t: ['2026-01-01T00:00:00.000000'], i: book.id }],
  ] as const;

  it('answers 400 invalid_cursor on every paginated list', async () => {
    for (const [path, user, value] of lists()) {
      const separator = path.includes('?') ? '&' : '?';
      const error = await expectError(call(app, 'GET', `${path}${separator}cursor=${cursor(value)}`, user), 400, 'invalid_cursor');
      expect(error.details[0]?.path, path).toBe('query.cursor');
    }
  });
});

describe('tokens', () => {
  it('refuses a validly signed token whose subject is not a user id', async () => {
    const token = signAccessToken({ sub: "1' OR '1'='1", roles: ['user'] }, { secret: AUTH_SECRET });
    await expectError(call(app, 'POST', '/books', { id: 'x', roles: ['user'], token, headers: { authorization: `Bearer ${token}` } }, { title: 'x' }), 401);
  });
});

describe('existence oracle', () => {
  it('answers leaving a private book one is not on exactly as leaving a book that does not exist', async () => {
    const privateBook = await createBook(app, author, { title: 'Secret', visibility: 'private' });
    const stranger = newUser();
    const onPrivate = await call(app, 'DELETE', `/books/${privateBook.id}/collaborators/${stranger.id}`, stranger);
    const onNothing = await call(app, 'DELETE', `/books/${randomUUID()}/collaborators/${stranger.id}`, stranger);
    expect(onPrivate.status).toBe(404);
    expect({ status: onNothing.status, body: onNothing.body }).toEqual({ status: onPrivate.status, body: onPrivate.body });
  });
});
