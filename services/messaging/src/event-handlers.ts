import {
  CollaboratorAcceptedEvent,
  CollaboratorInvitedEvent,
  CommentAddedData,
  ContentEventData,
  ContentEventType,
  Id,
  UserDeletedEvent,
  UserEventType,
} from '@authorworks/domain';
import { JobEventType, on, queryRows, type EventHandler, type SqlClient } from '@authorworks/kit';
import { z } from 'zod';
import { addBookPerson, forgetBook, forgetUser, removeBookPersonByInvite } from './book-people.ts';
import { notify } from './notifications.ts';

// What the messaging event processor does with each event type it hears (worker.ts binds these
// to Spin's Redis trigger). Every handler runs in the transaction that also records the event id
// as processed, so an event handled twice changes nothing the second time; data that does not
// match its schema is logged and dropped by the kit before a handler sees it.


/**
 * `job.completed` / `job.failed` as the kit's jobs record them (id, queue, kind), plus the
 * `ownerId` a producing service adds so that its owner can be told; without it the event is
 * dropped with a log line.
 */
export const JobOutcomeData = z.object({
  id: Id,
  queue: z.string().max(100),
  kind: z.string().max(100),
  ownerId: Id,
  error: z.string().max(2000).optional(),
});

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

async function bookAuthors(tx: SqlClient, bookId: string): Promise<string[]> {
  const rows = await queryRows(tx, z.object({ id: z.string() }), `SELECT user_id::text AS id FROM book_people WHERE book_id = $1::text::uuid AND role = 'author'`, [bookId]);
  return rows.map((row) => row.id);
}

/** Any content event names its book and author: the author is one of the book's people. */
const learnAuthor = on(ContentEventData, async (event, context) => {
  const tx = context.db();
  const { bookId, authorId, entity, id } = event.data;
  if (event.type === ContentEventType.deleted && entity === 'book') {
    await forgetBook(tx, bookId);
    return;
  }
  await addBookPerson(tx, bookId, authorId, 'author', null);
  if (event.type === ContentEventType.deleted && entity === 'collaborator') await removeBookPersonByInvite(tx, id);
});

const bookPublished = on(ContentEventData, async (event, context) => {
  const tx = context.db();
  await learnAuthor.handle(event, context);
  if (event.data.entity !== 'book') return;
  const followers = await queryRows(
    tx,
    z.object({ id: z.string() }),
    'SELECT follower_id::text AS id FROM follows WHERE followee_id = $1::text::uuid ORDER BY follower_id LIMIT 10000',
    [event.data.authorId],
  );
  for (const follower of followers) {
    await notify(tx, event.id, {
      userId: follower.id,
      type: 'book_published',
      title: 'A new book by someone you follow',
      body: 'A writer you follow has just published a book.',
      link: `/v1/content/books/${event.data.bookId}`,
    });
  }
});

const collaboratorInvited = on(CollaboratorInvitedEvent.shape.data, async (event, context) => {
  const tx = context.db();
  const { inviteId, bookId, bookTitle, userId, role, invitedBy } = event.data;
  await tx.query(
    `INSERT INTO book_invites (invite_id, book_id, book_title, invited_by) VALUES ($1::text::uuid, $2::text::uuid, $3::text, $4::text::uuid)
     ON CONFLICT (invite_id) DO UPDATE SET book_title = EXCLUDED.book_title, invited_by = EXCLUDED.invited_by`,
    [inviteId, bookId, shorten(bookTitle, 200), invitedBy],
  );
  await notify(tx, event.id, {
    userId,
    type: 'collaborator_invited',
    title: shorten(`You are invited to "${bookTitle}"`, 300),
    body: `You were invited as ${role}. Accept or decline the invite.`,
    link: `/v1/content/invites/${inviteId}`,
  });
});

const collaboratorAccepted = on(CollaboratorAcceptedEvent.shape.data, async (event, context) => {
  const tx = context.db();
  const { inviteId, bookId, userId, role } = event.data;
  await addBookPerson(tx, bookId, userId, role, inviteId);
  const invite = await queryRows(
    tx,
    z.object({ title: z.string(), invitedBy: z.string() }),
    `SELECT book_title AS title, invited_by::text AS "invitedBy" FROM book_invites WHERE invite_id = $1::text::uuid`,
    [inviteId],
  );
  // The book's author, and whoever sent the invite if that was someone else.
  const recipients = new Set([...(await bookAuthors(tx, bookId)), ...invite.map((row) => row.invitedBy)]);
  recipients.delete(userId);
  const title = invite[0] ? `"${invite[0].title}"` : 'your book';
  for (const recipient of recipients) {
    await notify(tx, event.id, {
      userId: recipient,
      type: 'invite_accepted',
      title: shorten(`Your invite to ${title} was accepted`, 300),
      body: `A collaborator joined as ${role}.`,
      link: `/v1/content/books/${bookId}/collaborators`,
    });
  }
});

/** `comment.added` (the editor's, `@authorworks/domain` CommentAddedData): the book's authors and the thread's earlier writers hear of it. */
const commentAdded = on(CommentAddedData, async (event, context) => {
  const { commentId, chapterId, bookId, authorId, threadParticipantIds, excerpt } = event.data;
  const recipients = new Set([...(await bookAuthors(context.db(), bookId)), ...threadParticipantIds]);
  recipients.delete(authorId);
  for (const recipient of [...recipients].sort()) {
    await notify(context.db(), event.id, {
      userId: recipient,
      type: 'comment_added',
      title: 'New comment on a chapter',
      body: shorten(excerpt || 'Someone commented.', 300),
      link: `/v1/editor/documents/${chapterId}/comments`,
    });
  }
});

function jobOutcome(failed: boolean) {
  return on(JobOutcomeData, async (event, context) => {
    const { id, queue, kind, ownerId, error } = event.data;
    await notify(context.db(), event.id, {
      userId: ownerId,
      type: failed ? 'job_failed' : 'job_finished',
      title: shorten(failed ? `Your ${kind} job failed` : `Your ${kind} job is done`, 300),
      body: failed ? shorten(error ?? 'It failed after its last attempt.', 300) : 'Its result is ready.',
      // A service's queue is `<svc>-jobs` and its owner routes are `/v1/<svc>/jobs/{id}` (kit ownerJobRoutes).
      link: /^[a-z]+-jobs$/.test(queue) ? `/v1/${queue.slice(0, -'-jobs'.length)}/jobs/${id}` : null,
    });
  });
}

const userDeleted = on(UserDeletedEvent.shape.data, async (event, context) => {
  await forgetUser(context.db(), event.data.id);
});

/** The processor's handlers by event type, whatever channel brings them. */
export const eventHandlers: Record<string, EventHandler<z.ZodType>> = {
  [ContentEventType.created]: learnAuthor,
  [ContentEventType.updated]: learnAuthor,
  [ContentEventType.unpublished]: learnAuthor,
  [ContentEventType.deleted]: learnAuthor,
  [ContentEventType.published]: bookPublished,
  [ContentEventType.collaboratorInvited]: collaboratorInvited,
  [ContentEventType.collaboratorAccepted]: collaboratorAccepted,
  'comment.added': commentAdded,
  [JobEventType.completed]: jobOutcome(false),
  [JobEventType.failed]: jobOutcome(true),
  [UserEventType.deleted]: userDeleted,
};

/** The channels the processor listens on (spin.toml has one Redis trigger per channel). */
export const CONSUMED_CHANNELS = ['user-events', 'content-events', 'editor-events', 'storage-events', 'media-events'] as const;
