import { Conversation, ConversationMember, Message, Page } from '@authorworks/domain';
import type { TestApp } from '@authorworks/spin-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, direct, expectError, expectJson, group, newUser, post, startMessagingApp } from './messaging-app.ts';

let app: TestApp;

beforeAll(async () => {
  app = await startMessagingApp({ variables: { messages_per_minute: '5' } });
});
afterAll(async () => {
  await app?.close();
});

const Messages = Page(Message);
const Conversations = Page(Conversation);

describe('direct conversations', () => {
  it('has exactly the two people, and asking again (from either side, at once) returns the same one', async () => {
    const ada = newUser();
    const bob = newUser();
    const first = await direct(app, ada, bob);
    expect(first).toMatchObject({ kind: 'direct', memberCount: 2, lastSeq: 0, unreadCount: 0 });
    const again = await direct(app, bob, ada, 200);
    expect(again.id).toBe(first.id);

    // Concurrent creation of a new pair: one conversation, whoever wins.
    const cy = newUser();
    const dee = newUser();
    const answers = await Promise.all([
      call(app, 'POST', '/conversations', cy, { kind: 'direct', userId: dee.id }),
      call(app, 'POST', '/conversations', dee, { kind: 'direct', userId: cy.id }),
      call(app, 'POST', '/conversations', cy, { kind: 'direct', userId: dee.id }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 201]);
    expect(new Set(answers.map((a) => (a.body as { id: string }).id)).size).toBe(1);

    await expectError(call(app, 'POST', '/conversations', ada, { kind: 'direct', userId: ada.id }), 422, 'self_conversation');
    await expectError(call(app, 'POST', `/conversations/${first.id}/members`, ada, { userId: cy.id }), 422, 'not_a_group');
  });

  it('is invisible to a third user: reading, posting, listing members all answer 404', async () => {
    const ada = newUser();
    const bob = newUser();
    const eve = newUser();
    const conversation = await direct(app, ada, bob);
    const message = await post(app, ada, conversation.id, 'hello Bob');
    await expectError(call(app, 'GET', `/conversations/${conversation.id}`, eve), 404);
    await expectError(call(app, 'GET', `/conversations/${conversation.id}/messages`, eve), 404);
    await expectError(call(app, 'GET', `/conversations/${conversation.id}/members`, eve), 404);
    await expectError(call(app, 'POST', `/conversations/${conversation.id}/messages`, eve, { text: 'let me in' }), 404);
    await expectError(call(app, 'PUT', `/conversations/${conversation.id}/read`, eve, {}), 404);
    await expectError(call(app, 'GET', `/messages/${message.id}`, eve), 404);
    await expectError(call(app, 'PATCH', `/messages/${message.id}`, eve, { text: 'mine now' }), 404);
    await expectError(call(app, 'DELETE', `/messages/${message.id}`, eve), 404);
    await expectError(call(app, 'GET', `/conversations/${conversation.id}`, null), 401);
    const eves = await expectJson(call(app, 'GET', '/conversations', eve), 200, Conversations);
    expect(eves.items).toEqual([]);
    // Bob sees it, with one unread message.
    const bobs = await expectJson(call(app, 'GET', `/conversations/${conversation.id}`, bob), 200, Conversation);
    expect(bobs).toMatchObject({ unreadCount: 1, lastSeq: 1, lastReadSeq: 0 });
  });
});

describe('groups', () => {
  it('admins add and remove members; members cannot; a removed member stops seeing it', async () => {
    const admin = newUser();
    const member = newUser();
    const newcomer = newUser();
    const conversation = await group(app, admin, [member], 'Editors');
    expect(conversation).toMatchObject({ kind: 'group', name: 'Editors', memberCount: 2 });

    await expectError(call(app, 'POST', `/conversations/${conversation.id}/members`, member, { userId: newcomer.id }), 403);
    await expectError(call(app, 'PATCH', `/conversations/${conversation.id}`, member, { name: 'Mine' }), 403);
    const added = await expectJson(call(app, 'POST', `/conversations/${conversation.id}/members`, admin, { userId: newcomer.id }), 201, ConversationMember);
    expect(added).toMatchObject({ userId: newcomer.id, role: 'member' });
    await expectError(call(app, 'POST', `/conversations/${conversation.id}/members`, admin, { userId: newcomer.id }), 409, 'already_member');
    const renamed = await expectJson(call(app, 'PATCH', `/conversations/${conversation.id}`, admin, { name: 'Editors 2' }), 200, Conversation);
    expect(renamed.name).toBe('Editors 2');

    await post(app, admin, conversation.id, 'before removal');
    await expectError(call(app, 'DELETE', `/conversations/${conversation.id}/members/${newcomer.id}`, member), 403);
    expect((await call(app, 'DELETE', `/conversations/${conversation.id}/members/${newcomer.id}`, admin)).status).toBe(204);
    await post(app, admin, conversation.id, 'after removal');
    await expectError(call(app, 'GET', `/conversations/${conversation.id}/messages`, newcomer), 404);
    await expectError(call(app, 'POST', `/conversations/${conversation.id}/messages`, newcomer, { text: 'still here?' }), 404);
    const members = await expectJson(call(app, 'GET', `/conversations/${conversation.id}/members`, member), 200, Page(ConversationMember));
    expect(members.items.map((m) => m.userId).sort()).toEqual([admin.id, member.id].sort());
  });

  it('makes the longest-standing member admin when the last admin leaves', async () => {
    const admin = newUser();
    const member = newUser();
    const conversation = await group(app, admin, [member]);
    expect((await call(app, 'DELETE', `/conversations/${conversation.id}/members/${admin.id}`, admin)).status).toBe(204);
    const members = await expectJson(call(app, 'GET', `/conversations/${conversation.id}/members`, member), 200, Page(ConversationMember));
    expect(members.items).toEqual([expect.objectContaining({ userId: member.id, role: 'admin' })]);
  });

  it('throttles starting conversations per user (30 a minute); finding an existing one does not use the allowance', async () => {
    const busy = newUser();
    const friend = newUser();
    await direct(app, busy, friend);
    // Found again: given back to the allowance.
    await direct(app, busy, friend, 200);
    await direct(app, busy, friend, 200);
    const made = await Promise.all(Array.from({ length: 29 }, (_, i) => call(app, 'POST', '/conversations', busy, { kind: 'group', name: `Group ${i}` })));
    expect(made.map((reply) => reply.status)).toEqual(Array.from({ length: 29 }, () => 201));
    const refused = await call(app, 'POST', '/conversations', busy, { kind: 'group', name: 'One too many' });
    await expectError(refused, 429, 'too_many_requests');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('bounds the members a group may have', async () => {
    const admin = newUser();
    const many = Array.from({ length: 50 }, () => newUser());
    await expectError(call(app, 'POST', '/conversations', admin, { kind: 'group', name: 'Crowd', memberIds: many.map((m) => m.id) }), 400);
    const conversation = await group(app, admin, many.slice(0, 49), 'Full');
    expect(conversation.memberCount).toBe(50);
    await expectError(call(app, 'POST', `/conversations/${conversation.id}/members`, admin, { userId: many[49]!.id }), 422, 'group_full');
  });
});

describe('messages', () => {
  it('pages newest first, continues since a seq oldest first, and keeps threads', async () => {
    const ada = newUser();
    const bob = newUser();
    const conversation = await direct(app, ada, bob);
    const sent: Message[] = [];
    for (const [who, text] of [[ada, 'one'], [bob, 'two'], [ada, 'three'], [bob, 'four']] as const) sent.push(await post(app, who, conversation.id, text));
    expect(sent.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    const reply = await post(app, bob, conversation.id, 'a reply to one', sent[0]!.id);
    const replyToReply = await post(app, ada, conversation.id, 'a reply to the reply', reply.id);
    expect(reply.parentId).toBe(sent[0]!.id);
    expect(replyToReply.parentId).toBe(sent[0]!.id);

    const page1 = await expectJson(call(app, 'GET', `/conversations/${conversation.id}/messages?limit=4`, bob), 200, Messages);
    expect(page1.items.map((m) => m.seq)).toEqual([6, 5, 4, 3]);
    const page2 = await expectJson(call(app, 'GET', `/conversations/${conversation.id}/messages?limit=4&cursor=${page1.nextCursor}`, bob), 200, Messages);
    expect(page2.items.map((m) => m.text)).toEqual(['two', 'one']);
    expect(page2.nextCursor).toBeNull();

    const since = await expectJson(call(app, 'GET', `/conversations/${conversation.id}/messages?since=2&limit=2`, bob), 200, Messages);
    expect(since.items.map((m) => m.seq)).toEqual([3, 4]);
    const rest = await expectJson(call(app, 'GET', `/conversations/${conversation.id}/messages?limit=2&cursor=${since.nextCursor}`, bob), 200, Messages);
    expect(rest.items.map((m) => m.seq)).toEqual([5, 6]);

    const thread = await expectJson(call(app, 'GET', `/conversations/${conversation.id}/messages?parentId=${sent[0]!.id}`, ada), 200, Messages);
    expect(thread.items.map((m) => m.id)).toEqual([replyToReply.id, reply.id]);

    const other = await direct(app, ada, newUser());
    await expectError(call(app, 'POST', `/conversations/${other.id}/messages`, ada, { text: 'x', parentId: sent[0]!.id }), 422, 'unknown_parent');
  });

  it('lets only the sender edit or delete; a deleted message keeps its place without its text', async () => {
    const ada = newUser();
    const bob = newUser();
    const conversation = await direct(app, ada, bob);
    const message = await post(app, ada, conversation.id, 'a typo');
    await expectError(call(app, 'PATCH', `/messages/${message.id}`, bob, { text: 'not yours' }), 403);
    await expectError(call(app, 'DELETE', `/messages/${message.id}`, bob), 403);
    const edited = await expectJson(call(app, 'PATCH', `/messages/${message.id}`, ada, { text: 'no typo' }), 200, Message);
    expect(edited).toMatchObject({ text: 'no typo', edited: true, deleted: false });
    expect(edited.editedAt).not.toBeNull();
    expect((await call(app, 'DELETE', `/messages/${message.id}`, ada)).status).toBe(204);
    const deleted = await expectJson(call(app, 'GET', `/messages/${message.id}`, bob), 200, Message);
    expect(deleted).toMatchObject({ text: '', deleted: true, seq: 1 });
    await expectError(call(app, 'PATCH', `/messages/${message.id}`, ada, { text: 'back' }), 409, 'message_deleted');
  });

  it('counts unread messages per member and moves read positions forward only', async () => {
    const ada = newUser();
    const bob = newUser();
    const conversation = await direct(app, ada, bob);
    for (const text of ['a', 'b', 'c']) await post(app, ada, conversation.id, text);
    const deletedOne = await post(app, ada, conversation.id, 'd');
    await call(app, 'DELETE', `/messages/${deletedOne.id}`, ada);
    const forBob = await expectJson(call(app, 'GET', `/conversations/${conversation.id}`, bob), 200, Conversation);
    expect(forBob).toMatchObject({ unreadCount: 3, lastReadSeq: 0, lastSeq: 4 });
    expect(await expectJson(call(app, 'GET', `/conversations/${conversation.id}`, ada), 200, Conversation)).toMatchObject({ unreadCount: 0, lastReadSeq: 4 });

    const partly = await expectJson(call(app, 'PUT', `/conversations/${conversation.id}/read`, bob, { seq: 2 }), 200, Conversation);
    expect(partly).toMatchObject({ unreadCount: 1, lastReadSeq: 2 });
    const back = await expectJson(call(app, 'PUT', `/conversations/${conversation.id}/read`, bob, { seq: 1 }), 200, Conversation);
    expect(back.lastReadSeq).toBe(2);
    const beyond = await expectJson(call(app, 'PUT', `/conversations/${conversation.id}/read`, bob, { seq: 999 }), 200, Conversation);
    expect(beyond).toMatchObject({ unreadCount: 0, lastReadSeq: 4 });
    const list = await expectJson(call(app, 'GET', '/conversations', bob), 200, Conversations);
    expect(list.items.find((c) => c.id === conversation.id)).toMatchObject({ unreadCount: 0 });
  });

  it('throttles posting per user with 429 and Retry-After (limit set to 5 per minute here)', async () => {
    const ada = newUser();
    const conversation = await direct(app, ada, newUser());
    for (let i = 0; i < 5; i++) await post(app, ada, conversation.id, `message ${i}`);
    const refused = await call(app, 'POST', `/conversations/${conversation.id}/messages`, ada, { text: 'one too many' });
    await expectError(refused, 429, 'too_many_requests');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user is not affected.
    const bob = newUser();
    await post(app, bob, (await direct(app, bob, ada)).id, 'still fine');
  });

  it('refuses bad input with the envelope: too long, blank, unknown fields, crafted cursors and ids', async () => {
    const ada = newUser();
    const conversation = await direct(app, ada, newUser());
    const path = `/conversations/${conversation.id}/messages`;
    await expectError(call(app, 'POST', path, ada, { text: 'x'.repeat(4001) }), 400);
    await expectError(call(app, 'POST', path, ada, { text: '   ' }), 400);
    await expectError(call(app, 'POST', path, ada, { text: 'hi', extra: true }), 400);
    await expectError(call(app, 'POST', path, ada, { text: 'nul \u0000 inside' }), 400);
    await expectError(call(app, 'POST', path, ada, '{"text": '), 400);
    await expectError(call(app, 'GET', `${path}?cursor=not-a-cursor`, ada), 400, 'invalid_cursor');
    const crafted = Buffer.from(JSON.stringify({ before: -1 })).toString('base64url');
    await expectError(call(app, 'GET', `${path}?cursor=${crafted}`, ada), 400, 'invalid_cursor');
    const huge = Buffer.from(JSON.stringify({ after: 1e30 })).toString('base64url');
    await expectError(call(app, 'GET', `${path}?cursor=${huge}`, ada), 400, 'invalid_cursor');
    await expectError(call(app, 'GET', `${path}?since=-1`, ada), 400);
    await expectError(call(app, 'GET', `${path}?limit=1000`, ada), 400);
    await expectError(call(app, 'GET', '/conversations/not-a-uuid', ada), 400);
    await expectError(call(app, 'POST', '/conversations', ada, { kind: 'channel' }), 400);
    await expectError(call(app, 'POST', '/conversations', ada, { kind: 'group', name: '' }), 400);
  });
});
