import { Id, Timestamp } from '@authorworks/domain';
import { isoTimestamp, queryOne, queryRows, sqlBool, sqlInt, type SqlClient } from '@authorworks/kit';
import { z } from 'zod';

// What the content worker derives from a book: its statistics and its search document. Both are
// recomputed from the tables as a whole, never adjusted by deltas, so handling an event twice
// changes nothing and any later recompute repairs a book whose events were lost. Each derived row
// records the book revision it was computed from; `books.revision` is bumped by every change that
// matters, so `source_revision < revision` marks a row as stale.

export const BookStats = z.object({
  bookId: Id,
  wordCount: z.number().int().nonnegative(),
  /** 250 words per minute, rounded up (the domain's readingTimeMinutes). */
  readingTimeMinutes: z.number().int().nonnegative(),
  chapterCount: z.number().int().nonnegative(),
  revision: z.number().int(),
  sourceRevision: z.number().int(),
  stale: z.boolean(),
  computedAt: Timestamp.nullable(),
});
export type BookStats = z.infer<typeof BookStats>;

const BookStatsRow = BookStats.extend({
  wordCount: sqlInt,
  readingTimeMinutes: sqlInt,
  chapterCount: sqlInt,
  revision: sqlInt,
  sourceRevision: sqlInt,
  stale: sqlBool,
});

/**
 * Upserts the statistics of book $1 from its chapters. The `WHERE ... <=` guard keeps a slower,
 * older recompute from overwriting a newer one. Returns a row when the book exists.
 */
const RECOMPUTE_STATS_SQL = `INSERT INTO book_stats AS s (book_id, word_count, reading_time_minutes, chapter_count, source_revision, computed_at)
     SELECT b.id, COALESCE(sum(c.word_count), 0)::int, ceil(COALESCE(sum(c.word_count), 0) / 250.0)::int,
            count(c.id)::int, b.revision, now()
       FROM books b LEFT JOIN chapters c ON c.book_id = b.id
      WHERE b.id = $1::text::uuid
      GROUP BY b.id
     ON CONFLICT (book_id) DO UPDATE
        SET word_count = EXCLUDED.word_count, reading_time_minutes = EXCLUDED.reading_time_minutes,
            chapter_count = EXCLUDED.chapter_count, source_revision = EXCLUDED.source_revision, computed_at = now()
      WHERE s.source_revision <= EXCLUDED.source_revision
     RETURNING 1 AS done`;

/**
 * Upserts the search document of book $1. Title weighs most, then tags and genre, then the
 * description, then chapter titles. One text-search configuration ('english') for documents and
 * queries keeps the GIN index usable.
 */
const RECOMPUTE_SEARCH_SQL = `INSERT INTO book_search_documents AS d (book_id, document, source_revision, computed_at)
     SELECT b.id,
            setweight(to_tsvector('english', b.title), 'A')
            || setweight(to_tsvector('english', array_to_string(b.tags, ' ') || ' ' || b.genre), 'B')
            || setweight(to_tsvector('english', b.description), 'C')
            || setweight(to_tsvector('english', COALESCE(string_agg(c.title, ' '), '')), 'D'),
            b.revision, now()
       FROM books b LEFT JOIN chapters c ON c.book_id = b.id
      WHERE b.id = $1::text::uuid
      GROUP BY b.id
     ON CONFLICT (book_id) DO UPDATE
        SET document = EXCLUDED.document, source_revision = EXCLUDED.source_revision, computed_at = now()
      WHERE d.source_revision <= EXCLUDED.source_revision`;

const BOOK_EXISTS_SQL = 'SELECT 1 AS found FROM books WHERE id = $1::text::uuid';

/**
 * Recomputes the statistics and search document of one book (in one snapshot when called inside
 * a transaction). Returns false when the book no longer exists.
 */
export async function recomputeBook(db: SqlClient, bookId: string): Promise<boolean> {
  const { rows } = await db.query(RECOMPUTE_STATS_SQL, [bookId]);
  await db.query(RECOMPUTE_SEARCH_SQL, [bookId]);
  if (rows.length > 0) return true;
  return (await db.query(BOOK_EXISTS_SQL, [bookId])).rows.length > 0;
}

export async function readBookStats(db: SqlClient, bookId: string): Promise<BookStats | null> {
  return queryOne(
    db,
    BookStatsRow,
    `SELECT b.id::text AS "bookId", COALESCE(s.word_count, 0) AS "wordCount",
            COALESCE(s.reading_time_minutes, 0) AS "readingTimeMinutes", COALESCE(s.chapter_count, 0) AS "chapterCount",
            b.revision AS revision, COALESCE(s.source_revision, 0) AS "sourceRevision",
            (s.book_id IS NULL OR s.source_revision < b.revision) AS stale,
            ${isoTimestamp('s.computed_at')} AS "computedAt"
       FROM books b LEFT JOIN book_stats s ON s.book_id = b.id
      WHERE b.id = $1::text::uuid`,
    [bookId],
  );
}

/** Books whose statistics or search document are missing or older than the book. */
export async function staleBookIds(db: SqlClient, limit: number): Promise<string[]> {
  const rows = await queryRows(
    db,
    z.object({ id: Id }),
    `SELECT b.id::text AS id
       FROM books b
       LEFT JOIN book_stats s ON s.book_id = b.id
       LEFT JOIN book_search_documents d ON d.book_id = b.id
      WHERE s.book_id IS NULL OR d.book_id IS NULL OR s.source_revision < b.revision OR d.source_revision < b.revision
      ORDER BY b.updated_at
      LIMIT $1::int8`,
    [limit],
  );
  return rows.map((row) => row.id);
}

/** Recomputes up to `limit` stale books (the admin reconcile and the worker's scheduled upkeep). */
export async function reconcileStaleBooks(db: SqlClient, limit: number): Promise<{ checked: number; repaired: number; more: boolean }> {
  const stale = await staleBookIds(db, limit);
  let repaired = 0;
  for (const bookId of stale) if (await recomputeBook(db, bookId)) repaired++;
  const more = (await staleBookIds(db, 1)).length > 0;
  return { checked: stale.length, repaired, more };
}

/** Marks a change that affects statistics or search; call it in the change's transaction. */
export async function bumpRevision(db: SqlClient, bookId: string): Promise<void> {
  await db.query('UPDATE books SET revision = revision + 1, updated_at = now() WHERE id = $1::text::uuid', [bookId]);
}
