import { CatalogEntry, CatalogQuery, CatalogList } from '@authorworks/domain';
import {
  CursorTimestamp,
  decodeCursor,
  isoTimestamp,
  json,
  pageOf,
  queryRows,
  sqlInt,
  sqlJson,
  defineRoute,
} from '@authorworks/kit';
import { z } from 'zod';

// The public catalog: published books with visibility public, never unlisted or private ones
// (checked on the live books row, so a stale search document cannot leak a book). Search uses the
// worker's tsvector documents (GIN-indexed) with websearch syntax: words, "phrases", -exclusions.

const CatalogRow = CatalogEntry.extend({
  tags: sqlJson(z.array(z.string())),
  wordCount: sqlInt,
  readingTimeMinutes: sqlInt,
  chapterCount: sqlInt,
  rank: z.number().nullable(),
  sortKey: z.string(),
});

const ENTRY_COLUMNS = `b.id::text AS id, b.author_id::text AS "authorId", b.title, b.description, b.genre,
  array_to_json(b.tags)::text AS tags, b.content_type AS "contentType", b.cover_file_id::text AS "coverFileId", b.language,
  COALESCE(s.word_count, 0) AS "wordCount", COALESCE(s.reading_time_minutes, 0) AS "readingTimeMinutes",
  COALESCE(s.chapter_count, 0) AS "chapterCount", ${isoTimestamp('b.published_at')} AS "publishedAt",
  to_char(b.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS "sortKey"`;

const FILTERS = `b.status = 'published' AND b.visibility = 'public'
  AND ($1::text IS NULL OR lower(b.genre) = lower($1::text))
  AND ($2::text IS NULL OR b.content_type = $2::text)
  AND ($3::text IS NULL OR b.language = $3::text)`;

/** Ranked results page by offset (ranks tie and shift); browsing pages by publication time. */
const SearchCursor = z.object({ o: z.number().int().min(0).max(10_000) });
const BrowseCursor = z.object({ t: CursorTimestamp, i: z.uuid() });

export const searchCatalog = defineRoute({
  query: CatalogQuery,
  auth: 'optional',
  responses: { 200: CatalogList },
  errors: { 400: '`invalid_cursor`' },
}, async (context) => {
  const { q, genre, contentType, language, limit, cursor } = context.query;
  const filters = [genre ?? null, contentType ?? null, language ?? null];
  const strip = ({ sortKey: _sortKey, ...entry }: z.output<typeof CatalogRow>): CatalogEntry => entry;
  if (q !== undefined) {
    const offset = decodeCursor(SearchCursor, cursor)?.o ?? 0;
    const rows = await queryRows(
      context.db(),
      CatalogRow,
      `SELECT ${ENTRY_COLUMNS}, ts_rank(d.document, query)::float8 AS rank
         FROM websearch_to_tsquery('english', $4::text) query
         JOIN book_search_documents d ON d.document @@ query
         JOIN books b ON b.id = d.book_id
         LEFT JOIN book_stats s ON s.book_id = b.id
        WHERE ${FILTERS}
        ORDER BY rank DESC, b.published_at DESC, b.id DESC
        LIMIT $5::int8 OFFSET $6::int8`,
      [...filters, q, limit + 1, offset],
    );
    const page = pageOf(rows, limit, () => ({ o: offset + limit }));
    return json({ items: page.items.map(strip), nextCursor: page.nextCursor });
  }
  const after = decodeCursor(BrowseCursor, cursor);
  const rows = await queryRows(
    context.db(),
    CatalogRow,
    `SELECT ${ENTRY_COLUMNS}, NULL::float8 AS rank
       FROM books b LEFT JOIN book_stats s ON s.book_id = b.id
      WHERE ${FILTERS}
        AND ($4::text IS NULL OR (b.published_at, b.id) < (($4::text || 'Z')::timestamptz, $5::text::uuid))
      ORDER BY b.published_at DESC, b.id DESC
      LIMIT $6::int8`,
    [...filters, after?.t ?? null, after?.i ?? null, limit + 1],
  );
  const page = pageOf(rows, limit, (last) => ({ t: last.sortKey, i: last.id }));
  return json({ items: page.items.map(strip), nextCursor: page.nextCursor });
});
