import { z } from 'zod';
import { base64UrlDecodeText, base64UrlEncode, utf8 } from './encoding.ts';
import { badRequest } from './errors.ts';
import { inputProblem } from './input-text.ts';

// Cursors are opaque to clients: base64url of a small JSON object holding the sort key of the
// last item served, so a page continues exactly after it (keyset pagination).

export function encodeCursor(position: Record<string, string | number>): string {
  return base64UrlEncode(utf8(JSON.stringify(position)));
}

/** The decoded cursor, or 400 `invalid_cursor` naming `query.cursor` when it was not one of ours. */
export function decodeCursor<Schema extends z.ZodType>(schema: Schema, cursor: string | undefined): z.output<Schema> | null {
  if (cursor === undefined) return null;
  const text = base64UrlDecodeText(cursor);
  let value: unknown = null;
  try {
    value = text === null ? null : JSON.parse(text);
  } catch {
    value = null;
  }
  const parsed = inputProblem('cursor', value, 2) ? undefined : schema.safeParse(value);
  if (!parsed?.success) {
    throw badRequest('invalid_cursor', 'The cursor is not valid; use the nextCursor of a previous page', [
      { path: 'query.cursor', message: 'Not a cursor this list issued' },
    ]);
  }
  return parsed.data;
}

/** Splits the `limit + 1` rows a query fetched into a page and the cursor of the next one. */
export function pageOf<Item>(rows: Item[], limit: number, cursorOf: (last: Item) => Record<string, string | number>): { items: Item[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}

/*
 * Cursor fields. A cursor comes from the client, so each field is checked as strictly as a body
 * field, for exactly what the query will cast it to: a value that passes here can never make the
 * SQL cast fail (a crafted cursor used to reach Postgres and come back as a 500).
 */

const SORT_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})$/;

/** A `timestamptz` sort key as `to_char(... 'YYYY-MM-DD"T"HH24:MI:SS.US')` writes it (UTC, microseconds). */
export const CursorTimestamp = z.string().refine((text) => {
  const match = SORT_TIMESTAMP.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Date.UTC rolls 31 February over into March: a real date reads back the same.
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && date.getUTCHours() === hour && date.getUTCMinutes() === minute && date.getUTCSeconds() === second;
}, 'Not a sort timestamp');

/** A position or version number: a PostgreSQL `integer` (int4) that is not negative. */
export const CursorInteger = z.number().int().min(0).max(2_147_483_647);

/** A non-negative `int8` as decimal text (e.g. microseconds since the epoch); 18 digits always fit. */
export const CursorBigint = z.string().regex(/^\d{1,18}$/);
