import { randomUUID } from 'node:crypto';
import { Conversation, ConversationMember, Notification, NotificationPreference, Page } from '@authorworks/domain';
import type { SqlClient, TestApp } from '@authorworks/spin-local';
import { signIn } from '@authorworks/spin-local/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AUTH_SECRET, DB_ADDRESS, call, direct, expectError, expectJson, group, newUser, post, startMessagingApp, type User } from './messaging-app.ts';

let app: TestApp;
let sql: SqlClient;

beforeAll(async () => {
  app = await startMessagingApp();
  sql = await app.sql(DB_ADDRESS);
});
afterAll(async () => {
  await sql?.close();
  await app?.close();
});

const Notifications = Page(Notification);

function envelope(type: string, data: unknown, id: string = randomUUID()) {
  return { id, type, source: 'test', time: new Date().toISOString(), subject: randomUUID(), data, correlationId: 'worker-test' };
}

async function publish(channel: string, event: unknown) {
  await app.publish(channel, typeof event === 'string' ? event : JSON.stringify(event));
}

async function notificationsOf(user: User, query = '') {
  return expectJson(call(app, 'GET', `/notifications${query}`, user), 200, Notifications);
}

const contentData = (fields: { bookId: string; authorId: string; entity?: string; id?: string }) => ({
  entity: fields.entity ?? 'book',
  id: fields.id ?? fields.bookId,
  bookId: fields.bookId,
  authorId: fields.authorId,
  actorId: fields.authorId,
  changed: [],
});

/** A book with an author and a collaborator who accepted, as content-events tell it. */
async function bookWithCollaborator(author: User, collaborator: User, title = 'The Night Mail') {
  const bookId = randomUUID();
  const inviteId = randomUUID();
  await publish('content-events', envelope('content.created', contentData({ bookId, authorId: author.id })));
  await publish('content-events', envelope('collaborator.invited', { inviteId, bookId, bookTitle: title, userId: collaborator.id, role: 'editor', invitedBy: author.id }));
  await publish('content-events', envelope('collaborator.accepted', { inviteId, bookId, userId: collaborator.id, role: 'editor' }));
  return { bookId, inviteId };
}

describe('notifications from events', () => {
  it('tells the invitee of an invite and the author of its acceptance, once per event', async () => {
    const author = newUser();
    const invitee = newUser();
    const bookId = randomUUID();
    const inviteId = randomUUID();
    await publish('content-events', envelope('content.created', contentData({ bookId, authorId: author.id })));
    const invited = envelope('collaborator.invited', { inviteId, bookId, bookTitle: 'The Night Mail', userId: invitee.id, role: 'editor', invitedBy: author.id });
    await publish('content-events', invited);
    await publish('content-events', invited);
    const forInvitee = await notificationsOf(invitee);
    expect(forInvitee.items).toEqual([
      expect.objectContaining({ type: 'collaborator_invited', title: 'You are invited to "The Night Mail"', read: false, link: `/v1/content/invites/${inviteId}` }),
    ]);
    await publish('content-events', envelope('collaborator.accepted', { inviteId, bookId, userId: invitee.id, role: 'editor' }));
    const forAuthor = await notificationsOf(author);
    expect(forAuthor.items).toEqual([expect.objectContaining({ type: 'invite_accepted', title: 'Your invite to "The Night Mail" was accepted' })]);
    expect((await notificationsOf(invitee)).items).toHaveLength(1);
    const marks = await sql.query(`SELECT count(*)::int AS n FROM processed_events WHERE consumer = 'messaging-worker' AND event_id = $1`, [invited.id]);
    expect(marks.rows[0]).toEqual({ n: 1 });
  });

  it('tells followers of a published book, the chapter author and thread of a comment, the owner of a job', async () => {
    const writer = newUser();
    const fan = newUser();
    const stranger = newUser();
    expect((await call(app, 'POST', `/follows/${writer.id}`, fan)).status).toBe(201);
    expect((await call(app, 'POST', `/follows/${writer.id}`, fan)).status).toBe(200);
    const follows = await expectJson(call(app, 'GET', '/follows', fan), 200, Page(z.object({ userId: z.string(), followedAt: z.string() })));
    expect(follows.items.map((f) => f.userId)).toEqual([writer.id]);
    const bookId = randomUUID();
    await publish('content-events', envelope('content.published', contentData({ bookId, authorId: writer.id })));
    await publish('content-events', envelope('content.published', contentData({ bookId, authorId: writer.id, entity: 'chapter', id: randomUUID() })));
    expect((await notificationsOf(fan)).items).toEqual([expect.objectContaining({ type: 'book_published', link: `/v1/content/books/${bookId}` })]);
    expect((await notificationsOf(stranger)).items).toEqual([]);
    expect((await notificationsOf(writer)).items).toEqual([]);

    const commenter = newUser();
    const participant = newUser();
    await publish('editor-events', envelope('comment.added', {
      // The editor's CommentAddedData: the book's author (learnt from content events above) and
      // the thread's earlier writers are told, the commenter is not.
      commentId: randomUUID(), bookId, chapterId: randomUUID(), parentId: randomUUID(), authorId: commenter.id,
      threadParticipantIds: [participant.id, commenter.id], excerpt: 'Lovely line',
    }));
    expect((await notificationsOf(writer)).items).toEqual([expect.objectContaining({ type: 'comment_added', body: 'Lovely line' })]);
    expect((await notificationsOf(participant)).items).toEqual([expect.objectContaining({ type: 'comment_added' })]);
    expect((await notificationsOf(commenter)).items).toEqual([]);

    const owner = newUser();
    const coverJob = randomUUID();
    await publish('media-events', envelope('job.completed', { id: coverJob, queue: 'graphics-jobs', kind: 'cover_render', attempts: 1, result: null, ownerId: owner.id }));
    await publish('storage-events', envelope('job.failed', { id: randomUUID(), queue: 'storage-jobs', kind: 'scan', attempts: 3, error: 'Error: boom', ownerId: owner.id }));
    const jobs = await notificationsOf(owner);
    expect(jobs.items.map((n) => [n.type, n.title, n.link]).sort()).toEqual([
      ['job_failed', 'Your scan job failed', expect.stringMatching(/^\/v1\/storage\/jobs\/[0-9a-f-]{36}$/)],
      // The owner's route for the job (kit ownerJobRoutes under the service of the queue).
      ['job_finished', 'Your cover_render job is done', `/v1/graphics/jobs/${coverJob}`],
    ]);
    expect((await call(app, 'DELETE', `/follows/${writer.id}`, fan)).status).toBe(204);
    await expectError(call(app, 'DELETE', `/follows/${writer.id}`, fan), 404);
    await expectError(call(app, 'POST', `/follows/${fan.id}`, fan), 422);
  });

  it('honours preferences: in-app off makes none, email on keeps one for later delivery', async () => {
    const user = newUser();
    const defaults = await expectJson(call(app, 'GET', '/notification-preferences', user), 200, z.object({ items: z.array(NotificationPreference) }));
    expect(defaults.items.find((p) => p.type === 'collaborator_invited')).toEqual({ type: 'collaborator_invited', inApp: true, email: false });
    await expectJson(call(app, 'PUT', '/notification-preferences/collaborator_invited', user, { inApp: false, email: true }), 200, NotificationPreference);
    await expectError(call(app, 'PUT', '/notification-preferences/no_such_type', user, { inApp: false, email: true }), 400);
    const invite = { inviteId: randomUUID(), bookId: randomUUID(), bookTitle: 'Quiet', userId: user.id, role: 'viewer', invitedBy: randomUUID() };
    await publish('content-events', envelope('collaborator.invited', invite));
    expect((await notificationsOf(user)).items).toEqual([]);
    const emails = await sql.query(`SELECT type, title FROM pending_emails WHERE user_id = $1::uuid`, [user.id]);
    expect(emails.rows).toEqual([{ type: 'collaborator_invited', title: 'You are invited to "Quiet"' }]);
  });

  it('lists unread ones, marks one or all read, deletes; never another user’s', async () => {
    const user = newUser();
    const other = newUser();
    for (const title of ['one', 'two', 'three']) {
      await publish('content-events', envelope('collaborator.invited', { inviteId: randomUUID(), bookId: randomUUID(), bookTitle: title, userId: user.id, role: 'viewer', invitedBy: randomUUID() }));
    }
    const page1 = await notificationsOf(user, '?limit=2');
    expect(page1.items.map((n) => n.title)).toEqual(['You are invited to "three"', 'You are invited to "two"']);
    const page2 = await notificationsOf(user, `?limit=2&cursor=${page1.nextCursor}`);
    expect(page2.items.map((n) => n.title)).toEqual(['You are invited to "one"']);
    const [newest] = page1.items;
    await expectError(call(app, 'POST', `/notifications/${newest!.id}/read`, other), 404);
    await expectError(call(app, 'DELETE', `/notifications/${newest!.id}`, other), 404);
    expect(await expectJson(call(app, 'POST', `/notifications/${newest!.id}/read`, user), 200, Notification)).toMatchObject({ read: true });
    expect((await notificationsOf(user, '?unread=true')).items).toHaveLength(2);
    expect(await expectJson(call(app, 'POST', '/notifications/read-all', user), 200, z.object({ marked: z.number() }))).toEqual({ marked: 2 });
    expect((await notificationsOf(user, '?unread=true')).items).toEqual([]);
    expect((await call(app, 'DELETE', `/notifications/${newest!.id}`, user)).status).toBe(204);
    expect((await notificationsOf(user)).items).toHaveLength(2);
    await expectError(call(app, 'GET', '/notifications?unread=yes', user), 400);
  });
});

describe('book conversations', () => {
  it('has the book’s people as members and follows them as they join and leave', async () => {
    const author = newUser();
    const editor = newUser();
    const outsider = newUser();
    const { bookId, inviteId } = await bookWithCollaborator(author, editor);
    await expectError(call(app, 'POST', '/conversations', outsider, { kind: 'book', bookId }), 404);
    const conversation = await expectJson(call(app, 'POST', '/conversations', editor, { kind: 'book', bookId, name: 'Night Mail room' }), 201, Conversation);
    expect(conversation).toMatchObject({ kind: 'book', bookId, memberCount: 2 });
    const again = await expectJson(call(app, 'POST', '/conversations', author, { kind: 'book', bookId }), 200, Conversation);
    expect(again.id).toBe(conversation.id);
    await post(app, author, conversation.id, 'welcome');

    // A second collaborator joins: a member from then on.
    const reviewer = newUser();
    const second = randomUUID();
    await publish('content-events', envelope('collaborator.invited', { inviteId: second, bookId, bookTitle: 'The Night Mail', userId: reviewer.id, role: 'reviewer', invitedBy: author.id }));
    await publish('content-events', envelope('collaborator.accepted', { inviteId: second, bookId, userId: reviewer.id, role: 'reviewer' }));
    const members = await expectJson(call(app, 'GET', `/conversations/${conversation.id}/members`, reviewer), 200, Page(ConversationMember));
    expect(members.items.map((m) => m.userId).sort()).toEqual([author.id, editor.id, reviewer.id].sort());
    expect(members.items.find((m) => m.userId === author.id)?.role).toBe('admin');

    // The editor is removed from the book: gone from the conversation.
    await publish('content-events', envelope('content.deleted', contentData({ bookId, authorId: author.id, entity: 'collaborator', id: inviteId })));
    await expectError(call(app, 'GET', `/conversations/${conversation.id}/messages`, editor), 404);
    await expectError(call(app, 'POST', `/conversations/${conversation.id}/members`, author, { userId: outsider.id }), 422, 'not_a_group');

    // The book is deleted: so is its conversation.
    await publish('content-events', envelope('content.deleted', contentData({ bookId, authorId: author.id })));
    await expectError(call(app, 'GET', `/conversations/${conversation.id}`, author), 404);
  });
});

describe('the processor and bad input', () => {
  it('logs and skips messages that are not events, unknown types and bad payloads, and keeps working', async () => {
    const user = newUser();
    const errorsBefore = app.logs.text('error').length;
    await publish('content-events', 'not json');
    await publish('content-events', JSON.stringify({ hello: 'world' }));
    await publish('user-events', envelope('user.exploded', { id: user.id }));
    await publish('content-events', envelope('collaborator.invited', { inviteId: 'nope', userId: user.id }));
    await publish('media-events', envelope('job.completed', { id: randomUUID(), queue: 'q', kind: 'k' }));
    let deep: unknown = 'x';
    for (let i = 0; i < 500; i++) deep = { deep };
    await publish('editor-events', envelope('comment.added', deep));
    await publish('content-events', envelope('collaborator.invited', { inviteId: randomUUID(), bookId: randomUUID(), bookTitle: 'nul\u0000', userId: user.id, role: 'viewer', invitedBy: randomUUID() }));
    expect(app.logs.text('error').length).toBe(errorsBefore);
    expect(app.logs.text().match(/dropped/g)?.length ?? 0).toBeGreaterThanOrEqual(5);
    await publish('content-events', envelope('collaborator.invited', { inviteId: randomUUID(), bookId: randomUUID(), bookTitle: 'Fine', userId: user.id, role: 'viewer', invitedBy: randomUUID() }));
    expect((await notificationsOf(user)).items.map((n) => n.title)).toEqual(['You are invited to "Fine"']);
  });

  it('forgets a deleted user: memberships, notifications, follows and stream', async () => {
    const doomed = signIn(AUTH_SECRET);
    const friend = newUser();
    const conversation = await direct(app, doomed, friend);
    const room = await group(app, friend, [doomed]);
    await post(app, friend, conversation.id, 'hi');
    await call(app, 'POST', `/follows/${friend.id}`, doomed);
    await publish('content-events', envelope('collaborator.invited', { inviteId: randomUUID(), bookId: randomUUID(), bookTitle: 'Soon gone', userId: doomed.id, role: 'viewer', invitedBy: friend.id }));
    expect((await notificationsOf(doomed)).items).toHaveLength(1);
    await publish('user-events', envelope('user.deleted', { id: doomed.id }));
    expect((await notificationsOf(doomed)).items).toEqual([]);
    await expectError(call(app, 'GET', `/conversations/${conversation.id}`, doomed), 404);
    expect(await expectJson(call(app, 'GET', `/conversations/${room.id}`, friend), 200, Conversation)).toMatchObject({ memberCount: 1 });
    const left = await sql.query(
      `SELECT (SELECT count(*) FROM follows WHERE follower_id = $1::uuid)::int AS follows, (SELECT count(*) FROM feed WHERE user_id = $1::uuid)::int AS feed`,
      [doomed.id],
    );
    expect(left.rows[0]).toEqual({ follows: 0, feed: 0 });
  });
});
