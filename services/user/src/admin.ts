import { AdminUserListQuery, UpdateUserStatusRequest, User, UserList, UserParams } from '@authorworks/domain';
import {
  CursorBigint,
  decodeCursor,
  defineRoute,
  json,
  notFound,
  queryOne,
  queryRows,
  transaction,
  pageOf,
  unprocessable,
  type SqlClient,
} from '@authorworks/kit';
import { z } from 'zod';
import { withTokensRevoked } from './sessions.ts';
import { USER_COLUMNS, UserRow, recordUserUpdated, toUser } from './users-table.ts';

/** Newest first; the cursor holds the last row's creation time in microseconds and its id. */
const Cursor = z.object({ createdUs: CursorBigint, id: z.uuid() });

const ListedUserRow = UserRow.extend({ created_us: z.union([z.string(), z.number()]).transform(String) });

/** `GET /v1/users` (admin): every account, filterable by status and by username/email prefix. */
export const listUsers = defineRoute({ auth: 'admin', query: AdminUserListQuery, responses: { 200: UserList }, errors: { 400: '`invalid_cursor`' } }, async (context) => {
  const { limit, status, q } = context.query;
  const after = decodeCursor(Cursor, context.query.cursor);
  const rows = await queryRows(
    context.db(),
    ListedUserRow,
    `SELECT ${USER_COLUMNS}, (extract(epoch FROM created_at) * 1000000)::int8::text AS created_us
     FROM users
     WHERE ($1::text IS NULL OR status = $1::text)
       AND ($2::text IS NULL OR starts_with(username, lower($2::text)) OR starts_with(email, lower($2::text)))
       AND ($3::text IS NULL OR ((extract(epoch FROM created_at) * 1000000)::int8, id) < ($3::text::int8, $4::text::uuid))
     ORDER BY created_at DESC, id DESC
     LIMIT $5::int8`,
    [status ?? null, q ?? null, after?.createdUs ?? null, after?.id ?? null, limit + 1],
  );
  const page = pageOf(rows, limit, (last) => ({ createdUs: last.created_us, id: last.id }));
  return json({ items: page.items.map(toUser), nextCursor: page.nextCursor });
});

/** `PATCH /v1/users/{id}/status` (admin): suspend or reactivate; suspending ends the user's sessions. */
export const setUserStatus = defineRoute({
  auth: 'admin',
  params: UserParams,
  body: UpdateUserStatusRequest,
  responses: { 200: User },
  errors: { 404: 'No such user', 422: '`cannot_change_own_status`: an admin cannot change their own status' },
}, async (context) => {
  if (context.params.id === context.principal.userId) {
    throw unprocessable('cannot_change_own_status', 'An admin cannot change their own status');
  }
  const write = async (tx: SqlClient) => {
    const row = await queryOne(
      tx,
      UserRow,
      `UPDATE users SET status = $2::text, updated_at = now() WHERE id = $1::text::uuid RETURNING ${USER_COLUMNS}`,
      [context.params.id, context.body.status],
    );
    if (row) await recordUserUpdated(context, tx, row, ['status']);
    return row;
  };
  // Suspending ends the user's sessions and refuses their access tokens in every service at once.
  const updated = await (context.body.status === 'suspended' ? withTokensRevoked(context, context.params.id, write) : transaction(context.db(), write));
  if (!updated) throw notFound('No such user');
  context.log.info('user status changed', { userId: updated.id, status: updated.status, by: context.principal.userId, reason: context.body.reason });
  return json(toUser(updated));
});
