// Starts the content service (both components) on the local Spin runtime with its migrations
// applied, and gives tests signed-in users. Embedded PGlite and Redis unless DB_CONNECTION /
// REDIS_ADDRESS name real servers.
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Book, Chapter, ErrorEnvelope } from '@authorworks/domain';
import { signAccessToken } from '@authorworks/kit';
import { loadMigrations, runMigrations } from '@authorworks/kit/migrations';
import { startApp, type TestApp } from '@authorworks/spin-local';
import type { z } from 'zod';

export const AUTH_SECRET = 'content-tests-secret-0123456789abcdef-xyz';
export const DB_ADDRESS = 'postgres://postgres@127.0.0.1:5432/authorworks_content';

const serviceDir = fileURLToPath(new URL('..', import.meta.url));

export async function migrateContent(app: TestApp): Promise<void> {
  const dir = `${serviceDir}migrations`;
  const files = await Promise.all(
    (await readdir(dir)).filter((name) => name.endsWith('.sql')).map(async (fileName) => ({ fileName, sql: await readFile(`${dir}/${fileName}`, 'utf8') })),
  );
  const client = await app.sql(DB_ADDRESS);
  try {
    await runMigrations(client, loadMigrations(files));
  } finally {
    await client.close();
  }
}

export async function startContentApp(options: { components?: string[] } = {}): Promise<TestApp> {
  const app = await startApp({
    manifest: `${serviceDir}spin.toml`,
    env: { SPIN_VARIABLE_AUTH_SECRET: AUTH_SECRET, SPIN_VARIABLE_LOG_LEVEL: 'warn' },
    ...(options.components ? { components: options.components } : {}),
  });
  await migrateContent(app);
  return app;
}

export interface User {
  id: string;
  token: string;
  headers: Record<string, string>;
}

export function newUser(roles: ('user' | 'admin')[] = ['user']): User {
  const id = randomUUID();
  const token = signAccessToken({ sub: id, roles }, { secret: AUTH_SECRET });
  return { id, token, headers: { authorization: `Bearer ${token}` } };
}

export interface Call {
  status: number;
  body: unknown;
  headers: Headers;
  /** For a 5xx: the runtime's latest error lines, so a failing assertion says why. */
  serverErrors?: string;
}

/** One JSON call; `as` null is anonymous. */
export async function call(app: TestApp, method: string, path: string, as: User | null, body?: unknown): Promise<Call> {
  const headers: Record<string, string> = { ...(as?.headers ?? {}) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await app.fetch(`/v1/content${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  const serverErrors = response.status >= 500 ? app.logs.text('error').slice(-3000) : undefined;
  return { status: response.status, body: parsed, headers: response.headers, ...(serverErrors ? { serverErrors } : {}) };
}

/** Asserts the status and parses the body with the domain schema it must match. */
export async function expectJson<Schema extends z.ZodType>(pending: Promise<Call>, status: number, schema: Schema): Promise<z.output<Schema>> {
  const result = await pending;
  if (result.status !== status) {
    throw new Error(`expected ${status}, got ${result.status}: ${JSON.stringify(result.body)}${result.serverErrors ? `\n${result.serverErrors}` : ''}`);
  }
  const parsed = schema.safeParse(result.body);
  if (!parsed.success) throw new Error(`body does not match its schema: ${parsed.error.message}\n${JSON.stringify(result.body)}`);
  return parsed.data;
}

/** Asserts an error answer: its status, the envelope, and (when given) its code. */
export async function expectError(pending: Promise<Call>, status: number, code?: string): Promise<ErrorEnvelope['error']> {
  const { error } = await expectJson(pending, status, ErrorEnvelope);
  if (code !== undefined && error.code !== code) throw new Error(`expected error code ${code}, got ${error.code}: ${error.message}`);
  return error;
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
