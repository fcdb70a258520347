import { LoginRequest, LogoutRequest, RefreshRequest, TokenResponse, type Role } from '@authorworks/domain';
import {
  ACCESS_TOKEN_TTL_SECONDS,
  DECOY_PASSWORD_HASH,
  HttpError,
  defineRoute,
  hashPassword,
  json,
  needsRehash,
  noContent,
  queryOne,
  randomToken,
  randomUuid,
  revokeSessionTokens,
  revokeUserTokens,
  sha256Hex,
  signAccessToken,
  transaction,
  unauthorized,
  verifyPassword,
  type RequestContext,
  type SqlClient,
} from '@authorworks/kit';
import { z } from 'zod';
import { REFRESH_TOKEN_TTL_DAYS, loginThrottleRules } from './settings.ts';
import { USER_COLUMNS, UserRow, findUserById, findUserByLogin, toUser } from './users-table.ts';

/**
 * Issues an access token and a refresh token for `user`. `familyId` continues a device's family
 * on refresh; a new login starts a new one.
 */
export async function issueTokens(context: RequestContext, db: SqlClient, user: UserRow, familyId: string = randomUuid()): Promise<TokenResponse> {
  const refreshToken = randomToken(32);
  await db.query(
    `INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
     VALUES ($1::text::uuid, $2::text::uuid, $3::text, now() + make_interval(days => $4::int8::int4))`,
    [user.id, familyId, sha256Hex(refreshToken), REFRESH_TOKEN_TTL_DAYS],
  );
  // `sid` lets logging this device out revoke its access tokens too (kit revocation.ts).
  const accessToken = signAccessToken({ sub: user.id, roles: user.roles as Role[], sid: familyId }, { secret: context.config.authSecret, now: context.now() });
  return { accessToken, refreshToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS, user: toUser(user) };
}

/** Ends every session of a user (password change, suspension). */
export async function revokeAllSessions(db: SqlClient, userId: string): Promise<void> {
  await db.query('UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1::text::uuid AND revoked_at IS NULL', [userId]);
}

/**
 * Ends every session of a user and refuses, in every service, each access token issued so far
 * (logout everywhere, password change, suspension, deletion). `change` runs in a transaction that
 * ends with the revocation, so when Redis cannot record it nothing is changed (the request fails);
 * the revocation is recorded again after the commit, for a token a racing refresh signed before it.
 */
export async function withTokensRevoked<T>(context: RequestContext, userId: string, change: (tx: SqlClient) => Promise<T>): Promise<T> {
  const result = await transaction(context.db(), async (tx) => {
    const value = await change(tx);
    await revokeAllSessions(tx, userId);
    await revokeUserTokens(context.redis(), userId, context.now());
    return value;
  });
  await revokeUserTokens(context.redis(), userId, context.now());
  return result;
}

const invalidCredentials = () => new HttpError(401, 'invalid_credentials', 'The email, username or password is wrong');
export const accountSuspended = () => new HttpError(403, 'account_suspended', 'This account is suspended');

/**
 * `POST /login`. Failed attempts are counted per account and per client address (the route's
 * throttle rules, settings.ts); past either limit the answer is 429 with Retry-After before any
 * password work. A successful login clears the account's counter.
 */
export const login = defineRoute({ body: LoginRequest, throttle: loginThrottleRules, responses: { 200: TokenResponse }, errors: { 401: '`invalid_credentials`: the email, username or password is wrong (or the account is suspended)' } }, async (context) => {
  const { body } = context;
  const marks: Record<string, number> = {};
  let last = Date.now();
  const mark = (name: string) => {
    const now = Date.now();
    marks[name] = now - last;
    last = now;
  };
  const db = context.db();
  const user = await findUserByLogin(db, body);
  mark('lookupMs');
  // An unknown account still costs one hash, so timing does not reveal which accounts exist.
  const matches = verifyPassword(body.password, user?.password_hash ?? DECOY_PASSWORD_HASH) && user !== null && user.password_hash !== null;
  mark('hashMs');
  // A suspended account gets the answer of a wrong password, so it cannot confirm a guessed one.
  if (!matches || !user || user.status !== 'active') throw invalidCredentials();

  const tokens = await transaction(db, async (tx) => {
    const rehash = needsRehash(user.password_hash!) ? hashPassword(body.password) : null;
    // Still active, still the password just checked: a suspension, deletion or password change
    // that committed meanwhile (and revoked every token) is not undone by this login.
    const updated = await queryOne(
      tx,
      UserRow,
      `UPDATE users SET last_login_at = now(), password_hash = COALESCE($2::text, password_hash)
       WHERE id = $1::text::uuid AND status = 'active' AND password_hash = $3::text RETURNING ${USER_COLUMNS}`,
      [user.id, rehash, user.password_hash],
    );
    return updated ? issueTokens(context, tx, updated) : null;
  });
  if (!tokens) throw invalidCredentials();
  mark('sessionMs');
  context.log.info('logged in', { userId: user.id, ...marks });
  return json(tokens);
});

const RefreshTokenRow = z.object({
  id: z.string(),
  user_id: z.string(),
  family_id: z.string(),
  used: z.boolean(),
  revoked: z.boolean(),
  expired: z.boolean(),
});

const invalidRefreshToken = () => unauthorized('invalid_refresh_token', 'The refresh token is not valid; log in again');

/**
 * `POST /refresh`: trades a refresh token for a new pair. A token that was already used means it
 * leaked (or the client raced itself): the whole family is revoked and the caller must log in.
 */
export const refresh = defineRoute({
  body: RefreshRequest,
  responses: { 200: TokenResponse },
  errors: { 401: '`invalid_refresh_token`; `refresh_token_reused`: used twice, so every session of the device ended', 403: '`account_suspended`: this account is suspended' },
}, async (context) => {
  const db = context.db();
  const outcome = await transaction(db, async (tx) => {
    const token = await queryOne(
      tx,
      RefreshTokenRow,
      `SELECT id::text AS id, user_id::text AS user_id, family_id::text AS family_id,
              used_at IS NOT NULL AS used, revoked_at IS NOT NULL AS revoked, expires_at <= now() AS expired
       FROM refresh_tokens WHERE token_hash = $1::text FOR UPDATE`,
      [sha256Hex(context.body.refreshToken)],
    );
    if (!token) return { kind: 'invalid' as const };
    if (token.used || token.revoked) {
      const wasActiveFamily = token.used && !token.revoked;
      await tx.query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1::text::uuid AND revoked_at IS NULL', [token.family_id]);
      return { kind: wasActiveFamily ? ('reused' as const) : ('invalid' as const), userId: token.user_id, familyId: token.family_id };
    }
    if (token.expired) return { kind: 'invalid' as const };
    const user = await findUserById(tx, token.user_id);
    if (!user) return { kind: 'invalid' as const };
    if (user.status !== 'active') return { kind: 'suspended' as const };
    await tx.query('UPDATE refresh_tokens SET used_at = now() WHERE id = $1::text::uuid', [token.id]);
    return { kind: 'issued' as const, tokens: await issueTokens(context, tx, user, token.family_id) };
  });
  switch (outcome.kind) {
    case 'issued':
      return json(outcome.tokens);
    case 'reused':
      await revokeSessionTokens(context.redis(), outcome.familyId);
      context.log.warn('refresh token reused; family revoked', { userId: outcome.userId });
      throw unauthorized('refresh_token_reused', 'This refresh token was already used; every session of this device was ended for safety');
    case 'suspended':
      throw accountSuspended();
    case 'invalid':
      throw invalidRefreshToken();
  }
});

const FamilyRow = z.object({ family_id: z.string() });

/**
 * `POST /logout`: ends the device's session (the token's family) and its access tokens in every
 * service. Unknown tokens are fine: 204 either way.
 */
export const logout = defineRoute({ body: LogoutRequest, responses: { 204: null } }, async (context) => {
  const session = await queryOne(
    context.db(),
    FamilyRow,
    'SELECT family_id::text AS family_id FROM refresh_tokens WHERE token_hash = $1::text',
    [sha256Hex(context.body.refreshToken)],
  );
  if (session) {
    await revokeSessionTokens(context.redis(), session.family_id);
    await context.db().query('UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1::text::uuid AND revoked_at IS NULL', [session.family_id]);
  }
  return noContent();
});

/** `POST /logout-all` (signed in): ends every session of the caller and refuses every access token issued so far. */
export const logoutEverywhere = defineRoute({ auth: 'required', responses: { 204: null } }, async (context) => {
  await withTokensRevoked(context, context.principal.userId, async () => undefined);
  context.log.info('logged out everywhere', { userId: context.principal.userId });
  return noContent();
});
