// Every route's bad inputs, table-driven: a malformed id (400), an id that does not exist (404),
// no token where one is needed (401), a forged token (401), a body that is not JSON (415/400)
// or not valid (400). Happy paths are in the resource tests.
import { randomUUID } from 'node:crypto';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, newUser, startContentApp } from './content-app.ts';

interface Route {
  method: string;
  path: (id: string) => string;
  auth: boolean;
  /** A body that is JSON but invalid for the route; absent when the route takes no body. */
  invalid?: unknown;
  /** A valid body, to reach the 404 for an unknown id. */
  valid?: unknown;
}

const routes: Route[] = [
  { method: 'GET', path: (id) => `/books/${id}`, auth: false },
  { method: 'PATCH', path: (id) => `/books/${id}`, auth: true, invalid: { title: '' }, valid: { title: 'x' } },
  { method: 'DELETE', path: (id) => `/books/${id}`, auth: true },
  { method: 'POST', path: (id) => `/books/${id}/publish`, auth: true },
  { method: 'POST', path: (id) => `/books/${id}/unpublish`, auth: true },
  { method: 'GET', path: (id) => `/books/${id}/permissions`, auth: true },
  { method: 'GET', path: (id) => `/books/${id}/stats`, auth: false },
  { method: 'POST', path: (id) => `/books/${id}/stats/recompute`, auth: true },
  { method: 'POST', path: (id) => `/books/${id}/chapters`, auth: true, invalid: { title: 5 }, valid: { title: 'x' } },
  { method: 'GET', path: (id) => `/books/${id}/chapters`, auth: false },
  { method: 'GET', path: (id) => `/chapters/${id}`, auth: false },
  { method: 'PATCH', path: (id) => `/chapters/${id}`, auth: true, invalid: { summary: 3 }, valid: { summary: 'x' } },
  { method: 'DELETE', path: (id) => `/chapters/${id}`, auth: true },
  { method: 'PUT', path: (id) => `/chapters/${id}/position`, auth: true, invalid: { position: 1.5 }, valid: { position: 1 } },
  { method: 'GET', path: (id) => `/chapters/${id}/content`, auth: false },
  { method: 'PUT', path: (id) => `/chapters/${id}/content`, auth: true, invalid: { baseVersion: '0', content: 'x' }, valid: { baseVersion: 0, content: 'x' } },
  { method: 'GET', path: (id) => `/chapters/${id}/versions`, auth: false },
  { method: 'GET', path: (id) => `/chapters/${id}/versions/1`, auth: false },
  { method: 'POST', path: (id) => `/chapters/${id}/scenes`, auth: true, invalid: { title: 'x', location: 7 }, valid: { title: 'x' } },
  { method: 'GET', path: (id) => `/chapters/${id}/scenes`, auth: false },
  { method: 'GET', path: (id) => `/scenes/${id}`, auth: false },
  { method: 'PATCH', path: (id) => `/scenes/${id}`, auth: true, invalid: { povCharacterId: 'someone' }, valid: { title: 'x' } },
  { method: 'DELETE', path: (id) => `/scenes/${id}`, auth: true },
  { method: 'PUT', path: (id) => `/scenes/${id}/position`, auth: true, invalid: {}, valid: { position: 2 } },
  { method: 'POST', path: (id) => `/books/${id}/characters`, auth: true, invalid: { name: 'x', traits: 'brave' }, valid: { name: 'x' } },
  { method: 'GET', path: (id) => `/books/${id}/characters`, auth: false },
  { method: 'GET', path: (id) => `/characters/${id}`, auth: false },
  { method: 'PATCH', path: (id) => `/characters/${id}`, auth: true, invalid: { relationships: [{ characterId: 'x', kind: 'y' }] }, valid: { name: 'x' } },
  { method: 'DELETE', path: (id) => `/characters/${id}`, auth: true },
  { method: 'GET', path: (id) => `/books/${id}/collaborators`, auth: true },
  { method: 'POST', path: (id) => `/books/${id}/collaborators`, auth: true, invalid: { userId: randomUUID(), role: 'author' }, valid: { userId: randomUUID() } },
  { method: 'DELETE', path: (id) => `/books/${id}/collaborators/${randomUUID()}`, auth: true },
  { method: 'GET', path: (id) => `/collections/${id}`, auth: false },
  { method: 'PATCH', path: (id) => `/collections/${id}`, auth: true, invalid: { visibility: 'secret' }, valid: { name: 'x' } },
  { method: 'DELETE', path: (id) => `/collections/${id}`, auth: true },
  { method: 'POST', path: (id) => `/invites/${id}/accept`, auth: true },
  { method: 'POST', path: (id) => `/invites/${id}/decline`, auth: true },
];

let app: TestApp;
const user = newUser();
beforeAll(async () => {
  app = await startContentApp({ components: ['content-api'] });
});
afterAll(async () => {
  await app?.close();
});

describe.each(routes.map((route) => [`${route.method} ${route.path(':id')}`, route] as const))('%s', (_name, route) => {
  it('answers 400 for a malformed id and 404 for an unknown one', async () => {
    const bad = await expectError(call(app, route.method, route.path('12345'), user, route.valid), 400, 'validation_failed');
    expect(bad.details[0]?.path).toMatch(/^params\./);
    await expectError(call(app, route.method, route.path(randomUUID()), user, route.valid), 404, 'not_found');
  });

  it(route.auth ? 'needs a valid token (401)' : 'refuses a forged token (401)', async () => {
    const id = randomUUID();
    if (route.auth) await expectError(call(app, route.method, route.path(id), null, route.valid), 401);
    const forged = { ...user, headers: { authorization: `Bearer ${user.token.slice(0, -4)}AAAA` } };
    await expectError(call(app, route.method, route.path(id), forged, route.valid), 401, 'invalid_token');
  });

  if (route.invalid !== undefined) {
    it('refuses a body that is not JSON or not valid', async () => {
      const path = `/v1/content${route.path(randomUUID())}`;
      const notJson = await app.fetch(path, { method: route.method, headers: { ...user.headers, 'content-type': 'text/plain' }, body: 'hello' });
      expect(notJson.status).toBe(415);
      await expectError(call(app, route.method, route.path(randomUUID()), user, '{"oops"'), 400, 'malformed_json');
      const invalid = await expectError(call(app, route.method, route.path(randomUUID()), user, route.invalid), 400, 'validation_failed');
      expect(invalid.details.every((d) => d.path.startsWith('body'))).toBe(true);
    });
  }
});

describe('service routes', () => {
  it('answers health, readiness, unknown routes and wrong methods in the envelope', async () => {
    expect((await call(app, 'GET', '/health', null)).body).toEqual({ status: 'ok', service: 'content', version: '0.1.0' });
    const ready = await call(app, 'GET', '/ready', null);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', checks: { database: { ok: true }, redis: { ok: true } } });
    await expectError(call(app, 'GET', '/nowhere', user), 404, 'not_found');
    await expectError(call(app, 'PUT', '/books', user, {}), 405);
    await expectError(call(app, 'GET', '/catalog?contentType=poem', null), 400, 'validation_failed');
    await expectError(call(app, 'GET', '/catalog?q=', null), 400, 'validation_failed');
    await expectError(call(app, 'GET', '/books?scope=everyone', user), 400, 'validation_failed');
    await expectError(call(app, 'GET', `/books/${randomUUID()}/permissions?userId=nope`, user), 400, 'validation_failed');
    await expectError(call(app, 'POST', '/admin/reconcile?limit=5000', newUser(['admin'])), 400, 'validation_failed');
    await expectError(call(app, 'POST', '/admin/reconcile', null), 401);
  });

  it('answers HEAD on every GET route as the GET would, without a body', async () => {
    const paths = ['/health', ...routes.filter((route) => route.method === 'GET').map((route) => route.path(randomUUID()))];
    for (const path of paths) {
      const head = await app.fetch(`/v1/content${path}`, { method: 'HEAD', headers: user.headers });
      const get = await app.fetch(`/v1/content${path}`, { headers: user.headers });
      expect([path, head.status]).toEqual([path, get.status]);
      expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
      expect(await head.text()).toBe('');
      await get.text();
    }
  });
});
