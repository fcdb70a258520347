// The messaging service on the local Spin runtime with its database migrated, and the steps its
// tests share. Embedded PGlite and Redis unless DB_CONNECTION / REDIS_ADDRESS name real servers.
import { fileURLToPath } from 'node:url';
import { Conversation, Message } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { expectJson, serviceCaller, signIn, startService, type CallOptions, type Reply, type TestUser } from '@authorworks/spin-local/testing';

export { expectError, expectJson } from '@authorworks/spin-local/testing';
export type User = TestUser;

export const AUTH_SECRET = 'messaging-tests-secret-0123456789abcdef-xyz';
export const DB_ADDRESS = 'postgres://postgres@127.0.0.1:5432/authorworks_messaging';

export async function startMessagingApp(options: { components?: string[]; variables?: Record<string, string> } = {}): Promise<TestApp> {
  const app = await startService({ manifest: fileURLToPath(new URL('../spin.toml', import.meta.url)), authSecret: AUTH_SECRET, ...options });
  await freshEventLogs(app);
  return app;
}

/**
 * A real Redis keeps every channel's event log (`event-log:<channel>`, up to ~10,000 entries) from
 * earlier runs and other services' tests, and a processor with no stored position catches up on
 * all of it, 100 entries per channel per message. A test file starts from empty logs and no
 * positions, as a new deployment does (the embedded Redis starts empty anyway).
 */
export async function freshEventLogs(app: TestApp): Promise<void> {
  await app.reset();
  await app.app.reset({ redis: true });
}

export const newUser = (): User => signIn(AUTH_SECRET);

/** One JSON call to /v1/messaging; `as` null is anonymous; a string body is sent as it is. */
export function call(app: TestApp, method: string, path: string, as: User | null, body?: unknown, headers?: Record<string, string>): Promise<Reply> {
  const options: CallOptions = typeof body === 'string' ? { as, rawBody: body } : { as, body };
  return serviceCaller(app, '/v1/messaging')(method, path, { ...options, ...(headers ? { headers } : {}) });
}

export async function group(app: TestApp, admin: User, members: User[], name = 'A group') {
  return expectJson(call(app, 'POST', '/conversations', admin, { kind: 'group', name, memberIds: members.map((m) => m.id) }), 201, Conversation);
}

export async function direct(app: TestApp, from: User, to: User, status = 201) {
  return expectJson(call(app, 'POST', '/conversations', from, { kind: 'direct', userId: to.id }), status, Conversation);
}

export async function post(app: TestApp, as: User, conversationId: string, text: string, parentId?: string) {
  return expectJson(call(app, 'POST', `/conversations/${conversationId}/messages`, as, { text, ...(parentId ? { parentId } : {}) }), 201, Message);
}
