import { PublicProfile, RegisterRequest, TokenResponse, UpdateMeRequest, User, UserParams, type ErrorDetail } from '@authorworks/domain';
import {
  HttpError,
  conflict,
  created,
  defineRoute,
  hashPassword,
  json,
  noContent,
  notFound,
  queryOne,
  transaction,
  verifyPassword,
  type SqlClient,
  type SqlParam,
} from '@authorworks/kit';
import { accountSuspended, issueTokens, withTokensRevoked } from './sessions.ts';
import {
  USER_COLUMNS,
  UserRow,
  findUserById,
  recordUserCreated,
  recordUserDeleted,
  recordUserUpdated,
  requireUser,
  takenFields,
  toPublicProfile,
  toUser,
} from './users-table.ts';

function duplicateError(fields: ('email' | 'username')[]): HttpError {
  const details: ErrorDetail[] = fields.map((field) => ({ path: `body.${field}`, message: `This ${field} is already registered`, code: 'taken' }));
  const code = fields.length === 1 ? `${fields[0]}_taken` : 'email_and_username_taken';
  return conflict(code, `An account with this ${fields.join(' and ')} already exists`, details);
}

/** `POST /register`: creates the account and signs it in (201 with tokens). */
export const register = defineRoute({ body: RegisterRequest, maxBodyBytes: 4096, responses: { 201: TokenResponse }, errors: { 409: '`email_taken`, `username_taken` or `email_and_username_taken` (each field in `details`)' } }, async (context) => {
  const { body } = context;
  const db = context.db();
  // Checked before hashing so a duplicate costs no hash; the insert below still settles races.
  const taken = await takenFields(db, body, null);
  if (taken.length > 0) throw duplicateError(taken);

  const started = Date.now();
  const passwordHash = hashPassword(body.password);
  context.log.info('password hashed', { hashMs: Date.now() - started });

  const tokens = await transaction(db, async (tx) => {
    const user = await queryOne(
      tx,
      UserRow,
      `INSERT INTO users (email, username, display_name, password_hash)
       VALUES ($1::text, $2::text, $3::text, $4::text)
       ON CONFLICT DO NOTHING
       RETURNING ${USER_COLUMNS}`,
      [body.email, body.username, body.displayName, passwordHash],
    );
    if (!user) return null;
    await tx.query('UPDATE users SET last_login_at = now() WHERE id = $1::text::uuid', [user.id]);
    await recordUserCreated(context, tx, user);
    return { user, response: await issueTokens(context, tx, user) };
  });
  if (!tokens) throw duplicateError(await takenFields(db, body, null).then((fields) => (fields.length > 0 ? fields : ['email'])));

  context.log.info('registered', { userId: tokens.user.id });
  return created(tokens.response, `/v1/users/${tokens.user.id}`);
});

/** `GET /me`: the caller's own account. */
export const getMe = defineRoute({ auth: 'required', responses: { 200: User }, errors: { 404: 'This account no longer exists' } }, async (context) => {
  return json(toUser(await requireUser(context.db(), context.principal.userId)));
});

/** Column each patchable field writes, and the SQL cast of its parameter. */
const PATCHABLE = {
  email: ['email', '$::text'],
  username: ['username', '$::text'],
  displayName: ['display_name', '$::text'],
  bio: ['bio', '$::text'],
  avatarFileId: ['avatar_file_id', '$::text::uuid'],
  website: ['website', '$::text'],
  location: ['location', '$::text'],
} as const;

/**
 * `PATCH /me`: profile and account fields; a new email or username must be free (409); a new
 * password needs the current one (403 otherwise) and ends every other session.
 */
export const patchMe = defineRoute({
  auth: 'required',
  body: UpdateMeRequest,
  maxBodyBytes: 16 * 1024,
  responses: { 200: User },
  errors: { 403: '`account_suspended`: this account is suspended; `wrong_password`: the current password is wrong', 404: 'This account no longer exists', 409: '`email_taken`, `username_taken` or `email_and_username_taken` (each field in `details`)' },
}, async (context) => {
  const { body } = context;
  const db = context.db();
  const current = await requireUser(db, context.principal.userId);
  // An access token outlives a suspension by up to 15 minutes; it may read, not change.
  if (current.status !== 'active') throw accountSuspended();

  const taken = await takenFields(db, { email: body.email, username: body.username }, current.id);
  if (taken.length > 0) throw duplicateError(taken);

  let passwordHash: string | null = null;
  if (body.newPassword !== undefined) {
    if (current.password_hash === null || !verifyPassword(body.currentPassword ?? '', current.password_hash)) {
      throw new HttpError(403, 'wrong_password', 'The current password is wrong');
    }
    passwordHash = hashPassword(body.newPassword);
  }

  // The SET list is built from the constant table above, never from the request's keys as text.
  const assignments: string[] = [];
  const params: SqlParam[] = [current.id];
  const changed: string[] = [];
  for (const [field, [column, cast]] of Object.entries(PATCHABLE) as [keyof typeof PATCHABLE, (typeof PATCHABLE)[keyof typeof PATCHABLE]][]) {
    const value = body[field];
    if (value === undefined) continue;
    params.push(value);
    assignments.push(`${column} = ${cast.replace('$', `$${params.length}`)}`);
    changed.push(field);
  }
  if (passwordHash !== null) {
    params.push(passwordHash);
    assignments.push(`password_hash = $${params.length}::text`);
    changed.push('password');
  }

  const write = async (tx: SqlClient) => {
    const row = await queryOne(
      tx,
      UserRow,
      `UPDATE users SET ${assignments.join(', ')}, updated_at = now() WHERE id = $1::text::uuid RETURNING ${USER_COLUMNS}`,
      params,
    );
    if (row) await recordUserUpdated(context, tx, row, changed);
    return row;
  };
  // A new password ends every session and refuses every access token issued before it.
  const updated = await (passwordHash !== null ? withTokensRevoked(context, current.id, write) : transaction(db, write)).catch(async (error: unknown) => {
    // A concurrent request took the email or username between the check and the update.
    const nowTaken = await takenFields(db, { email: body.email, username: body.username }, current.id);
    if (nowTaken.length > 0) throw duplicateError(nowTaken);
    throw error;
  });
  if (!updated) throw notFound('This account no longer exists');
  return json(toUser(updated));
});

/** `DELETE /me`: removes the account with its sessions and preferences; its access tokens stop working everywhere. */
export const deleteMe = defineRoute({ auth: 'required', responses: { 204: null }, errors: { 404: 'This account no longer exists' } }, async (context) => {
  const userId = context.principal.userId;
  const deleted = await withTokensRevoked(context, userId, async (tx) => {
    const { rows } = await tx.query('DELETE FROM users WHERE id = $1::text::uuid RETURNING id::text AS id', [userId]);
    if (rows.length > 0) await recordUserDeleted(context, tx, userId);
    return rows.length > 0;
  });
  if (!deleted) throw notFound('This account no longer exists');
  context.log.info('account deleted', { userId: context.principal.userId });
  return noContent();
});

/** `GET /{id}`: what anyone may see of an active user; suspended and unknown users are both 404. */
export const publicProfile = defineRoute({ params: UserParams, responses: { 200: PublicProfile }, errors: { 404: 'No such user, or not an active one' } }, async (context) => {
  const row = await findUserById(context.db(), context.params.id);
  if (!row || row.status !== 'active') throw notFound('No such user');
  return json(toPublicProfile(row));
});
