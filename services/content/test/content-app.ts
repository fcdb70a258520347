// The content service (both components) on the local Spin runtime with its databases migrated,
// and the content-specific steps tests share. Embedded PGlite and Redis unless DB_CONNECTION /
// REDIS_ADDRESS name real servers.
import { fileURLToPath } from 'node:url';
import { Book, Chapter } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { expectJson, serviceCaller, signIn, startService, type CallOptions, type Reply, type TestUser } from '@authorworks/spin-local/testing';

export { expectError, expectJson } from '@authorworks/spin-local/testing';
export type User = TestUser;

export const AUTH_SECRET = 'content-tests-secret-0123456789abcdef-xyz';
export const DB_ADDRESS = 'postgres://postgres@127.0.0.1:5432/authorworks_content';

export function startContentApp(options: { components?: string[] } = {}): Promise<TestApp> {
  return startService({ manifest: fileURLToPath(new URL('../spin.toml', import.meta.url)), authSecret: AUTH_SECRET, ...options });
}

export const newUser = (roles: ('user' | 'admin')[] = ['user']): User => signIn(AUTH_SECRET, roles);

/** One JSON call to /v1/content; `as` null is anonymous; a string body is sent as it is. */
export function call(app: TestApp, method: string, path: string, as: User | null, body?: unknown): Promise<Reply> {
  const options: CallOptions = typeof body === 'string' ? { as, rawBody: body } : { as, body };
  return serviceCaller(app, '/v1/content')(method, path, options);
}

/** A book with `chapters` chapters (titles "Chapter 1", ...). */
export async function createBook(app: TestApp, author: User, fields: Record<string, unknown> = {}, chapters = 0) {
  const book = await expectJson(call(app, 'POST', '/books', author, { title: 'A Book', ...fields }), 201, Book);
  const chapterIds: string[] = [];
  for (let i = 1; i <= chapters; i++) {
    const chapter = await expectJson(call(app, 'POST', `/books/${book.id}/chapters`, author, { title: `Chapter ${i}` }), 201, Chapter);
    chapterIds.push(chapter.id);
  }
  return { id: book.id, book, chapterIds };
}
