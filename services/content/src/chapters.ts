import {
  BookParams,
  Chapter,
  ChapterContent,
  ChapterParams,
  ChapterVersion,
  ChapterVersionParams,
  ChapterVersionSummary,
  ContentEventType,
  countWords,
  CreateChapterRequest,
  MoveChapterRequest,
  PageQuery,
  PutChapterContentRequest,
  UpdateChapterRequest,
  Channel,
  ChapterList,
  ChapterPermissions,
  ChapterVersionList,
} from '@authorworks/domain';
import {
  CursorInteger,
  created,
  decodeCursor,
  isoTimestamp,
  json,
  noContent,
  notFound,
  pageOf,
  queryOne,
  queryRows,
  sqlInt,
  type SqlClient,
  type SqlParam,
  defineRoute,
  changeWithEvents,
} from '@authorworks/kit';
import { z } from 'zod';
import { accessErrors, requireBookAccess, rowOfBook, selectReadable, type BookAccess } from './access.ts';
import { bumpRevision } from './book-stats.ts';
import { contentEvent } from './outbox.ts';

import { CHAPTERS_IN_BOOK, closeGap, moveTo, openSlot } from './positions.ts';


const CHAPTER_COLUMNS = `id::text AS id, book_id::text AS "bookId", title, summary, position,
  current_version AS "currentVersion", word_count AS "wordCount",
  ${isoTimestamp('created_at')} AS "createdAt", ${isoTimestamp('updated_at')} AS "updatedAt"`;

const ChapterRow = Chapter.extend({ position: sqlInt, currentVersion: sqlInt, wordCount: sqlInt });

const SELECT_CHAPTER = `SELECT ${CHAPTER_COLUMNS} FROM chapters WHERE id = $1::text::uuid`;
const READABLE_CHAPTER = rowOfBook(SELECT_CHAPTER);

async function selectChapter(db: SqlClient, id: string): Promise<Chapter> {
  const chapter = await queryOne(db, ChapterRow, SELECT_CHAPTER, [id]);
  if (!chapter) throw notFound('No chapter with that id');
  return chapter;
}

function chapterEvent(type: Parameters<typeof contentEvent>[0], access: BookAccess, id: string, actorId: string, changed?: string[]) {
  return contentEvent(type, { entity: 'chapter', id, bookId: access.bookId, authorId: access.authorId, actorId, ...(changed ? { changed } : {}) });
}

export const createChapter = defineRoute({
  params: BookParams,
  body: CreateChapterRequest,
  auth: 'required',
  responses: { 201: Chapter },
  errors: accessErrors('book', 'write'),
}, async (context) => {
  const chapter = await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { book: context.params.id }, context.principal, 'write', { lock: true });
    const position = await openSlot(tx, CHAPTERS_IN_BOOK, access.bookId, context.body.position);
    const { rows } = await tx.query(
      `INSERT INTO chapters (book_id, title, summary, position) VALUES ($1::text::uuid, $2::text, $3::text, $4::int8)
       RETURNING id::text AS id`,
      [access.bookId, context.body.title, context.body.summary, position],
    );
    const id = String(rows[0]!.id);
    await bumpRevision(tx, access.bookId);
    await emit(chapterEvent(ContentEventType.created, access, id, context.principal.userId));
    return selectChapter(tx, id);
  });
  return created(chapter, `/v1/content/chapters/${chapter.id}`);
});

const PositionCursor = z.object({ p: CursorInteger });

export const listChapters = defineRoute({
  params: BookParams,
  query: PageQuery,
  auth: 'optional',
  responses: { 200: ChapterList },
  errors: { 400: '`invalid_cursor`', ...accessErrors('book') },
}, async (context) => {
  const db = context.db();
  const access = await requireBookAccess(db, { book: context.params.id }, context.principal, 'read');
  const after = decodeCursor(PositionCursor, context.query.cursor);
  const rows = await queryRows(
    db,
    ChapterRow,
    `SELECT ${CHAPTER_COLUMNS} FROM chapters WHERE book_id = $1::text::uuid AND position > $2::int8 ORDER BY position LIMIT $3::int8`,
    [access.bookId, after?.p ?? 0, context.query.limit + 1],
  );
  return json(pageOf(rows, context.query.limit, (last) => ({ p: last.position })));
});

/**
 * What the caller may do on a chapter (its book's permissions), for the editor service, which
 * knows chapters only: one call instead of reading the chapter and then its book. Whoever may
 * not read the book gets 404, as for every other chapter route.
 */
export const chapterPermissions = defineRoute({
  params: ChapterParams,
  auth: 'required',
  responses: { 200: ChapterPermissions },
  errors: accessErrors('chapter'),
}, async (context) => {
  const { row: chapter, access } = await selectReadable(context.db(), ChapterRow, READABLE_CHAPTER, context.params.id, context.principal, 'chapter');
  return json({ ...access.permissions, chapterId: chapter.id, currentVersion: chapter.currentVersion } satisfies ChapterPermissions);
});

export const getChapter = defineRoute({
  params: ChapterParams,
  auth: 'optional',
  responses: { 200: Chapter },
  errors: accessErrors('chapter'),
}, async (context) => {
  const { row } = await selectReadable(context.db(), ChapterRow, READABLE_CHAPTER, context.params.id, context.principal, 'chapter');
  return json(row);
});

export const updateChapter = defineRoute({
  params: ChapterParams,
  body: UpdateChapterRequest,
  auth: 'required',
  responses: { 200: Chapter },
  errors: accessErrors('chapter', 'write'),
}, async (context) => {
  const chapter = await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { chapter: context.params.id }, context.principal, 'write', { lock: true, what: 'chapter' });
    await tx.query(
      `UPDATE chapters SET title = COALESCE($2::text, title), summary = COALESCE($3::text, summary), updated_at = now()
        WHERE id = $1::text::uuid`,
      [context.params.id, context.body.title ?? null, context.body.summary ?? null],
    );
    // Chapter titles are part of the book's search document.
    await bumpRevision(tx, access.bookId);
    await emit(chapterEvent(ContentEventType.updated, access, context.params.id, context.principal.userId, Object.keys(context.body)));
    return selectChapter(tx, context.params.id);
  });
  return json(chapter);
});

export const deleteChapter = defineRoute({
  params: ChapterParams,
  auth: 'required',
  responses: { 204: null },
  errors: accessErrors('chapter', 'write'),
}, async (context) => {
  await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { chapter: context.params.id }, context.principal, 'write', { lock: true, what: 'chapter' });
    const { rows } = await tx.query('DELETE FROM chapters WHERE id = $1::text::uuid RETURNING position', [context.params.id]);
    await closeGap(tx, CHAPTERS_IN_BOOK, access.bookId, Number(rows[0]!.position));
    await bumpRevision(tx, access.bookId);
    await emit(chapterEvent(ContentEventType.deleted, access, context.params.id, context.principal.userId));
  });
  return noContent();
});

/** Moves a chapter; the book row lock makes concurrent moves of one book run one at a time. */
export const moveChapter = defineRoute({
  params: ChapterParams,
  body: MoveChapterRequest,
  auth: 'required',
  responses: { 200: Chapter },
  errors: accessErrors('chapter', 'write'),
}, async (context) => {
  const chapter = await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { chapter: context.params.id }, context.principal, 'write', { lock: true, what: 'chapter' });
    await moveTo(tx, CHAPTERS_IN_BOOK, context.params.id, context.body.position);
    await emit(chapterEvent(ContentEventType.updated, access, context.params.id, context.principal.userId, ['position']));
    return selectChapter(tx, context.params.id);
  });
  return json(chapter);
});

// ── Content versions ─────────────────────────────────────────────────────

const VERSION_SUMMARY_COLUMNS = `chapter_id::text AS "chapterId", version, format, author_id::text AS "authorId",
  word_count AS "wordCount", message, ${isoTimestamp('created_at')} AS "createdAt"`;
const VersionSummaryRow = ChapterVersionSummary.extend({ version: sqlInt, wordCount: sqlInt });
const VersionRow = ChapterVersion.extend({ version: sqlInt, wordCount: sqlInt });

// `bookId` is for `rowOfBook`; the schema drops it.
const SELECT_CONTENT = `SELECT c.id::text AS "chapterId", c.book_id::text AS "bookId", c.current_version AS version,
            COALESCE(v.content, '') AS content, COALESCE(v.format, 'markdown') AS format, v.author_id::text AS "authorId",
            ${isoTimestamp('v.created_at')} AS "updatedAt"
       FROM chapters c LEFT JOIN chapter_versions v ON v.chapter_id = c.id AND v.version = c.current_version
      WHERE c.id = $1::text::uuid`;
const ContentRow = ChapterContent.extend({ version: sqlInt });
const READABLE_CONTENT = rowOfBook(SELECT_CONTENT);

async function currentContent(db: SqlClient, chapterId: string): Promise<ChapterContent> {
  const content = await queryOne(db, ContentRow, SELECT_CONTENT, [chapterId]);
  if (!content) throw notFound('No chapter with that id');
  return content;
}

export const getChapterContent = defineRoute({
  params: ChapterParams,
  auth: 'optional',
  responses: { 200: ChapterContent },
  errors: accessErrors('chapter'),
}, async (context) => {
  const { row } = await selectReadable(context.db(), ContentRow, READABLE_CONTENT, context.params.id, context.principal, 'chapter');
  return json(row);
});

/**
 * 4 MiB of JSON: a chapter of 2 MiB of text (~400,000 words, beyond any real chapter) with room
 * for JSON escapes. The old 256 KiB cap existed because componentize-js 0.10 trapped on a host
 * value over ~256 KiB (a Postgres text parameter of 270 KB); 0.19 passes 5 MiB (Decision 5).
 * Spin buffers at most 128 MiB per host call, so this stays far inside what the host takes.
 */
export const CHAPTER_CONTENT_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Saves a new version if `baseVersion` is still the newest. The chapter row is locked (after the
 * book row, the order every writer uses), so of two saves on the same base exactly one wins and
 * the other gets 409 with the version it must merge with.
 */
export const putChapterContent = defineRoute({
  params: ChapterParams,
  body: PutChapterContentRequest,
  auth: 'required',
  maxBodyBytes: CHAPTER_CONTENT_MAX_BYTES,
  responses: { 200: ChapterVersionSummary },
  errors: {
    ...accessErrors('chapter', 'write'),
    409: '`version_conflict`: `baseVersion` is not the newest; the envelope\'s `error.current` is the current content',
  },
}, async (context) => {
  const { baseVersion, content, format, message } = context.body;
  const outcome = await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { chapter: context.params.id }, context.principal, 'write', { lock: true, what: 'chapter' });
    const { rows } = await tx.query('SELECT current_version FROM chapters WHERE id = $1::text::uuid FOR UPDATE', [context.params.id]);
    const current = Number(rows[0]!.current_version);
    if (baseVersion !== current) return { kind: 'conflict', current: await currentContent(tx, context.params.id) } as const;
    const version = current + 1;
    const words = countWords(content);
    await tx.query(
      `INSERT INTO chapter_versions (chapter_id, version, content, format, author_id, word_count, message)
       VALUES ($1::text::uuid, $2::int8, $3::text, $4::text, $5::text::uuid, $6::int8, $7::text)`,
      [context.params.id, version, content, format, context.principal.userId, words, message] satisfies SqlParam[],
    );
    await tx.query(
      'UPDATE chapters SET current_version = $2::int8, word_count = $3::int8, updated_at = now() WHERE id = $1::text::uuid',
      [context.params.id, version, words],
    );
    await bumpRevision(tx, access.bookId);
    await emit(chapterEvent(ContentEventType.updated, access, context.params.id, context.principal.userId, ['content']));
    const saved = await queryOne(
      tx,
      VersionSummaryRow,
      `SELECT ${VERSION_SUMMARY_COLUMNS} FROM chapter_versions WHERE chapter_id = $1::text::uuid AND version = $2::int8`,
      [context.params.id, version],
    );
    return { kind: 'saved', saved: saved! } as const;
  });
  if (outcome.kind === 'conflict') {
    // The error envelope plus `current`, so the client can merge without another round trip.
    return json(
      {
        error: {
          code: 'version_conflict',
          message: `Version ${baseVersion} is not the newest; the chapter is at version ${outcome.current.version}`,
          details: [{ path: 'body.baseVersion', message: `The current version is ${outcome.current.version}` }],
          current: outcome.current,
        },
      },
      { status: 409 },
    );
  }
  return json(outcome.saved);
});

const VersionCursor = z.object({ v: CursorInteger });

export const listChapterVersions = defineRoute({
  params: ChapterParams,
  query: PageQuery,
  auth: 'optional',
  responses: { 200: ChapterVersionList },
  errors: { 400: '`invalid_cursor`', ...accessErrors('chapter') },
}, async (context) => {
  const db = context.db();
  await requireBookAccess(db, { chapter: context.params.id }, context.principal, 'read', { what: 'chapter' });
  const after = decodeCursor(VersionCursor, context.query.cursor);
  const rows = await queryRows(
    db,
    VersionSummaryRow,
    `SELECT ${VERSION_SUMMARY_COLUMNS} FROM chapter_versions
      WHERE chapter_id = $1::text::uuid AND ($2::int8 IS NULL OR version < $2::int8)
      ORDER BY version DESC LIMIT $3::int8`,
    [context.params.id, after?.v ?? null, context.query.limit + 1],
  );
  return json(pageOf(rows, context.query.limit, (last) => ({ v: last.version })));
});

export const getChapterVersion = defineRoute({
  params: ChapterVersionParams,
  auth: 'optional',
  responses: { 200: ChapterVersion },
  errors: { 404: 'No chapter with that id the caller may read, or no such version of it' },
}, async (context) => {
  const db = context.db();
  await requireBookAccess(db, { chapter: context.params.id }, context.principal, 'read', { what: 'chapter' });
  const version = await queryOne(
    db,
    VersionRow,
    `SELECT ${VERSION_SUMMARY_COLUMNS}, content FROM chapter_versions WHERE chapter_id = $1::text::uuid AND version = $2::int8`,
    [context.params.id, context.params.version],
  );
  if (!version) throw notFound(`Chapter ${context.params.id} has no version ${context.params.version}`);
  return json(version);
});
