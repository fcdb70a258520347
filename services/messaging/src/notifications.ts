import {
  Id,
  Notification,
  NotificationPreference,
  NotificationType,
  PageQuery,
  QueryBoolean,
  NotificationList,
  NotificationPreferenceList,
  NotificationsMarked,
} from '@authorworks/domain';
import {
  CursorTimestamp,
  decodeCursor,
  defineRoute,
  isoTimestamp,
  json,
  noContent,
  notFound,
  pageOf,
  queryOne,
  queryRows,
  sqlBool,
  sqlInt,
  type SqlClient,
} from '@authorworks/kit';
import { z } from 'zod';
import { appendFeed } from './feed.ts';

/** A notification about to be made for one person (worker.ts decides who and what). */
export interface NotificationDraft {
  userId: string;
  type: NotificationType;
  title: string;
  body: string;
  link: string | null;
}

const Preference = z.object({ in_app: sqlBool, email: sqlBool });

/**
 * Makes a notification caused by event `eventId`, honouring its recipient's preference for the
 * type: in-app off makes none (and no stream item), email on keeps a copy for later delivery. One
 * per person per event: the same event again changes nothing. Returns whether one was made.
 */
export async function notify(tx: SqlClient, eventId: string, draft: NotificationDraft): Promise<boolean> {
  const preference = await queryOne(
    tx,
    Preference,
    'SELECT in_app, email FROM notification_preferences WHERE user_id = $1::text::uuid AND type = $2::text',
    [draft.userId, draft.type],
  );
  const params = [draft.userId, draft.type, draft.title, draft.body, draft.link, eventId];
  if (preference?.email === true) {
    await tx.query(
      `INSERT INTO pending_emails (user_id, type, title, body, link, event_id) VALUES ($1::text::uuid, $2::text, $3::text, $4::text, $5::text, $6::text)
       ON CONFLICT DO NOTHING`,
      params,
    );
  }
  if (preference?.in_app === false) return false;
  const row = await queryOne(
    tx,
    NotificationRow,
    `INSERT INTO notifications (user_id, type, title, body, link, event_id) VALUES ($1::text::uuid, $2::text, $3::text, $4::text, $5::text, $6::text)
     ON CONFLICT (user_id, event_id) DO NOTHING RETURNING ${NOTIFICATION_COLUMNS}`,
    params,
  );
  if (!row) return false;
  await appendFeed(tx, [draft.userId], 'notification.created', withoutSortKey(row));
  return true;
}

const NOTIFICATION_COLUMNS = `id::text AS id, type, title, body, link, read_at IS NOT NULL AS read, ${isoTimestamp('created_at')} AS "createdAt",
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS "sortKey"`;
const NotificationRow = Notification.extend({ read: sqlBool, sortKey: z.string() });

function withoutSortKey({ sortKey: _sortKey, ...notification }: z.output<typeof NotificationRow>): Notification {
  return notification;
}

export const NotificationParams = z.object({ id: Id });
export const NotificationListQuery = PageQuery.extend({
  /** `true`: only the unread ones. */
  unread: QueryBoolean.optional(),
});

const Cursor = z.strictObject({ t: CursorTimestamp, i: Id });

/** The caller's notifications, newest first. */
export const listNotifications = defineRoute({
  query: NotificationListQuery,
  auth: 'required',
  responses: { 200: NotificationList },
  errors: { 400: '`invalid_cursor`' },
}, async (context) => {
  const after = decodeCursor(Cursor, context.query.cursor);
  const rows = await queryRows(
    context.db(),
    NotificationRow,
    `SELECT ${NOTIFICATION_COLUMNS} FROM notifications
      WHERE user_id = $1::text::uuid AND ($2::bool = false OR read_at IS NULL)
        AND ($3::text IS NULL OR (created_at, id) < (($3::text || 'Z')::timestamptz, $4::text::uuid))
      ORDER BY created_at DESC, id DESC LIMIT $5::int8`,
    [context.principal.userId, context.query.unread === true, after?.t ?? null, after?.i ?? null, context.query.limit + 1],
  );
  const page = pageOf(rows, context.query.limit, (last) => ({ t: last.sortKey, i: last.id }));
  return json({ items: page.items.map(withoutSortKey), nextCursor: page.nextCursor });
});

export const markNotificationRead = defineRoute({
  params: NotificationParams,
  auth: 'required',
  responses: { 200: Notification },
  errors: { 404: 'No notification of the caller with that id' },
}, async (context) => {
  const row = await queryOne(
    context.db(),
    NotificationRow,
    `UPDATE notifications SET read_at = COALESCE(read_at, now()) WHERE id = $1::text::uuid AND user_id = $2::text::uuid RETURNING ${NOTIFICATION_COLUMNS}`,
    [context.params.id, context.principal.userId],
  );
  if (!row) throw notFound('No notification with that id');
  return json(withoutSortKey(row));
});

export const markAllNotificationsRead = defineRoute({ auth: 'required', responses: { 200: NotificationsMarked } }, async (context) => {
  const row = await queryOne(
    context.db(),
    z.object({ n: sqlInt }),
    `WITH marked AS (UPDATE notifications SET read_at = now() WHERE user_id = $1::text::uuid AND read_at IS NULL RETURNING 1)
     SELECT count(*)::int AS n FROM marked`,
    [context.principal.userId],
  );
  return json({ marked: row?.n ?? 0 });
});

export const deleteNotification = defineRoute({
  params: NotificationParams,
  auth: 'required',
  responses: { 204: null },
  errors: { 404: 'No notification of the caller with that id' },
}, async (context) => {
  const { rows } = await context.db().query('DELETE FROM notifications WHERE id = $1::text::uuid AND user_id = $2::text::uuid RETURNING 1 AS deleted', [
    context.params.id,
    context.principal.userId,
  ]);
  if (rows.length === 0) throw notFound('No notification with that id');
  return noContent();
});

// ── Preferences ──────────────────────────────────────────────────────────

export const PreferenceParams = z.object({ type: NotificationType });
export const UpdatePreferenceRequest = z.strictObject({ inApp: z.boolean(), email: z.boolean() });

/** Every notification type with the caller's choice (in-app on, email off unless they chose). */
export const listPreferences = defineRoute({ auth: 'required', responses: { 200: NotificationPreferenceList } }, async (context) => {
  const rows = await queryRows(
    context.db(),
    z.object({ type: z.string(), in_app: sqlBool, email: sqlBool }),
    'SELECT type, in_app, email FROM notification_preferences WHERE user_id = $1::text::uuid',
    [context.principal.userId],
  );
  const chosen = new Map(rows.map((row) => [row.type, row]));
  const items: NotificationPreference[] = NotificationType.options.map((type) => ({
    type,
    inApp: chosen.get(type)?.in_app ?? true,
    email: chosen.get(type)?.email ?? false,
  }));
  return json({ items });
});

export const updatePreference = defineRoute({
  params: PreferenceParams,
  body: UpdatePreferenceRequest,
  auth: 'required',
  responses: { 200: NotificationPreference },
}, async (context) => {
  await context.db().query(
    `INSERT INTO notification_preferences (user_id, type, in_app, email) VALUES ($1::text::uuid, $2::text, $3::bool, $4::bool)
     ON CONFLICT (user_id, type) DO UPDATE SET in_app = EXCLUDED.in_app, email = EXCLUDED.email`,
    [context.principal.userId, context.params.type, context.body.inApp, context.body.email],
  );
  const preference: NotificationPreference = { type: context.params.type, inApp: context.body.inApp, email: context.body.email };
  return json(preference);
});
