import { ErrorEnvelope } from '@authorworks/domain';
import { describe, expect, it } from 'vitest';
import type { AuthRequirement, RouteInput } from '../context.ts';
import { InMemoryRedis, inMemoryRouteInput } from '../in-memory-host.ts';
import { signAccessToken } from '../jwt.ts';
import type { RedisValue } from '../redis.ts';
import { revokeSessionTokens, revokeUserTokens } from '../revocation.ts';
import { json } from '../responses.ts';
import { authenticateAs } from './authenticate.ts';
import { compose } from './pipeline.ts';

const secret = 'authenticate-test-secret-0123456789abcdef';
const userId = '4f1c2b7e-0a4e-4a51-9d1b-6f1f1e9f2a10';
const bearer = (roles: ('user' | 'admin')[]) => `Bearer ${signAccessToken({ sub: userId, roles }, { secret })}`;

async function call(auth: AuthRequirement | undefined, headers: Record<string, string> = {}, redis = new InMemoryRedis()) {
  const input = inMemoryRouteInput(new Request('http://x/v1/demo/me', { headers }), { variables: { auth_secret: secret, log_level: 'error', redis_address: 'redis://127.0.0.1:6379' }, redis });
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

/** A Redis that is down: every command fails as Spin's host call would. */
class UnreachableRedis extends InMemoryRedis {
  override async execute(): Promise<RedisValue[]> {
    throw new Error('connection refused');
  }
}

/** A Redis whose `execute` answers leave nil replies out, as Spin's did before it kept them. */
class NilDroppingRedis extends InMemoryRedis {
  override async execute(command: string, args: readonly (string | number | Uint8Array)[]): Promise<RedisValue[]> {
    return (await super.execute(command, args)).filter((value) => value !== null);
  }
}

describe('revoked tokens', () => {
  const otherUserId = '9a0d5c1e-2b3f-4c5d-8e9f-0a1b2c3d4e5f';
  const tokenOf = (sub: string, now: number, sid?: string) =>
    `Bearer ${signAccessToken({ sub, roles: ['user'], ...(sid ? { sid } : {}) }, { secret, now })}`;

  it("a user's epoch refuses that user's tokens issued up to it, not later ones nor another user's", async () => {
    const redis = new InMemoryRedis();
    const issued = Date.now() - 5_000;
    const before = tokenOf(userId, issued);
    const other = tokenOf(otherUserId, issued);
    await revokeUserTokens(redis, userId, issued + 1);
    const after = tokenOf(userId, issued + 2);
    expect(await call('required', { authorization: before }, redis)).toMatchObject({ status: 401, code: 'token_revoked' });
    expect(await call('optional', { authorization: before }, redis)).toMatchObject({ status: 401, code: 'token_revoked' });
    expect(await call('required', { authorization: after }, redis)).toMatchObject({ status: 200, body: { userId } });
    expect(await call('required', { authorization: other }, redis)).toMatchObject({ status: 200, body: { userId: otherUserId } });
  });

  it('an earlier epoch never replaces a later one', async () => {
    const redis = new InMemoryRedis();
    const issued = Date.now() - 5_000;
    await revokeUserTokens(redis, userId, issued + 10);
    await revokeUserTokens(redis, userId, issued - 10);
    expect(await call('required', { authorization: tokenOf(userId, issued) }, redis)).toMatchObject({ status: 401, code: 'token_revoked' });
  });

  it("an ended session refuses its tokens and leaves the user's other sessions alone", async () => {
    const redis = new InMemoryRedis();
    await revokeSessionTokens(redis, 'family-a');
    expect(await call('required', { authorization: tokenOf(userId, Date.now(), 'family-a') }, redis)).toMatchObject({ status: 401, code: 'token_revoked' });
    expect(await call('required', { authorization: tokenOf(userId, Date.now(), 'family-b') }, redis)).toMatchObject({ status: 200, body: { userId } });
  });

  it('reads the epoch and the session in one MGET, and key by key from a Redis that drops nil replies', async () => {
    const redis = new InMemoryRedis();
    const issued = Date.now() - 5_000;
    await revokeSessionTokens(redis, 'family-a');
    expect(await call('required', { authorization: tokenOf(userId, issued, 'family-b') }, redis)).toMatchObject({ status: 200 });
    expect(await call('required', { authorization: tokenOf(userId, issued) }, redis)).toMatchObject({ status: 200 });
    expect(redis.commands).toEqual(['SET', 'MGET', 'GET']);
    // Older Spin releases left nils out of `execute`'s answer: ['1'] must not read as an epoch of 1.
    const dropping = new NilDroppingRedis();
    await revokeSessionTokens(dropping, 'family-a');
    expect(await call('required', { authorization: tokenOf(userId, issued, 'family-a') }, dropping)).toMatchObject({ status: 401, code: 'token_revoked' });
    await revokeUserTokens(dropping, userId, issued + 1);
    expect(await call('required', { authorization: tokenOf(userId, issued, 'family-b') }, dropping)).toMatchObject({ status: 401, code: 'token_revoked' });
    expect(await call('required', { authorization: tokenOf(userId, issued + 2, 'family-b') }, dropping)).toMatchObject({ status: 200 });
  });

  it('reads the keys later steps want in the same call, never taking one for the token\'s own', async () => {
    const issued = Date.now() - 5_000;
    const along = async (redis: InMemoryRedis, authorization: string) => {
      const input = inMemoryRouteInput(new Request('http://x/v1/demo/me', { headers: { authorization } }), {
        variables: { auth_secret: secret, log_level: 'error', redis_address: 'redis://127.0.0.1:6379' },
        redis,
      });
      input.redisReadAlong.want('wanted:set');
      input.redisReadAlong.want('wanted:absent');
      const response = await compose([authenticateAs('required')], async () => json({ reached: true }))(input);
      const text = (key: string) => {
        const value = input.redisReadAlong.valueOf(key);
        return value instanceof Uint8Array ? new TextDecoder().decode(value) : value;
      };
      return { status: response.status, set: text('wanted:set'), absent: text('wanted:absent') };
    };
    const redis = new InMemoryRedis();
    await redis.execute('SET', ['wanted:set', 'yes']);
    redis.commands.length = 0;
    // No session in the token: the value after the epoch is a wanted key's, not a session mark.
    expect(await along(redis, tokenOf(userId, issued))).toEqual({ status: 200, set: 'yes', absent: null });
    await revokeSessionTokens(redis, 'family-a');
    expect(await along(redis, tokenOf(userId, issued, 'family-a'))).toEqual({ status: 401, set: 'yes', absent: null });
    expect(await along(redis, tokenOf(userId, issued, 'family-b'))).toEqual({ status: 200, set: 'yes', absent: null });
    expect(redis.commands).toEqual(['MGET', 'SET', 'MGET', 'MGET']);
    // A Redis that drops nils: the token's keys are read one by one, the wanted ones stay unknown.
    const dropping = new NilDroppingRedis();
    await dropping.execute('SET', ['wanted:set', 'yes']);
    expect(await along(dropping, tokenOf(userId, issued))).toEqual({ status: 200, set: undefined, absent: undefined });
    await revokeUserTokens(dropping, userId, issued + 1);
    expect(await along(dropping, tokenOf(userId, issued))).toEqual({ status: 401, set: undefined, absent: undefined });
  });

  it('fails closed: 503 auth_unavailable with Retry-After when Redis cannot answer', async () => {
    const input = inMemoryRouteInput(new Request('http://x/v1/demo/me', { headers: { authorization: bearer(['user']) } }), {
      variables: { auth_secret: secret, log_level: 'error', redis_address: 'redis://127.0.0.1:6379' },
      redis: new UnreachableRedis(),
    });
    const response = await compose([authenticateAs('required')], async () => json({ reached: true }))(input);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(ErrorEnvelope.parse(await response.json()).error.code).toBe('auth_unavailable');
  });
});
