import { TokenResponse, VerifiedCaller } from '@authorworks/domain';
import {
  ConfigError,
  HttpError,
  defineRoute,
  json,
  queryOne,
  transaction,
  verifyCaller,
  type RequestContext,
} from '@authorworks/kit';
import { z } from 'zod';
import { accountSuspended, issueTokens } from './sessions.ts';
import { fromTrustedProxy } from './settings.ts';
import { USER_COLUMNS, UserRow, recordUserCreated, recordUserUpdated } from './users-table.ts';

/**
 * `GET /auth/verify` for Traefik's forwardAuth: 200 with X-User-Id and X-User-Roles for a valid,
 * unrevoked bearer token, 401 otherwise (503 when revocation cannot be checked). CORS preflights (X-Forwarded-Method: OPTIONS) carry no token by
 * design and pass without identity; the service behind still checks its own tokens.
 */
export const verify = defineRoute({ responses: { 200: VerifiedCaller }, errors: { 401: 'No valid bearer token: `missing_token`, `invalid_token`, `token_expired`, `token_revoked`' } }, async (context) => {
  if (context.request.headers.get('x-forwarded-method')?.toUpperCase() === 'OPTIONS') return new Response(null, { status: 200 });
  const principal = await verifyCaller(context);
  return json(
    { userId: principal.userId, roles: principal.roles },
    { headers: { 'x-user-id': principal.userId, 'x-user-roles': principal.roles.join(',') } },
  );
});

const RemoteIdentity = z.object({
  username: z.string().trim().min(1).max(200),
  email: z.email().max(254).transform((email) => email.toLowerCase()),
  groups: z.array(z.string()),
});

function autheliaEnabled(context: RequestContext): boolean {
  if (!context.config.flag('authelia_integration')) return false;
  if (context.config.optional('proxy_secret', '').length < 16) {
    throw new ConfigError('proxy_secret', 'must be set (16+ characters) when authelia_integration is "true"');
  }
  return true;
}

/** A username of ours for an Authelia name: lower-cased, other characters replaced, 3–32 long. */
function localUsername(remote: string): string {
  const cleaned = remote.toLowerCase().replace(/[^a-z0-9_.-]/g, '_').replace(/^[.-]+|[.-]+$/g, '');
  return (cleaned.length >= 3 ? cleaned : `${cleaned}___`.slice(0, 3)).slice(0, 32);
}

/**
 * `POST /auth/authelia`: in Authelia mode, Traefik has authenticated the caller with Authelia and
 * set Remote-User/-Email/-Groups. They are believed only together with the proxy secret header;
 * the account is found by its Authelia name (or linked by email) or created, its admin role synced
 * with the admin group, and a normal token pair issued.
 */
export const autheliaSession = defineRoute(
  {
    responses: { 200: TokenResponse, 201: TokenResponse },
    errors: {
      401: '`untrusted_proxy`: not from the gateway; `missing_identity`: the gateway passed no complete identity',
      403: '`account_suspended`: this account is suspended',
      404: 'Authelia integration is not enabled',
    },
  }, async (context) => {
  if (!autheliaEnabled(context)) throw new HttpError(404, 'not_found', 'Authelia integration is not enabled');
  if (!fromTrustedProxy(context)) {
    context.log.warn('Remote-* headers ignored: request did not come through the trusted proxy');
    throw new HttpError(401, 'untrusted_proxy', 'Sign in through the AuthorWorks gateway');
  }
  const headers = context.request.headers;
  const identity = RemoteIdentity.safeParse({
    username: headers.get('remote-user') ?? '',
    email: headers.get('remote-email') ?? '',
    groups: (headers.get('remote-groups') ?? '').split(',').map((group) => group.trim()).filter(Boolean),
  });
  if (!identity.success) throw new HttpError(401, 'missing_identity', 'The gateway did not pass a complete identity');
  const { username, email, groups } = identity.data;
  const adminGroup = context.config.optional('authelia_admin_group', 'admins');
  const roles = groups.includes(adminGroup) ? ['user', 'admin'] : ['user'];
  const displayName = headers.get('remote-name')?.trim().slice(0, 100) || username;

  const db = context.db();
  const result = await transaction(db, async (tx) => {
    const linked = await queryOne(
      tx,
      UserRow,
      `UPDATE users SET authelia_username = $1::text, email = $2::text,
              roles = ARRAY(SELECT json_array_elements_text($3::text::json)), last_login_at = now(), updated_at = now()
       WHERE authelia_username = $1::text OR (authelia_username IS NULL AND email = $2::text)
       RETURNING ${USER_COLUMNS}`,
      [username, email, JSON.stringify(roles)],
    );
    if (linked) {
      await recordUserUpdated(context, tx, linked, ['lastLoginAt', 'roles']);
      return { user: linked, created: false };
    }
    const base = localUsername(username);
    const suffix = Math.floor(Math.random() * 1e6).toString().padStart(6, '0');
    const created = await queryOne(
      tx,
      UserRow,
      `INSERT INTO users (email, username, display_name, authelia_username, roles, last_login_at)
       VALUES ($1::text,
               CASE WHEN EXISTS (SELECT 1 FROM users WHERE username = $2::text) THEN left($2::text, 25) || '_' || $5::text ELSE $2::text END,
               $3::text, $4::text, ARRAY(SELECT json_array_elements_text($6::text::json)), now())
       RETURNING ${USER_COLUMNS}`,
      [email, base, displayName, username, suffix, JSON.stringify(roles)],
    );
    await recordUserCreated(context, tx, created!);
    return { user: created!, created: true };
  });
  if (result.user.status !== 'active') throw accountSuspended();
  const tokens = await issueTokens(context, db, result.user);
  return json(tokens, { status: result.created ? 201 : 200 });
});
