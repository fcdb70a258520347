import { Channel, Role, UserEventType, UserStatus, type PublicProfile, type User, type UserEventData } from '@authorworks/domain';
import { isoTimestamp, notFound, queryOne, sqlJson, type RequestContext, type SqlClient } from '@authorworks/kit';
import { z } from 'zod';

/**
 * Columns of `users` as Spin can return them: uuid, timestamptz and text[] cast to text.
 * Only constant SQL is built here; values always travel as parameters.
 */
export const USER_COLUMNS = `id::text AS id, email, username, display_name, status,
  array_to_json(roles)::text AS roles, bio, avatar_file_id::text AS avatar_file_id, website, location,
  password_hash, authelia_username,
  ${isoTimestamp('created_at')} AS created_at, ${isoTimestamp('updated_at')} AS updated_at,
  ${isoTimestamp('last_login_at')} AS last_login_at`;

export const UserRow = z.object({
  id: z.string(),
  email: z.string(),
  username: z.string(),
  display_name: z.string(),
  status: UserStatus,
  roles: sqlJson(z.array(Role)),
  bio: z.string(),
  avatar_file_id: z.string().nullable(),
  website: z.string().nullable(),
  location: z.string(),
  password_hash: z.string().nullable(),
  authelia_username: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  last_login_at: z.string().nullable(),
});
export type UserRow = z.infer<typeof UserRow>;

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    username: row.username,
    displayName: row.display_name,
    roles: row.roles,
    status: row.status,
    profile: { bio: row.bio, avatarFileId: row.avatar_file_id, website: row.website, location: row.location },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastLoginAt: row.last_login_at,
  };
}

export function toPublicProfile(row: UserRow): PublicProfile {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    bio: row.bio,
    avatarFileId: row.avatar_file_id,
    website: row.website,
    location: row.location,
    createdAt: row.created_at,
  };
}

export async function findUserById(db: SqlClient, id: string): Promise<UserRow | null> {
  return queryOne(db, UserRow, `SELECT ${USER_COLUMNS} FROM users WHERE id = $1::text::uuid`, [id]);
}

/** The signed-in user's row; a token whose account was deleted since finds nothing (404). */
/** The user a login names, by email or by username; the one lookup the login and its throttle share. */
export async function findUserByLogin(db: SqlClient, login: { email?: string | undefined; username?: string | undefined }): Promise<UserRow | null> {
  return login.email !== undefined
    ? queryOne(db, UserRow, `SELECT ${USER_COLUMNS} FROM users WHERE email = $1::text`, [login.email])
    : queryOne(db, UserRow, `SELECT ${USER_COLUMNS} FROM users WHERE username = $1::text`, [login.username ?? '']);
}

export async function requireUser(db: SqlClient, id: string): Promise<UserRow> {
  const row = await findUserById(db, id);
  if (!row) throw notFound('This account no longer exists');
  return row;
}

function eventData(row: UserRow): UserEventData {
  return { id: row.id, username: row.username, displayName: row.display_name, email: row.email, roles: row.roles, status: row.status };
}

// user.* events go through the outbox in the transaction of the change: other services keep
// copies of names and clean up after deleted users, so these must not be lost.

export async function recordUserCreated(context: RequestContext, tx: SqlClient, row: UserRow): Promise<void> {
  await context.events.record(tx, Channel.userEvents, UserEventType.created, row.id, eventData(row));
}

export async function recordUserUpdated(context: RequestContext, tx: SqlClient, row: UserRow, changed: string[]): Promise<void> {
  await context.events.record(tx, Channel.userEvents, UserEventType.updated, row.id, { ...eventData(row), changed });
}

export async function recordUserDeleted(context: RequestContext, tx: SqlClient, id: string): Promise<void> {
  await context.events.record(tx, Channel.userEvents, UserEventType.deleted, id, { id });
}

/** Which of `email` / `username` another account already holds, as 409 details. */
export async function takenFields(
  db: SqlClient,
  fields: { email?: string | undefined; username?: string | undefined },
  exceptUserId: string | null,
): Promise<('email' | 'username')[]> {
  const row = await queryOne(
    db,
    z.object({ email_taken: z.boolean(), username_taken: z.boolean() }),
    `SELECT
       EXISTS (SELECT 1 FROM users WHERE email = $1::text AND ($3::text IS NULL OR id <> $3::text::uuid)) AS email_taken,
       EXISTS (SELECT 1 FROM users WHERE username = $2::text AND ($3::text IS NULL OR id <> $3::text::uuid)) AS username_taken`,
    [fields.email ?? null, fields.username ?? null, exceptUserId],
  );
  const taken: ('email' | 'username')[] = [];
  if (row?.email_taken) taken.push('email');
  if (row?.username_taken) taken.push('username');
  return taken;
}
