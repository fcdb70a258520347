{%- assign n = resource | size | minus: 1 -%}
{%- assign singular = resource | slice: 0, n -%}
{%- assign singular = resource-singular | default: singular -%}
{%- assign S = singular | pascal_case -%}
{%- assign prefix = http-prefix | default: project-name | kebab_case -%}
import { fileURLToPath } from 'node:url';
import { Page } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { expectError, expectJson, serviceCaller, signIn, startService } from '@authorworks/spin-local/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { {{S}} } from '../src/{{resource}}.ts';

const AUTH_SECRET = 'test-only-auth-secret-of-at-least-32-characters';
const DB =
  process.env.SPIN_VARIABLE_{{project-name | snake_case | upcase}}_DB_CONNECTION ?? 'postgres://postgres@127.0.0.1:5432/authorworks_{{project-name | snake_case}}';
const BASE = '/v1/{{prefix}}';

let app: TestApp;
let call: ReturnType<typeof serviceCaller>;
const alice = signIn(AUTH_SECRET, ['user']);
const bob = signIn(AUTH_SECRET, ['user']);

beforeAll(async () => {
  app = await startService({ manifest: fileURLToPath(new URL('../spin.toml', import.meta.url)), authSecret: AUTH_SECRET });
  call = serviceCaller(app, BASE);
});
afterAll(() => app?.close());
beforeEach(() => app.reset());

describe('{{project-name | kebab_case}}-api', () => {
  it('answers its health check', async () => {
    const health = await call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', service: '{{project-name | kebab_case}}', version: '0.1.0' });
  });

  it('creates a {{ singular }} and reads it back', async () => {
    const create = await call('POST', '/{{resource}}', { as: alice, body: { title: 'First', body: 'Hello' } });
    const item = await expectJson(create, 201, {{S}});
    expect(item).toMatchObject({ ownerId: alice.id, title: 'First', body: 'Hello' });
    expect(create.headers.get('location')).toBe(`${BASE}/{{resource}}/${item.id}`);

    expect(await expectJson(call('GET', `/{{resource}}/${item.id}`, { as: alice }), 200, {{S}})).toEqual(item);

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
    for (const title of ['one', 'two', 'three']) await expectJson(call('POST', '/{{resource}}', { as: alice, body: { title } }), 201, {{S}});
    await expectJson(call('POST', '/{{resource}}', { as: bob, body: { title: 'not yours' } }), 201, {{S}});
    const first = await expectJson(call('GET', '/{{resource}}?limit=2', { as: alice }), 200, Page({{S}}));
    expect(first.items.map((i) => i.title)).toEqual(['three', 'two']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await expectJson(call('GET', `/{{resource}}?limit=2&cursor=${first.nextCursor}`, { as: alice }), 200, Page({{S}}));
    expect(second).toEqual({ items: [expect.objectContaining({ title: 'one' })], nextCursor: null });
  });

  it('keeps one user’s {{resource}} from another (404, not 403)', async () => {
    const item = await expectJson(call('POST', '/{{resource}}', { as: alice, body: { title: 'private' } }), 201, {{S}});
    await expectError(call('GET', `/{{resource}}/${item.id}`, { as: bob }), 404, 'not_found');
  });

  it('answers bad input with 4xx in the error envelope', async () => {
    const empty = await expectError(call('POST', '/{{resource}}', { as: alice, body: { title: '' } }), 400, 'validation_failed');
    expect(empty.details).toContainEqual(expect.objectContaining({ path: 'body.title' }));
    await expectError(call('POST', '/{{resource}}', { as: alice, rawBody: '{"title":' }), 400, 'malformed_json');
    await expectError(call('GET', '/{{resource}}/not-a-uuid', { as: alice }), 400, 'validation_failed');
    await expectError(call('GET', '/{{resource}}?cursor=bogus', { as: alice }), 400, 'invalid_cursor');
    await expectError(call('POST', '/{{resource}}', { body: { title: 'x' } }), 401, 'missing_token');
  });
});
