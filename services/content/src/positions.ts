import type { SqlClient } from '@authorworks/kit';

// Ordered lists (chapters in a book, scenes in a chapter) keep positions 1..n with no gaps and no
// duplicates. Callers hold the book row lock (FOR UPDATE) for the whole transaction, so two moves
// in one book run one after the other and each sees the other's result; the UNIQUE constraints
// are DEFERRABLE so a single UPDATE may shift a run of rows through momentary duplicates.

/** Only these lists exist; table and column names never come from a request. */
export type OrderedList = { table: 'chapters'; parent: 'book_id' } | { table: 'scenes'; parent: 'chapter_id' };
export const CHAPTERS_IN_BOOK: OrderedList = { table: 'chapters', parent: 'book_id' };
export const SCENES_IN_CHAPTER: OrderedList = { table: 'scenes', parent: 'chapter_id' };

async function countIn(tx: SqlClient, list: OrderedList, parentId: string): Promise<number> {
  const { rows } = await tx.query(`SELECT count(*)::int AS n FROM ${list.table} WHERE ${list.parent} = $1::text::uuid`, [parentId]);
  return Number(rows[0]?.n ?? 0);
}

/** Makes room at `wanted` (or the end when absent or past it) and returns the position to insert at. */
export async function openSlot(tx: SqlClient, list: OrderedList, parentId: string, wanted: number | undefined): Promise<number> {
  const count = await countIn(tx, list, parentId);
  const position = Math.min(wanted ?? count + 1, count + 1);
  if (position <= count) {
    await tx.query(
      `UPDATE ${list.table} SET position = position + 1 WHERE ${list.parent} = $1::text::uuid AND position >= $2::int8`,
      [parentId, position],
    );
  }
  return position;
}

/** Closes the gap a removed item left at `position`. */
export async function closeGap(tx: SqlClient, list: OrderedList, parentId: string, position: number): Promise<void> {
  await tx.query(
    `UPDATE ${list.table} SET position = position - 1 WHERE ${list.parent} = $1::text::uuid AND position > $2::int8`,
    [parentId, position],
  );
}

/**
 * Moves item `id` to `wanted` (clamped to the list's length); the items in between shift by one.
 * Reads the item's current position under the caller's lock, never from the request.
 */
export async function moveTo(tx: SqlClient, list: OrderedList, id: string, wanted: number): Promise<number> {
  const { rows } = await tx.query(`SELECT ${list.parent}::text AS parent, position FROM ${list.table} WHERE id = $1::text::uuid`, [id]);
  const row = rows[0];
  if (!row) throw new Error(`${list.table} ${id} vanished under the book lock`);
  const parentId = String(row.parent);
  const from = Number(row.position);
  const to = Math.min(wanted, await countIn(tx, list, parentId));
  if (to === from) return to;
  if (to < from) {
    await tx.query(
      `UPDATE ${list.table} SET position = CASE WHEN id = $2::text::uuid THEN $4::int8 ELSE position + 1 END, updated_at = now()
        WHERE ${list.parent} = $1::text::uuid AND position BETWEEN $4::int8 AND $3::int8`,
      [parentId, id, from, to],
    );
  } else {
    await tx.query(
      `UPDATE ${list.table} SET position = CASE WHEN id = $2::text::uuid THEN $4::int8 ELSE position - 1 END, updated_at = now()
        WHERE ${list.parent} = $1::text::uuid AND position BETWEEN $3::int8 AND $4::int8`,
      [parentId, id, from, to],
    );
  }
  return to;
}
