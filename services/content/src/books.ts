import {
  Book,
  BookListQuery,
  BookParams,
  ContentEventType,
  Id,
  CreateBookRequest,
  UpdateBookRequest,
  Channel,
  BookList,
  BookPermissions,
} from '@authorworks/domain';
import {
  CursorTimestamp,
  created,
  decodeCursor,
  forbidden,
  isoTimestamp,
  json,
  noContent,
  notFound,
  pageOf,
  queryOne,
  queryRows,
  sqlInt,
  sqlJson,
  unprocessable,
  type SqlClient,
  type SqlParam,
  defineRoute,
  changeWithEvents,
} from '@authorworks/kit';
import { z } from 'zod';
import { accessErrors, loadBookAccess, requireBookAccess, selectReadable, type ReadableQuery } from './access.ts';
import { BookStats, bumpRevision, readBookStats, recomputeBook } from './book-stats.ts';
import { contentEvent } from './outbox.ts';


/** Columns of a Book, from `books b LEFT JOIN book_stats s` (the statistics are the worker's). */
export const BOOK_COLUMNS = `b.id::text AS id, b.author_id::text AS "authorId", b.title, b.description, b.genre,
  array_to_json(b.tags)::text AS tags, b.content_type AS "contentType", b.visibility, b.status,
  b.cover_file_id::text AS "coverFileId", b.language,
  COALESCE(s.word_count, 0) AS "wordCount", COALESCE(s.reading_time_minutes, 0) AS "readingTimeMinutes",
  COALESCE(s.chapter_count, 0) AS "chapterCount",
  ${isoTimestamp('b.published_at')} AS "publishedAt", ${isoTimestamp('b.created_at')} AS "createdAt",
  ${isoTimestamp('b.updated_at')} AS "updatedAt"`;

export const BookRow = Book.extend({
  tags: sqlJson(z.array(z.string())),
  wordCount: sqlInt,
  readingTimeMinutes: sqlInt,
  chapterCount: sqlInt,
});

/** A book as a read route sees it: its statistics and, added by `selectReadable`, the caller's access. */
const READABLE_BOOK: ReadableQuery = { columns: BOOK_COLUMNS, from: 'books b LEFT JOIN book_stats s ON s.book_id = b.id', where: 'b.id = $1::text::uuid' };

export async function selectBook(db: SqlClient, id: string): Promise<Book> {
  const book = await queryOne(
    db,
    BookRow,
    `SELECT ${BOOK_COLUMNS} FROM books b LEFT JOIN book_stats s ON s.book_id = b.id WHERE b.id = $1::text::uuid`,
    [id],
  );
  if (!book) throw notFound('No book with that id');
  return book;
}

function bookEvent(type: Parameters<typeof contentEvent>[0], book: { id: string; authorId: string }, actorId: string, changed?: string[]) {
  return contentEvent(type, { entity: 'book', id: book.id, bookId: book.id, authorId: book.authorId, actorId, ...(changed ? { changed } : {}) });
}

export const createBook = defineRoute({ body: CreateBookRequest, auth: 'required', responses: { 201: Book } }, async (context) => {
  const body = context.body;
  const book = await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const { rows } = await tx.query(
      `INSERT INTO books (author_id, title, description, genre, tags, content_type, visibility, cover_file_id, language)
       VALUES ($1::text::uuid, $2::text, $3::text, $4::text, ARRAY(SELECT jsonb_array_elements_text($5::text::jsonb)),
               $6::text, $7::text, $8::text::uuid, $9::text)
       RETURNING id::text AS id`,
      [context.principal.userId, body.title, body.description, body.genre, JSON.stringify(body.tags), body.contentType, body.visibility, body.coverFileId, body.language],
    );
    const book = await selectBook(tx, String(rows[0]!.id));
    await emit(bookEvent(ContentEventType.created, book, context.principal.userId));
    return book;
  });
  return created(book, `/v1/content/books/${book.id}`);
});

const BookCursor = z.object({ t: CursorTimestamp, i: Id });

/** Books I author and/or collaborate on (accepted invites), newest first. */
export const listBooks = defineRoute({ query: BookListQuery, auth: 'required', responses: { 200: BookList }, errors: { 400: '`invalid_cursor`' } }, async (context) => {
  const { scope, status, visibility, contentType, limit, cursor } = context.query;
  const after = decodeCursor(BookCursor, cursor);
  const shared = `EXISTS (SELECT 1 FROM collaborators c WHERE c.book_id = b.id AND c.user_id = $1::text::uuid AND c.status = 'accepted')`;
  const mine = `b.author_id = $1::text::uuid`;
  const scopeCondition = scope === 'mine' ? mine : scope === 'shared' ? shared : `(${mine} OR ${shared})`;
  const rows = await queryRows(
    context.db(),
    BookRow.extend({ sortKey: z.string() }),
    `SELECT ${BOOK_COLUMNS}, to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS "sortKey"
       FROM books b LEFT JOIN book_stats s ON s.book_id = b.id
      WHERE ${scopeCondition}
        AND ($2::text IS NULL OR b.status = $2::text)
        AND ($3::text IS NULL OR b.visibility = $3::text)
        AND ($4::text IS NULL OR b.content_type = $4::text)
        AND ($5::text IS NULL OR (b.created_at, b.id) < (($5::text || 'Z')::timestamptz, $6::text::uuid))
      ORDER BY b.created_at DESC, b.id DESC
      LIMIT $7::int8`,
    [context.principal.userId, status ?? null, visibility ?? null, contentType ?? null, after?.t ?? null, after?.i ?? null, limit + 1],
  );
  const page = pageOf(rows, limit, (last) => ({ t: last.sortKey, i: last.id }));
  return json({ items: page.items.map(({ sortKey: _sortKey, ...book }) => book), nextCursor: page.nextCursor });
});

export const getBook = defineRoute({
  params: BookParams,
  auth: 'optional',
  responses: { 200: Book },
  errors: accessErrors('book'),
}, async (context) => {
  const { row } = await selectReadable(context.db(), BookRow, READABLE_BOOK, context.params.id, context.principal, 'book');
  return json(row);
});

/** Field → column and SQL cast; the keys are the (strict) schema's, never free text. */
const BOOK_UPDATES: Record<keyof UpdateBookRequest, string> = {
  title: 'title = $V::text',
  description: 'description = $V::text',
  genre: 'genre = $V::text',
  tags: 'tags = ARRAY(SELECT jsonb_array_elements_text($V::text::jsonb))',
  contentType: 'content_type = $V::text',
  visibility: 'visibility = $V::text',
  status: 'status = $V::text',
  coverFileId: 'cover_file_id = $V::text::uuid',
  language: 'language = $V::text',
};

export const updateBook = defineRoute({
  params: BookParams,
  body: UpdateBookRequest,
  auth: 'required',
  responses: { 200: Book },
  errors: accessErrors('book', 'write'),
}, async (context) => {
  const body = context.body;
  const book = await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { book: context.params.id }, context.principal, 'write', { lock: true });
    const sets: string[] = [];
    const params: SqlParam[] = [context.params.id];
    for (const [field, value] of Object.entries(body) as [keyof UpdateBookRequest, unknown][]) {
      params.push(field === 'tags' ? JSON.stringify(value) : (value as SqlParam));
      sets.push(BOOK_UPDATES[field].replace('$V', `$${params.length}`));
    }
    // A status other than `published` takes the book out of the catalog.
    const leavesPublished = body.status !== undefined && access.status === 'published';
    if (leavesPublished) sets.push('published_at = NULL');
    await tx.query(`UPDATE books SET ${sets.join(', ')}, updated_at = now() WHERE id = $1::text::uuid`, params);
    await bumpRevision(tx, access.bookId);
    const book = await selectBook(tx, access.bookId);
    await emit(bookEvent(ContentEventType.updated, book, context.principal.userId, Object.keys(body)));
    if (leavesPublished) await emit(bookEvent(ContentEventType.unpublished, book, context.principal.userId));
    return book;
  });
  return json(book);
});

export const deleteBook = defineRoute({
  params: BookParams,
  auth: 'required',
  responses: { 204: null },
  errors: accessErrors('book', 'delete'),
}, async (context) => {
  await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { book: context.params.id }, context.principal, 'delete', { lock: true });
    await tx.query('DELETE FROM books WHERE id = $1::text::uuid', [access.bookId]);
    await emit(bookEvent(ContentEventType.deleted, { id: access.bookId, authorId: access.authorId }, context.principal.userId));
  });
  return noContent();
});

export const publishBook = defineRoute({
  params: BookParams,
  auth: 'required',
  responses: { 200: Book },
  errors: {
    ...accessErrors('book', 'publish'),
    422: '`book_private`: a private book cannot be published',
  },
}, async (context) => {
  const book = await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { book: context.params.id }, context.principal, 'publish', { lock: true });
    if (access.visibility === 'private') {
      throw unprocessable('book_private', 'A private book cannot be published; set its visibility to public or unlisted first');
    }
    if (access.status === 'published') return selectBook(tx, access.bookId);
    await tx.query(`UPDATE books SET status = 'published', published_at = now() WHERE id = $1::text::uuid`, [access.bookId]);
    await bumpRevision(tx, access.bookId);
    const book = await selectBook(tx, access.bookId);
    await emit(bookEvent(ContentEventType.published, book, context.principal.userId, ['status']));
    return book;
  });
  return json(book);
});

export const unpublishBook = defineRoute({
  params: BookParams,
  auth: 'required',
  responses: { 200: Book },
  errors: accessErrors('book', 'publish'),
}, async (context) => {
  const book = await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { book: context.params.id }, context.principal, 'publish', { lock: true });
    if (access.status !== 'published') return selectBook(tx, access.bookId);
    await tx.query(`UPDATE books SET status = 'draft', published_at = NULL WHERE id = $1::text::uuid`, [access.bookId]);
    await bumpRevision(tx, access.bookId);
    const book = await selectBook(tx, access.bookId);
    await emit(bookEvent(ContentEventType.unpublished, book, context.principal.userId, ['status']));
    return book;
  });
  return json(book);
});

export const PermissionsQuery = z.object({ userId: Id.optional() });

/**
 * "What may this user do on this book", for other services. A user asks about themselves; only an
 * admin (or a service holding an admin token) may ask about someone else.
 */
export const bookPermissions = defineRoute({
  params: BookParams,
  query: PermissionsQuery,
  auth: 'required',
  responses: { 200: BookPermissions },
  errors: { 403: 'Only an admin may ask about another user', ...accessErrors('book') },
}, async (context) => {
  const asked = context.query.userId ?? context.principal.userId;
  const isAdmin = context.principal.roles.includes('admin');
  if (asked !== context.principal.userId && !isAdmin) throw forbidden('Only admins may ask about another user');
  const access = await loadBookAccess(
    context.db(),
    { book: context.params.id },
    context.principal,
    asked === context.principal.userId ? {} : { asUser: asked },
  );
  if (!access || (!isAdmin && !access.permissions.canRead)) throw notFound('No book with that id');
  return json(access.permissions);
});

/** The book's statistics, recomputed first when they are missing or older than the book. */
export const getBookStats = defineRoute({
  params: BookParams,
  auth: 'optional',
  responses: { 200: BookStats },
  errors: accessErrors('book'),
}, async (context) => {
  const db = context.db();
  await requireBookAccess(db, { book: context.params.id }, context.principal, 'read');
  let stats = await readBookStats(db, context.params.id);
  if (stats?.stale) {
    await recomputeBook(db, context.params.id);
    stats = await readBookStats(db, context.params.id);
  }
  return json(stats);
});

export const recomputeBookStats = defineRoute({
  params: BookParams,
  auth: 'required',
  responses: { 200: BookStats },
  errors: accessErrors('book'),
}, async (context) => {
  const db = context.db();
  await requireBookAccess(db, { book: context.params.id }, context.principal, 'read');
  await recomputeBook(db, context.params.id);
  return json(await readBookStats(db, context.params.id));
});
