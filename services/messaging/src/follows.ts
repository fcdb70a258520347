import { Id, Page, PageQuery, Timestamp } from '@authorworks/domain';
import { CursorTimestamp, created, decodeCursor, defineRoute, isoTimestamp, json, noContent, notFound, pageOf, queryRows, unprocessable } from '@authorworks/kit';
import { z } from 'zod';

// Follows: whom a user follows, so that a book one of them publishes notifies the follower
// (worker.ts, on content.published). Following is public in effect but listed only to oneself.

export const FollowParams = z.object({ userId: Id });
export const Follow = z.object({ userId: Id, followedAt: Timestamp });
const FollowList = Page(Follow);

export const follow = defineRoute({
  params: FollowParams,
  auth: 'required',
  responses: { 200: Follow, 201: Follow },
  errors: { 422: '`self_follow`: one cannot follow oneself' },
}, async (context) => {
  const me = context.principal.userId;
  if (context.params.userId === me) throw unprocessable('self_follow', 'You cannot follow yourself');
  const { rows } = await context.db().query(
    `INSERT INTO follows (follower_id, followee_id) VALUES ($1::text::uuid, $2::text::uuid) ON CONFLICT DO NOTHING RETURNING ${isoTimestamp('created_at')} AS t`,
    [me, context.params.userId],
  );
  if (rows[0]) return created({ userId: context.params.userId, followedAt: String(rows[0].t) }, `/v1/messaging/follows/${context.params.userId}`);
  const existing = await queryRows(
    context.db(),
    z.object({ t: z.string() }),
    `SELECT ${isoTimestamp('created_at')} AS t FROM follows WHERE follower_id = $1::text::uuid AND followee_id = $2::text::uuid`,
    [me, context.params.userId],
  );
  return json({ userId: context.params.userId, followedAt: existing[0]?.t ?? new Date().toISOString() });
});

export const unfollow = defineRoute({
  params: FollowParams,
  auth: 'required',
  responses: { 204: null },
  errors: { 404: 'The caller does not follow that user' },
}, async (context) => {
  const { rows } = await context.db().query('DELETE FROM follows WHERE follower_id = $1::text::uuid AND followee_id = $2::text::uuid RETURNING 1 AS deleted', [
    context.principal.userId,
    context.params.userId,
  ]);
  if (rows.length === 0) throw notFound('You do not follow that user');
  return noContent();
});

const Cursor = z.strictObject({ t: CursorTimestamp, u: Id });

/** Whom the caller follows, most recent first. */
export const listFollows = defineRoute({ query: PageQuery, auth: 'required', responses: { 200: FollowList }, errors: { 400: '`invalid_cursor`' } }, async (context) => {
  const after = decodeCursor(Cursor, context.query.cursor);
  const rows = await queryRows(
    context.db(),
    Follow.extend({ sortKey: z.string() }),
    `SELECT followee_id::text AS "userId", ${isoTimestamp('created_at')} AS "followedAt",
            to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS "sortKey"
       FROM follows WHERE follower_id = $1::text::uuid
        AND ($2::text IS NULL OR (created_at, followee_id) < (($2::text || 'Z')::timestamptz, $3::text::uuid))
      ORDER BY created_at DESC, followee_id DESC LIMIT $4::int8`,
    [context.principal.userId, after?.t ?? null, after?.u ?? null, context.query.limit + 1],
  );
  const page = pageOf(rows, context.query.limit, (last) => ({ t: last.sortKey, u: last.userId }));
  return json({ items: page.items.map(({ sortKey: _sortKey, ...item }) => item), nextCursor: page.nextCursor });
});
