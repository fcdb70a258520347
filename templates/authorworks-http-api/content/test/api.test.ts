{%- assign n = resource | size | minus: 1 -%}
{%- assign singular = resource | slice: 0, n -%}
{%- assign singular = resource-singular | default: singular -%}
{%- assign prefix = http-prefix | default: project-name | kebab_case -%}
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ErrorEnvelope } from '@authorworks/domain';
import { loadMigrations, runMigrations } from '@authorworks/kit/migrations';
import { signAccessToken } from '@authorworks/kit';
import { startApp, type TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const AUTH_SECRET = 'test-only-auth-secret-of-at-least-32-characters';
const DB =
  process.env.SPIN_VARIABLE_{{project-name | snake_case | upcase}}_DB_CONNECTION ?? 'postgres://postgres@127.0.0.1:5432/authorworks_{{project-name | snake_case}}';
const BASE = '/v1/{{prefix}}';
const migrationsDir = new URL('../migrations/', import.meta.url);

let app: TestApp;

beforeAll(async () => {
  app = await startApp({ manifest: fileURLToPath(new URL('../spin.toml', import.meta.url)), env: { SPIN_VARIABLE_AUTH_SECRET: AUTH_SECRET } });
  const files = readdirSync(migrationsDir).map((fileName) => ({ fileName, sql: readFileSync(new URL(fileName, migrationsDir), 'utf8') }));
  const db = await app.sql(DB);
  try {
    await runMigrations(db, loadMigrations(files));
  } finally {
    await db.close();
  }
});
afterAll(() => app?.close());
beforeEach(() => app.reset());

const tokenFor = (userId: string) => signAccessToken({ sub: userId, roles: ['user'] }, { secret: AUTH_SECRET });

function call(path: string, init: { method?: string; user?: string; body?: unknown; rawBody?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (init.user) headers.authorization = `Bearer ${tokenFor(init.user)}`;
  if (init.body !== undefined || init.rawBody !== undefined) headers['content-type'] = 'application/json';
  return app.fetch(`${BASE}${path}`, {
    method: init.method ?? 'GET',
    headers,
    ...(init.rawBody !== undefined ? { body: init.rawBody } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

describe('{{project-name | kebab_case}}-api', () => {
  it('answers its health check', async () => {
    const response = await call('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', service: '{{project-name | kebab_case}}', version: '0.1.0' });
  });

  it('creates a {{ singular }} and reads it back', async () => {
    const create = await call('/{{resource}}', { method: 'POST', user: 'alice', body: { title: 'First', body: 'Hello' } });
    expect(create.status).toBe(201);
    const item = (await create.json()) as { id: string; ownerId: string; title: string; body: string; createdAt: string };
    expect(item).toMatchObject({ ownerId: 'alice', title: 'First', body: 'Hello' });
    expect(create.headers.get('location')).toBe(`${BASE}/{{resource}}/${item.id}`);

    const read = await call(`/{{resource}}/${item.id}`, { user: 'alice' });
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(item);

    // Its event was recorded with it and published once the handler returned.
    const db = await app.sql(DB);
    try {
      const { rows } = await db.query('SELECT type, subject, published_at IS NOT NULL AS published FROM outbox');
      expect(rows).toEqual([{ type: '{{ singular | snake_case }}.created', subject: item.id, published: true }]);
    } finally {
      await db.close();
    }
  });

  it('lists the caller’s {{resource}} newest first, a page at a time', async () => {
    for (const title of ['one', 'two', 'three']) {
      expect((await call('/{{resource}}', { method: 'POST', user: 'alice', body: { title } })).status).toBe(201);
    }
    await call('/{{resource}}', { method: 'POST', user: 'bob', body: { title: 'not yours' } });
    const first = (await (await call('/{{resource}}?limit=2', { user: 'alice' })).json()) as { items: { title: string }[]; nextCursor: string | null };
    expect(first.items.map((i) => i.title)).toEqual(['three', 'two']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = (await (await call(`/{{resource}}?limit=2&cursor=${first.nextCursor}`, { user: 'alice' })).json()) as typeof first;
    expect(second).toEqual({ items: [expect.objectContaining({ title: 'one' })], nextCursor: null });
  });

  it('keeps one user’s {{resource}} from another (404, not 403)', async () => {
    const item = (await (await call('/{{resource}}', { method: 'POST', user: 'alice', body: { title: 'private' } })).json()) as { id: string };
    const response = await call(`/{{resource}}/${item.id}`, { user: 'bob' });
    expect(response.status).toBe(404);
    expect(ErrorEnvelope.parse(await response.json()).error.code).toBe('not_found');
  });

  it('answers bad input with 4xx in the error envelope', async () => {
    const empty = await call('/{{resource}}', { method: 'POST', user: 'alice', body: { title: '' } });
    expect(empty.status).toBe(400);
    expect(ErrorEnvelope.parse(await empty.json()).error.details).toContainEqual(expect.objectContaining({ path: 'body.title' }));

    expect((await call('/{{resource}}', { method: 'POST', user: 'alice', rawBody: '{"title":' })).status).toBe(400);
    expect((await call('/{{resource}}/not-a-uuid', { user: 'alice' })).status).toBe(400);
    expect((await call('/{{resource}}?cursor=bogus', { user: 'alice' })).status).toBe(400);
    expect((await call('/{{resource}}', { method: 'POST', body: { title: 'x' } })).status).toBe(401);
  });
});
