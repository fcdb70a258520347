import { badRequest, base64UrlDecode, base64UrlEncode, fromUtf8, utf8 } from '@authorworks/kit/portable';
import type { z } from 'zod';

// Cursors are opaque to clients: base64url of a small JSON object holding the sort key of the
// last item served. The kit does not offer this yet; it belongs there once a second service needs it.

export function encodeCursor(position: Record<string, string | number>): string {
  return base64UrlEncode(utf8(JSON.stringify(position)));
}

/** The decoded cursor, or a 400 naming `query.cursor` when it was not one of ours. */
export function decodeCursor<Schema extends z.ZodType>(schema: Schema, cursor: string | undefined): z.output<Schema> | null {
  if (cursor === undefined) return null;
  const bytes = base64UrlDecode(cursor);
  const text = bytes === null ? null : fromUtf8(bytes);
  let value: unknown = null;
  try {
    value = text === null ? null : JSON.parse(text);
  } catch {
    value = null;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw badRequest('invalid_cursor', 'The cursor is not valid; use the nextCursor of a previous page', [
      { path: 'query.cursor', message: 'Not a cursor this list issued' },
    ]);
  }
  return parsed.data;
}

/** Splits the `limit + 1` rows a query fetched into a page and the cursor of the next one. */
export function pageOf<Item>(rows: Item[], limit: number, cursorOf: (last: Item) => Record<string, string | number>) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}
