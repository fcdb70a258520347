import {
  BookParams,
  Collaborator,
  CollaboratorParams,
  ContentEventType,
  InviteCollaboratorRequest,
  InviteParams,
  PageQuery,
  Channel,
  CollaboratorList,
} from '@authorworks/domain';
import {
  CursorTimestamp,
  conflict,
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
  unprocessable,
  type RouteContext,
  type SqlClient,
  defineRoute,
  changeWithEvents,
} from '@authorworks/kit';
import { z } from 'zod';
import { accessErrors, loadBookAccess, requireBookAccess } from './access.ts';
import { contentEvent } from './outbox.ts';

const COLLABORATOR_COLUMNS = `k.id::text AS id, k.book_id::text AS "bookId", k.user_id::text AS "userId", k.role, k.status,
  k.invited_by::text AS "invitedBy", ${isoTimestamp('k.invited_at')} AS "invitedAt", ${isoTimestamp('k.accepted_at')} AS "acceptedAt",
  to_char(k.invited_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS "sortKey"`;

const CollaboratorRow = Collaborator.extend({ sortKey: z.string() });

/** An invite as its invitee sees it: which book it is for. */
export const Invite = Collaborator.extend({ bookTitle: z.string() });

function withoutSortKey<Row extends { sortKey: string }>({ sortKey: _sortKey, ...rest }: Row): Omit<Row, 'sortKey'> {
  return rest;
}

async function selectCollaborator(db: SqlClient, id: string): Promise<Collaborator> {
  const row = await queryOne(db, CollaboratorRow, `SELECT ${COLLABORATOR_COLUMNS} FROM collaborators k WHERE k.id = $1::text::uuid`, [id]);
  if (!row) throw notFound('No invite with that id');
  return withoutSortKey(row);
}

const Cursor = z.object({ t: CursorTimestamp, i: z.uuid() });

/** The people on a book, pending invites included; only the book's own people (and admins) see it. */
export const listCollaborators = defineRoute({
  params: BookParams,
  query: PageQuery,
  auth: 'required',
  responses: { 200: CollaboratorList },
  errors: {
    400: '`invalid_cursor`',
    403: 'Only the book\'s author and collaborators may see its collaborators',
    ...accessErrors('book'),
  },
}, async (context) => {
  const db = context.db();
  const access = await requireBookAccess(db, { book: context.params.id }, context.principal, 'read');
  if (access.permissions.role === null && !context.principal.roles.includes('admin')) {
    throw forbidden("Only the book's author and collaborators may see its collaborators");
  }
  const after = decodeCursor(Cursor, context.query.cursor);
  const rows = await queryRows(
    db,
    CollaboratorRow,
    `SELECT ${COLLABORATOR_COLUMNS} FROM collaborators k
      WHERE k.book_id = $1::text::uuid
        AND ($2::text IS NULL OR (k.invited_at, k.id) > (($2::text || 'Z')::timestamptz, $3::text::uuid))
      ORDER BY k.invited_at, k.id LIMIT $4::int8`,
    [access.bookId, after?.t ?? null, after?.i ?? null, context.query.limit + 1],
  );
  const page = pageOf(rows, context.query.limit, (last) => ({ t: last.sortKey, i: last.id }));
  return json({ items: page.items.map(withoutSortKey), nextCursor: page.nextCursor });
});

/**
 * Invites a user (by id; the user service owns accounts) with a role. Inviting someone who declined
 * earlier renews the invite; someone already pending or accepted is a 409.
 */
export const inviteCollaborator = defineRoute({
  params: BookParams,
  body: InviteCollaboratorRequest,
  auth: 'required',
  responses: { 201: Collaborator },
  errors: {
    ...accessErrors('book', 'manage'),
    409: '`already_invited`: the user is already invited or collaborating',
    422: '`already_author`: the author cannot be invited',
  },
}, async (context) => {
  const { userId, role } = context.body;
  const invite = await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const access = await requireBookAccess(tx, { book: context.params.id }, context.principal, 'manage', { lock: true });
    if (userId === access.authorId) throw unprocessable('already_author', 'The author already has every right on the book');
    const { rows } = await tx.query(
      `INSERT INTO collaborators (book_id, user_id, role, invited_by) VALUES ($1::text::uuid, $2::text::uuid, $3::text, $4::text::uuid)
       ON CONFLICT (book_id, user_id) DO UPDATE
          SET role = EXCLUDED.role, status = 'pending', invited_by = EXCLUDED.invited_by, invited_at = now(), accepted_at = NULL
        WHERE collaborators.status = 'declined'
       RETURNING id::text AS id`,
      [access.bookId, userId, role, context.principal.userId],
    );
    if (rows.length === 0) throw conflict('already_invited', 'That user is already invited to or collaborating on this book');
    const invite = await selectCollaborator(tx, String(rows[0]!.id));
    await emit({
      type: ContentEventType.collaboratorInvited,
      subject: invite.id,
      data: { inviteId: invite.id, bookId: access.bookId, bookTitle: access.title, userId, role, invitedBy: context.principal.userId },
    });
    return invite;
  });
  return created(invite, `/v1/content/books/${invite.bookId}/collaborators/${invite.userId}`);
});

/** Removes a collaborator (or withdraws an invite); anyone may also remove themselves. */
export const removeCollaborator = defineRoute({
  params: CollaboratorParams,
  auth: 'required',
  responses: { 204: null },
  errors: {
    403: 'The caller may read the book but not manage collaborators (author or owner only)',
    404: 'No such book the caller may read, or the user is not a collaborator on it',
  },
}, async (context) => {
  await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const leaving = context.params.userId === context.principal.userId;
    const access = leaving
      ? await loadBookAccess(tx, { book: context.params.id }, context.principal, { lock: true })
      : await requireBookAccess(tx, { book: context.params.id }, context.principal, 'manage', { lock: true });
    // Leaving, the caller may have no right to learn the book exists: a private book they are not
    // on and an id that does not exist must get the same answer.
    const notOnBook = () => notFound('You are not a collaborator on a book with that id');
    if (!access) throw leaving ? notOnBook() : notFound('No book with that id');
    const { rows } = await tx.query(
      'DELETE FROM collaborators WHERE book_id = $1::text::uuid AND user_id = $2::text::uuid RETURNING id::text AS id',
      [access.bookId, context.params.userId],
    );
    if (rows.length === 0) throw leaving ? notOnBook() : notFound('That user is not a collaborator on this book');
    await emit(
      contentEvent(ContentEventType.deleted, {
        entity: 'collaborator',
        id: String(rows[0]!.id),
        bookId: access.bookId,
        authorId: access.authorId,
        actorId: context.principal.userId,
      }),
    );
  });
  return noContent();
});

/** My pending invites, with the title of each book. */
export const listMyInvites = defineRoute({
  query: PageQuery,
  auth: 'required',
  responses: { 200: CollaboratorList },
  errors: { 400: '`invalid_cursor`' },
}, async (context) => {
  const after = decodeCursor(Cursor, context.query.cursor);
  const rows = await queryRows(
    context.db(),
    CollaboratorRow.extend({ bookTitle: z.string() }),
    `SELECT ${COLLABORATOR_COLUMNS}, b.title AS "bookTitle" FROM collaborators k JOIN books b ON b.id = k.book_id
      WHERE k.user_id = $1::text::uuid AND k.status = 'pending'
        AND ($2::text IS NULL OR (k.invited_at, k.id) > (($2::text || 'Z')::timestamptz, $3::text::uuid))
      ORDER BY k.invited_at, k.id LIMIT $4::int8`,
    [context.principal.userId, after?.t ?? null, after?.i ?? null, context.query.limit + 1],
  );
  const page = pageOf(rows, context.query.limit, (last) => ({ t: last.sortKey, i: last.id }));
  return json({ items: page.items.map(withoutSortKey), nextCursor: page.nextCursor });
});

/** Only the invitee may answer; to anyone else the invite does not exist. */
async function answerInvite(context: RouteContext<typeof InviteParams, undefined, undefined, 'required'>, answer: 'accepted' | 'declined') {
  const invite = await changeWithEvents(context, Channel.contentEvents, async (tx, emit) => {
    const { rows } = await tx.query(
      `SELECT k.status, k.user_id::text AS "userId", b.author_id::text AS "authorId"
         FROM collaborators k JOIN books b ON b.id = k.book_id
        WHERE k.id = $1::text::uuid FOR UPDATE OF k`,
      [context.params.id],
    );
    const row = rows[0];
    if (!row || row.userId !== context.principal.userId) throw notFound('No invite with that id');
    if (row.status !== 'pending') throw conflict('invite_not_pending', `This invite was already ${String(row.status)}`);
    await tx.query(
      `UPDATE collaborators SET status = $2::text, accepted_at = CASE WHEN $2::text = 'accepted' THEN now() END WHERE id = $1::text::uuid`,
      [context.params.id, answer],
    );
    const invite = await selectCollaborator(tx, context.params.id);
    if (answer === 'accepted') {
      await emit({
        type: ContentEventType.collaboratorAccepted,
        subject: invite.id,
        data: { inviteId: invite.id, bookId: invite.bookId, userId: invite.userId, role: invite.role },
      });
    } else {
      await emit(
        contentEvent(ContentEventType.updated, {
          entity: 'collaborator',
          id: invite.id,
          bookId: invite.bookId,
          authorId: String(row.authorId),
          actorId: context.principal.userId,
          changed: ['status'],
        }),
      );
    }
    return invite;
  });
  return json(invite);
}

export const acceptInvite = defineRoute({
  params: InviteParams,
  auth: 'required',
  responses: { 200: Collaborator },
  errors: { 404: 'No invite of the caller with that id', 409: '`invite_not_pending`: already answered' },
}, (context) => answerInvite(context, 'accepted'));
export const declineInvite = defineRoute({
  params: InviteParams,
  auth: 'required',
  responses: { 200: Collaborator },
  errors: { 404: 'No invite of the caller with that id', 409: '`invite_not_pending`: already answered' },
}, (context) => answerInvite(context, 'declined'));
