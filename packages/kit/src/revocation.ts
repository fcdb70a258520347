import { HttpError, unauthorized } from './errors.ts';
import { utf8 } from './encoding.ts';
import { ACCESS_TOKEN_TTL_SECONDS, CLOCK_SKEW_SECONDS, type AccessTokenClaims } from './jwt.ts';
import type { Logger } from './logging.ts';
import { redisNumber, redisText, type RedisClient } from './redis.ts';
import type { RedisReadAlong } from './redis-read-along.ts';

/**
 * Access-token revocation, shared by every service through Redis.
 *
 * - A user's **epoch** (`auth:revoked-before:<userId>`, milliseconds): every access token of that
 *   user issued at or before it is refused. The user service sets it on logout-everywhere,
 *   password change, suspension and deletion.
 * - An ended **session** (`auth:session-ended:<sid>`): tokens carrying that refresh-token family
 *   as `sid` are refused (logout of one device, a reused refresh token).
 *
 * Both keys expire once no token they could refuse is still accepted anywhere (a token lives
 * ACCESS_TOKEN_TTL_SECONDS and verifiers allow CLOCK_SKEW_SECONDS on either side).
 *
 * There is no cache across requests: Spin runs every request in a fresh instance, so the check is
 * one or two Redis GETs per authenticated request and a revocation holds from the next request on.
 * When Redis cannot answer, the check fails closed (503): a revoked token is never let through
 * because the record of its revocation is out of reach.
 */
export const REVOCATION_TTL_SECONDS = ACCESS_TOKEN_TTL_SECONDS + 2 * CLOCK_SKEW_SECONDS;

export const userEpochKey = (userId: string) => `auth:revoked-before:${userId}`;
export const endedSessionKey = (sessionId: string) => `auth:session-ended:${sessionId}`;

/** Refuses every access token of `userId` issued up to `nowMs` (a later epoch never moves back). */
export async function revokeUserTokens(redis: RedisClient, userId: string, nowMs: number): Promise<void> {
  const key = userEpochKey(userId);
  const current = redisNumber((await redis.execute('GET', [key]))[0]);
  const epoch = Math.max(Math.floor(nowMs), current ?? 0);
  await redis.execute('SET', [key, utf8(String(epoch)), 'EX', REVOCATION_TTL_SECONDS]);
}

/** Refuses every access token of the session (refresh-token family) `sessionId`. */
export async function revokeSessionTokens(redis: RedisClient, sessionId: string): Promise<void> {
  await redis.execute('SET', [endedSessionKey(sessionId), utf8('1'), 'EX', REVOCATION_TTL_SECONDS]);
}

/** When the token was issued, in milliseconds: `iat_ms` when it agrees with `iat`, else the start of `iat`'s second. */
export function issuedAtMs(claims: AccessTokenClaims): number {
  const precise = claims.iat_ms;
  return precise !== undefined && Math.floor(precise / 1000) === claims.iat ? precise : claims.iat * 1000;
}

export const tokenRevoked = () => unauthorized('token_revoked', 'This access token was revoked; sign in again');

/**
 * Whether the user's epoch or the token's session refuses it: one Redis call, an `MGET` of both
 * keys when the token names a session, and of the keys other steps want read along (`along`). A
 * Spin whose `execute` drops nil replies (older releases did) answers an MGET with fewer values
 * than keys; then each of the token's keys is read on its own, so a missing epoch can never be
 * mistaken for the session's mark, and the keys read along stay unknown (their steps ask Redis).
 */
async function isRevoked(client: RedisClient, claims: AccessTokenClaims, along?: RedisReadAlong): Promise<boolean> {
  const own = [userEpochKey(claims.sub), ...(claims.sid === undefined ? [] : [endedSessionKey(claims.sid)])];
  const extra = along?.wanted ?? [];
  const keys = [...own, ...extra];
  let values = await client.execute(keys.length === 1 ? 'GET' : 'MGET', keys);
  if (values.length === keys.length) extra.forEach((key, index) => along!.found(key, values[own.length + index] ?? null));
  else values = await Promise.all(own.map(async (key) => (await client.execute('GET', [key]))[0] ?? null));
  const epochValue = values[0];
  // Only the token's own keys: with no session, the next value is a key read along.
  const sessionValue = claims.sid === undefined ? null : values[1];
  const epoch = redisNumber(epochValue);
  if (epoch !== null && issuedAtMs(claims) <= epoch) return true;
  return redisText(sessionValue) !== null;
}

/**
 * Throws 401 `token_revoked` when the token's user epoch or session says so, 503
 * `auth_unavailable` when Redis cannot tell (fail closed; the cause is logged, never the token).
 * The keys `along` wants are read in the same call (redis-read-along.ts).
 */
export async function assertNotRevoked(redis: () => RedisClient, claims: AccessTokenClaims, log: Logger, along?: RedisReadAlong): Promise<void> {
  const client = redis(); // a missing redis_address is a ConfigError (500 misconfigured), not an outage
  let revoked: boolean;
  try {
    revoked = await isRevoked(client, claims, along);
  } catch (error) {
    log.error('token revocation check failed; refusing the request', { userId: claims.sub, error: error instanceof Error ? error.message : String(error) });
    throw new HttpError(503, 'auth_unavailable', 'Sign-in cannot be checked right now; try again shortly', {
      headers: { 'retry-after': '5' },
    });
  }
  if (revoked) throw tokenRevoked();
}
