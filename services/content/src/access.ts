import { BookPermissions, CollaboratorRole, Id, type BookRole, type BookStatus, type Visibility } from '@authorworks/domain';
import { forbidden, notFound, queryOne, RowShapeError, type Principal, type SqlClient } from '@authorworks/kit';
import { z } from 'zod';

const BookAccessRow = z.object({
  bookId: Id,
  authorId: Id,
  title: z.string(),
  status: z.string(),
  visibility: z.string(),
  collaboratorRole: CollaboratorRole.nullable(),
});

export interface BookAccess {
  bookId: string;
  authorId: string;
  title: string;
  status: BookStatus;
  visibility: Visibility;
  permissions: BookPermissions;
}

/**
 * The rules of the spec: read if published and public/unlisted, or author, or collaborator; write
 * if author or owner/editor; delete if author or admin. Admins may also read (they moderate and
 * delete, so they must see what they act on) but not write. Reviewers comment; viewers only read.
 */
export function permissionsFor(
  book: { bookId: string; authorId: string; status: string; visibility: string },
  userId: string | null,
  collaboratorRole: CollaboratorRole | null,
  isAdmin: boolean,
): BookPermissions {
  const role: BookRole | null = userId !== null && userId === book.authorId ? 'author' : collaboratorRole;
  const publiclyReadable = book.status === 'published' && book.visibility !== 'private';
  const writes = role === 'author' || role === 'owner' || role === 'editor';
  const governs = role === 'author' || role === 'owner';
  return {
    bookId: book.bookId,
    userId,
    role,
    canRead: publiclyReadable || role !== null || isAdmin,
    canComment: writes || role === 'reviewer',
    canWrite: writes,
    canPublish: governs,
    canManageCollaborators: governs,
    canDelete: role === 'author' || isAdmin,
  };
}

const ACCESS_COLUMNS = `b.id::text AS "bookId", b.author_id::text AS "authorId", b.title, b.status, b.visibility,
  c.role AS "collaboratorRole"`;

/**
 * Finds a book (by its own id, or through a chapter, scene or character) with the caller's
 * permissions on it. `lock` takes the book row FOR NO KEY UPDATE, which serialises the writers of
 * one book (chapter and scene positions, content saves) without blocking inserts that only
 * reference the book (the worker's statistics rows); it must be called inside a transaction.
 */
export async function loadBookAccess(
  db: SqlClient,
  via: { book: string } | { chapter: string } | { scene: string } | { character: string },
  principal: Principal | null,
  options: { lock?: boolean; asUser?: string } = {},
): Promise<BookAccess | null> {
  const [where, id] =
    'book' in via
      ? ['b.id = $1::text::uuid', via.book]
      : 'chapter' in via
        ? ['b.id = (SELECT book_id FROM chapters WHERE id = $1::text::uuid)', via.chapter]
        : 'scene' in via
          ? ['b.id = (SELECT book_id FROM scenes WHERE id = $1::text::uuid)', via.scene]
          : ['b.id = (SELECT book_id FROM characters WHERE id = $1::text::uuid)', via.character];
  const userId = options.asUser ?? principal?.userId ?? null;
  const row = await queryOne(
    db,
    BookAccessRow,
    `SELECT ${ACCESS_COLUMNS}
       FROM books b
       LEFT JOIN collaborators c ON c.book_id = b.id AND c.user_id = $2::text::uuid AND c.status = 'accepted'
      WHERE ${where}
      ${options.lock ? 'FOR NO KEY UPDATE OF b' : ''}`,
    [id, userId],
  );
  if (!row) return null;
  const isAdmin = options.asUser === undefined && (principal?.roles.includes('admin') ?? false);
  return {
    bookId: row.bookId,
    authorId: row.authorId,
    title: row.title,
    status: row.status as BookStatus,
    visibility: row.visibility as Visibility,
    permissions: permissionsFor(row, userId, row.collaboratorRole, isAdmin),
  };
}

/**
 * SQL condition: book `b` is readable by user `$<user>` (text, may be NULL) who is an admin when
 * `$<admin>` is true — the same rule as permissionsFor, for queries over many books.
 */
export function readableBookCondition(userParam: number, adminParam: number): string {
  return `((b.status = 'published' AND b.visibility <> 'private')
    OR b.author_id = $${userParam}::text::uuid
    OR EXISTS (SELECT 1 FROM collaborators k WHERE k.book_id = b.id AND k.user_id = $${userParam}::text::uuid AND k.status = 'accepted')
    OR $${adminParam}::bool)`;
}

/**
 * A read route's query: `columns` of one row over `from` (and `where`), in which the row's book is
 * `b` and `$1` is the id asked for. `$2` is the caller, for the collaborator join added to it.
 */
export interface ReadableQuery {
  columns: string;
  from: string;
  where?: string;
}

/**
 * The query of a row of another table (chapter, scene, character, ...) as a `ReadableQuery`: `sql`
 * selects at most one row by `$1` and names its book in a text column `"bookId"`.
 */
export function rowOfBook(sql: string): ReadableQuery {
  return { columns: 'e.*', from: `(${sql}) e JOIN books b ON b.id = e."bookId"::uuid` };
}

// The book's side of a readable row, under names no row of ours uses (the row's schema drops them).
const READ_ACCESS_COLUMNS = `b.id::text AS "accessBookId", b.author_id::text AS "accessAuthorId", b.title AS "accessTitle",
  b.status AS "accessStatus", b.visibility AS "accessVisibility", c.role AS "accessRole"`;

const ReadAccessRow = z.looseObject({
  accessBookId: Id,
  accessAuthorId: Id,
  accessTitle: z.string(),
  accessStatus: z.string(),
  accessVisibility: z.string(),
  accessRole: CollaboratorRole.nullable(),
});

/**
 * A row a read route answers with, and the caller's access to its book, in one query: the same
 * answers as `requireBookAccess(…, 'read')` followed by reading the row (404 `No <what> with that
 * id` when the row does not exist or its book is one the caller may not read, so private books stay
 * unknowable), for one database round trip instead of two — each is a host call the request waits
 * on (docs/decisions.md, Decision 14). Reads only: writers lock the book first (`lock`).
 */
export async function selectReadable<Schema extends z.ZodType>(
  db: SqlClient,
  schema: Schema,
  query: ReadableQuery,
  id: string,
  principal: Principal | null,
  what: string,
): Promise<{ row: z.output<Schema>; access: BookAccess }> {
  const sql = `SELECT ${query.columns}, ${READ_ACCESS_COLUMNS}
       FROM ${query.from}
       LEFT JOIN collaborators c ON c.book_id = b.id AND c.user_id = $2::text::uuid AND c.status = 'accepted'
      ${query.where ? `WHERE ${query.where}` : ''}`;
  const userId = principal?.userId ?? null;
  const found = await queryOne(db, ReadAccessRow, sql, [id, userId]);
  if (!found) throw notFound(`No ${what} with that id`);
  const book = { bookId: found.accessBookId, authorId: found.accessAuthorId, status: found.accessStatus, visibility: found.accessVisibility };
  const permissions = permissionsFor(book, userId, found.accessRole, principal?.roles.includes('admin') ?? false);
  if (!permissions.canRead) throw notFound(`No ${what} with that id`);
  const row = schema.safeParse(found);
  if (!row.success) throw new RowShapeError(row.error.issues, sql);
  return {
    row: row.data,
    access: { ...book, title: found.accessTitle, status: book.status as BookStatus, visibility: book.visibility as Visibility, permissions },
  };
}

export type Ability = 'read' | 'comment' | 'write' | 'publish' | 'manage' | 'delete';

const ABILITY: Record<Ability, keyof BookPermissions> = {
  read: 'canRead',
  comment: 'canComment',
  write: 'canWrite',
  publish: 'canPublish',
  manage: 'canManageCollaborators',
  delete: 'canDelete',
};

const DENIED: Record<Ability, string> = {
  read: 'You may not read this book',
  comment: 'Only the author and collaborators may comment on this book',
  write: 'Only the author and collaborators with the owner or editor role may change this book',
  publish: 'Only the author and collaborators with the owner role may publish this book',
  manage: 'Only the author and collaborators with the owner role may manage collaborators',
  delete: 'Only the author or an admin may delete this',
};

/**
 * The `errors` of a route behind `requireBookAccess`, for its spec: 404 for a caller who may not
 * read the book (or the `what` in it), 403 with the reason below for one who may read it but not
 * do `ability`.
 */
export function accessErrors(what: string, ability: Ability = 'read'): Record<number, string> {
  const errors: Record<number, string> = { 404: `No ${what} with that id, or none the caller may read` };
  if (ability !== 'read') errors[403] = DENIED[ability];
  return errors;
}

/**
 * The book if the caller may do `ability` on it. A caller who may not even read it gets 404, the
 * same answer as for a book that does not exist, so private books stay unknowable; a caller who
 * can read but not do more gets 403.
 */
export async function requireBookAccess(
  db: SqlClient,
  via: Parameters<typeof loadBookAccess>[1],
  principal: Principal | null,
  ability: Ability,
  options: { lock?: boolean; what?: string } = {},
): Promise<BookAccess> {
  const access = await loadBookAccess(db, via, principal, options.lock ? { lock: true } : {});
  const what = options.what ?? 'book';
  if (!access || !access.permissions.canRead) throw notFound(`No ${what} with that id`);
  if (!access.permissions[ABILITY[ability]]) throw forbidden(DENIED[ability]);
  return access;
}
