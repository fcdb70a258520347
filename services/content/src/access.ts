import { BookPermissions, CollaboratorRole, Id, type BookRole, type BookStatus, type Visibility } from '@authorworks/domain';
import { forbidden, notFound, queryOne, type Principal, type SqlClient } from '@authorworks/kit';
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
