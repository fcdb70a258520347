// Input an outside attack sent that once came back as a 500: a lone surrogate and deep JSON in a
// preference, NUL characters, an admin list cursor whose number overflows int8.
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caller, expectError, promoteToAdmin, register, resetState, startUserApp } from './user-app.ts';

let app: TestApp;
let call: ReturnType<typeof caller>;

beforeAll(async () => {
  app = await startUserApp();
  call = caller(app);
  await resetState(app);
});
afterAll(() => app?.close());

const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('hostile input', () => {
  it('refuses a preference holding a lone surrogate or a NUL, naming where', async () => {
    const { tokens } = await register(call);
    const surrogate = await expectError(await call('/me/preferences/theme', { method: 'PUT', token: tokens.accessToken, rawBody: '{"value":{"name":"\\udc00"}}', headers: { 'content-type': 'application/json' } }), 400, 'validation_failed');
    expect(surrogate.details).toEqual([{ path: 'body.value.name', message: 'Must not contain an unpaired UTF-16 surrogate', code: 'unstorable_text' }]);
    const nul = await expectError(await call('/me/preferences/theme', { method: 'PUT', token: tokens.accessToken, body: { value: { ['k\u0000']: 1 } } }), 400, 'validation_failed');
    expect(nul.details[0]).toMatchObject({ code: 'unstorable_text' });
    expect((await call('/me/preferences/theme', { token: tokens.accessToken })).status).toBe(404);
  });

  it('refuses a preference nested 400 levels deep (the component trapped on it) with 400', async () => {
    const { tokens } = await register(call);
    const deep = await expectError(await call('/me/preferences/layout', { method: 'PUT', token: tokens.accessToken, rawBody: `{"value":${nested(400)}}`, headers: { 'content-type': 'application/json' } }), 400, 'validation_failed');
    expect(deep.details[0]).toMatchObject({ code: 'too_deep' });
    // A reasonable nesting is still a preference.
    expect((await call('/me/preferences/layout', { method: 'PUT', token: tokens.accessToken, rawBody: `{"value":${nested(10)}}`, headers: { 'content-type': 'application/json' } })).status).toBe(200);
  });

  it('refuses NUL in a username at registration', async () => {
    const error = await expectError(await call('/register', { body: { email: 'nul@example.com', username: 'nul\u0000user', password: 'correct horse battery', displayName: 'Nul' } }), 400, 'validation_failed');
    expect(error.details[0]).toMatchObject({ path: 'body.username', code: 'unstorable_text' });
  });

  it('answers 400 invalid_cursor to an admin list cursor whose number overflows', async () => {
    const admin = await register(call);
    const token = await promoteToAdmin(app, admin.tokens.user.id);
    for (const createdUs of ['99999999999999999999999', '-1', '1e9']) {
      await expectError(await call(`/?cursor=${cursor({ createdUs, id: admin.tokens.user.id })}`, { token }), 400, 'invalid_cursor');
    }
  });
});
