import { ErrorEnvelope } from '@authorworks/domain';
import { describe, expect, it } from 'vitest';
import type { AuthRequirement, RouteInput } from '../context.ts';
import { inMemoryRouteInput } from '../in-memory-host.ts';
import { signAccessToken } from '../jwt.ts';
import { json } from '../responses.ts';
import { authenticateAs } from './authenticate.ts';
import { compose } from './pipeline.ts';

const secret = 'authenticate-test-secret-0123456789abcdef';
const userId = '4f1c2b7e-0a4e-4a51-9d1b-6f1f1e9f2a10';
const bearer = (roles: ('user' | 'admin')[]) => `Bearer ${signAccessToken({ sub: userId, roles }, { secret })}`;

async function call(auth: AuthRequirement | undefined, headers: Record<string, string> = {}) {
  const input = inMemoryRouteInput(new Request('http://x/v1/demo/me', { headers }), { variables: { auth_secret: secret, log_level: 'error' } });
  const response = await compose([authenticateAs(auth)], async (ctx: RouteInput) => json({ userId: ctx.principal?.userId ?? null }))(input);
  const body: unknown = await response.json();
  return { status: response.status, body, code: response.ok ? null : ErrorEnvelope.parse(body).error.code };
}

describe('authenticateAs', () => {
  it('required: a valid token sets the principal; none is 401 missing_token; a bad one 401 invalid_token', async () => {
    expect(await call('required', { authorization: bearer(['user']) })).toMatchObject({ status: 200, body: { userId } });
    expect(await call('required', { 'x-user-id': userId })).toMatchObject({ status: 401, code: 'missing_token' });
    expect(await call('required', { authorization: `${bearer(['user'])}x` })).toMatchObject({ status: 401, code: 'invalid_token' });
  });

  it('a role: 403 without it, through with it', async () => {
    expect(await call('admin', { authorization: bearer(['user']) })).toMatchObject({ status: 403, code: 'forbidden' });
    expect(await call('admin', { authorization: bearer(['admin']) })).toMatchObject({ status: 200, body: { userId } });
  });

  it('optional: anonymous passes with no principal, a sent token must be valid', async () => {
    expect(await call('optional')).toMatchObject({ status: 200, body: { userId: null } });
    expect(await call('optional', { authorization: 'Bearer junk' })).toMatchObject({ status: 401 });
  });

  it('no requirement: the token is not even read', async () => {
    expect(await call(undefined, { authorization: 'Bearer junk' })).toMatchObject({ status: 200, body: { userId: null } });
  });
});
