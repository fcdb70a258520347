// The editor service with the content service it calls, on the local Spin runtime with both
// databases migrated, and the steps editor tests share. Embedded PGlite and Redis unless
// DB_CONNECTION / REDIS_ADDRESS name real servers.
import { fileURLToPath } from 'node:url';
import { Book, Chapter, Collaborator } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { expectJson, serviceCaller, signIn, startService, type CallOptions, type Reply, type TestUser } from '@authorworks/spin-local/testing';
import { z } from 'zod';

export { expectError, expectJson } from '@authorworks/spin-local/testing';
export type User = TestUser;

export const AUTH_SECRET = 'editor-tests-secret-0123456789abcdef-xyz';

export const EDITOR_DB_ADDRESS = 'postgres://postgres@127.0.0.1:5432/authorworks_editor';

export function startEditorApp(variables: Record<string, string> = {}): Promise<TestApp> {
  return startService({ manifest: fileURLToPath(new URL('./with-content.spin.toml', import.meta.url)), authSecret: AUTH_SECRET, variables });
}

/** Components of spin-all.toml (the editor's with the content service's), e.g. with the editor's event processor. */
export function startComposedApp(components: string[]): Promise<TestApp> {
  return startService({ manifest: fileURLToPath(new URL('../../../spin-all.toml', import.meta.url)), components, authSecret: AUTH_SECRET });
}

export const newUser = (roles: ('user' | 'admin')[] = ['user']): User => signIn(AUTH_SECRET, roles);

function caller(app: TestApp, base: string) {
  const send = serviceCaller(app, base);
  return (method: string, path: string, as: User | null, body?: unknown, headers?: Record<string, string>): Promise<Reply> => {
    const options: CallOptions = typeof body === 'string' ? { as, rawBody: body } : { as, body };
    return send(method, path, headers ? { ...options, headers } : options);
  };
}

/** One JSON call to /v1/editor; `as` null is anonymous; a string body is sent as it is. */
export const editor = (app: TestApp) => caller(app, '/v1/editor');
export const content = (app: TestApp) => caller(app, '/v1/content');

export const EditorDocument = z.object({
  chapterId: z.uuid(),
  bookId: z.uuid(),
  version: z.number().int(),
  oldestVersion: z.number().int(),
  text: z.string(),
  length: z.number().int(),
  format: z.string(),
  contentVersion: z.number().int(),
  lastEventId: z.number().int(),
  updatedAt: z.string(),
  access: z.object({ canWrite: z.boolean(), canComment: z.boolean() }),
});

const Component = z.union([z.number(), z.string(), z.object({ d: z.union([z.number(), z.string()]) })]);
export const Committed = z.object({ version: z.number().int(), ops: z.array(Component), duplicate: z.boolean() });
export const OperationList = z.object({
  items: z.array(z.object({ version: z.number().int(), op: z.array(Component), authorId: z.uuid(), baseVersion: z.number().int(), createdAt: z.string() })),
  nextCursor: z.string().nullable(),
  version: z.number().int(),
});

/**
 * A book by `author` with one chapter holding `text` (a content version when not empty), and
 * collaborators who accepted their `roles`.
 */
export async function chapterWith(app: TestApp, author: User, text: string, roles: Partial<Record<'owner' | 'editor' | 'reviewer' | 'viewer', User[]>> = {}) {
  const call = content(app);
  const book = await expectJson(call('POST', '/books', author, { title: 'A Book' }), 201, Book);
  const chapter = await expectJson(call('POST', `/books/${book.id}/chapters`, author, { title: 'Chapter 1' }), 201, Chapter);
  if (text !== '') await expectJson(call('PUT', `/chapters/${chapter.id}/content`, author, { baseVersion: 0, content: text, format: 'plain' }), 200, z.object({ version: z.literal(1) }));
  for (const [role, users] of Object.entries(roles)) {
    for (const user of users ?? []) {
      const invite = await expectJson(call('POST', `/books/${book.id}/collaborators`, author, { userId: user.id, role }), 201, Collaborator);
      await expectJson(call('POST', `/invites/${invite.id}/accept`, user), 200, Collaborator);
    }
  }
  return { bookId: book.id, chapterId: chapter.id };
}
