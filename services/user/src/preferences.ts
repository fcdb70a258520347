import { JsonValue, PageQuery, Preference, PreferenceList, PreferenceParams, PutPreferenceRequest } from '@authorworks/domain';
import {
  decodeCursor,
  defineRoute,
  isoTimestamp,
  json,
  noContent,
  notFound,
  pageOf,
  queryOne,
  queryRows,
  sqlJson,
  transaction,
  unprocessable,
} from '@authorworks/kit';
import { z } from 'zod';
import { accountSuspended } from './sessions.ts';

/** Enough for any settings screen; stops one account from filling the table. */
const MAX_PREFERENCES_PER_USER = 200;

const PreferenceRow = z.object({ key: z.string(), value: sqlJson(JsonValue), updated_at: z.string() });
const PREFERENCE_COLUMNS = `key, value::text AS value, ${isoTimestamp('updated_at')} AS updated_at`;

const toPreference = (row: z.infer<typeof PreferenceRow>): Preference => ({ key: row.key, value: row.value, updatedAt: row.updated_at });

/** Pages continue after the last key served. */
const Cursor = z.object({ key: z.string() });

/** `GET /me/preferences`: the caller's preferences by key, paginated. */
export const listPreferences = defineRoute({ auth: 'required', query: PageQuery, responses: { 200: PreferenceList }, errors: { 400: '`invalid_cursor`' } }, async (context) => {
  const after = decodeCursor(Cursor, context.query.cursor)?.key ?? null;
  const rows = await queryRows(
    context.db(),
    PreferenceRow,
    `SELECT ${PREFERENCE_COLUMNS} FROM preferences
     WHERE user_id = $1::text::uuid AND ($2::text IS NULL OR key > $2::text)
     ORDER BY key LIMIT $3::int8`,
    [context.principal.userId, after, context.query.limit + 1],
  );
  const page = pageOf(rows, context.query.limit, (last) => ({ key: last.key }));
  return json({ items: page.items.map(toPreference), nextCursor: page.nextCursor });
});

export const getPreference = defineRoute({ auth: 'required', params: PreferenceParams, responses: { 200: Preference }, errors: { 404: 'No preference of this key' } }, async (context) => {
  const row = await queryOne(
    context.db(),
    PreferenceRow,
    `SELECT ${PREFERENCE_COLUMNS} FROM preferences WHERE user_id = $1::text::uuid AND key = $2::text`,
    [context.principal.userId, context.params.key],
  );
  if (!row) throw notFound(`No preference "${context.params.key}"`);
  return json(toPreference(row));
});

/** `PUT /me/preferences/{key}` with `{ value }`: creates or replaces it. */
export const putPreference = defineRoute(
  {
    auth: 'required',
    params: PreferenceParams,
    body: PutPreferenceRequest,
    maxBodyBytes: 16 * 1024,
    responses: { 200: Preference },
    errors: { 403: '`account_suspended`: this account is suspended', 404: 'This account no longer exists', 422: '`too_many_preferences`: the account keeps the most it may' },
  },
  async (context) => {
    const db = context.db();
    const row = await transaction(db, async (tx) => {
      // Serialises concurrent PUTs of one user so the count check holds.
      const owner = await tx.query('SELECT status FROM users WHERE id = $1::text::uuid FOR UPDATE', [context.principal.userId]);
      if (owner.rows.length === 0) throw notFound('This account no longer exists');
      if (owner.rows[0]!.status !== 'active') throw accountSuspended();
      const saved = await queryOne(
        tx,
        PreferenceRow,
        `INSERT INTO preferences (user_id, key, value)
         SELECT $1::text::uuid, $2::text, $3::text::jsonb
         WHERE EXISTS (SELECT 1 FROM preferences WHERE user_id = $1::text::uuid AND key = $2::text)
            OR (SELECT count(*) FROM preferences WHERE user_id = $1::text::uuid) < $4::int8
         ON CONFLICT (user_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
         RETURNING ${PREFERENCE_COLUMNS}`,
        [context.principal.userId, context.params.key, JSON.stringify(context.body.value), MAX_PREFERENCES_PER_USER],
      );
      return saved;
    });
    if (!row) throw unprocessable('too_many_preferences', `An account can keep at most ${MAX_PREFERENCES_PER_USER} preferences`);
    return json(toPreference(row));
  },
);

export const deletePreference = defineRoute({ auth: 'required', params: PreferenceParams, responses: { 204: null }, errors: { 404: 'No preference of this key' } }, async (context) => {
  const { rows } = await context.db().query(
    'DELETE FROM preferences WHERE user_id = $1::text::uuid AND key = $2::text RETURNING key',
    [context.principal.userId, context.params.key],
  );
  if (rows.length === 0) throw notFound(`No preference "${context.params.key}"`);
  return noContent();
});
