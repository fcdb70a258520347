import { Conversation, ConversationMember, ConversationRole, Id, PageQuery, ConversationList, ConversationMemberList } from '@authorworks/domain';
import {
  CursorTimestamp,
  conflict,
  created,
  decodeCursor,
  defineRoute,
  forbidden,
  isoTimestamp,
  json,
  noContent,
  notFound,
  pageOf,
  queryOne,
  queryRows,
  sqlInt,
  transaction,
  unprocessable,
  type RequestContext,
  type SqlClient,
  type ThrottleRule,
} from '@authorworks/kit';
import { z } from 'zod';

/** Members a group may have, its creator included. */
export const MAX_GROUP_MEMBERS = 50;

/** Conversations one user may start per minute: each can put items in other people's streams. */
export const CONVERSATIONS_PER_MINUTE = 30;

const createThrottle: ThrottleRule<RequestContext & { principal: { userId: string } }>[] = [
  {
    name: 'conversations',
    key: (context) => `messaging:conversations:${context.principal.userId}`,
    limit: () => ({ limit: CONVERSATIONS_PER_MINUTE, windowSeconds: 60 }),
    // Only new conversations count: finding an existing direct or book one is given back after
    // the answer (while under the limit; over it, the request is refused before it is known).
    counts: (response) => response.status === 201,
  },
];

const Name = z.string().trim().min(1).max(100);

export const ConversationParams = z.object({ id: Id });
export const MemberParams = z.object({ id: Id, userId: Id });

export const CreateConversationRequest = z.discriminatedUnion('kind', [
  /** The conversation of the caller and `userId`; asking again returns the same one. */
  z.strictObject({ kind: z.literal('direct'), userId: Id }),
  z.strictObject({ kind: z.literal('group'), name: Name, memberIds: z.array(Id).max(MAX_GROUP_MEMBERS - 1).default([]) }),
  /** The conversation of a book's people (its author and accepted collaborators); one per book. */
  z.strictObject({ kind: z.literal('book'), bookId: Id, name: Name.optional() }),
]);

export const UpdateConversationRequest = z.strictObject({ name: Name });
export const AddMemberRequest = z.strictObject({ userId: Id, role: ConversationRole.default('member') });
export const MarkReadRequest = z.strictObject({
  /** Everything up to this message seq counts as read; the newest message when absent. */
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

/** Columns of a Conversation as member `m` sees it, from `conversation_members m JOIN conversations c`. */
const CONVERSATION_COLUMNS = `c.id::text AS id, c.kind, c.name, c.book_id::text AS "bookId", c.created_by::text AS "createdBy",
  (SELECT count(*) FROM conversation_members x WHERE x.conversation_id = c.id)::int AS "memberCount",
  c.last_seq AS "lastSeq", ${isoTimestamp('c.last_message_at')} AS "lastMessageAt", m.last_read_seq AS "lastReadSeq",
  (SELECT count(*) FROM messages g
    WHERE g.conversation_id = c.id AND g.seq > m.last_read_seq AND g.sender_id <> m.user_id AND g.deleted_at IS NULL)::int AS "unreadCount",
  ${isoTimestamp('c.created_at')} AS "createdAt",
  to_char(COALESCE(c.last_message_at, c.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS "sortKey"`;

const ConversationRow = Conversation.extend({ lastSeq: sqlInt, lastReadSeq: sqlInt, sortKey: z.string() });

function withoutSortKey({ sortKey: _sortKey, ...conversation }: z.output<typeof ConversationRow>): Conversation {
  return conversation;
}

/** The conversation as `userId` sees it, or null when they are not a member (or it does not exist). */
export async function selectConversation(db: SqlClient, id: string, userId: string): Promise<Conversation | null> {
  const row = await queryOne(
    db,
    ConversationRow,
    `SELECT ${CONVERSATION_COLUMNS} FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
      WHERE m.conversation_id = $1::text::uuid AND m.user_id = $2::text::uuid`,
    [id, userId],
  );
  return row ? withoutSortKey(row) : null;
}

const Membership = z.object({ kind: z.enum(['direct', 'group', 'book']), role: ConversationRole, lastSeq: sqlInt });
export type Membership = z.output<typeof Membership>;

/**
 * The caller's membership of a conversation; 404 when they are not a member, the same answer as
 * for an id that does not exist (a conversation's existence is its members' business).
 * `lock` takes the conversation row (posting numbers messages under it).
 */
export async function requireMember(db: SqlClient, conversationId: string, userId: string, options: { lock?: boolean } = {}): Promise<Membership> {
  const membership = await queryOne(
    db,
    Membership,
    `SELECT c.kind, m.role, c.last_seq AS "lastSeq" FROM conversations c
       JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = $2::text::uuid
      WHERE c.id = $1::text::uuid ${options.lock ? 'FOR UPDATE OF c' : ''}`,
    [conversationId, userId],
  );
  if (!membership) throw notFound('No conversation with that id');
  return membership;
}

async function insertMembers(tx: SqlClient, conversationId: string, members: readonly { userId: string; role: 'admin' | 'member' }[]): Promise<void> {
  await tx.query(
    `INSERT INTO conversation_members (conversation_id, user_id, role)
     SELECT $1::text::uuid, (e->>'userId')::uuid, e->>'role' FROM json_array_elements($2::text::json) AS e
     ON CONFLICT DO NOTHING`,
    [conversationId, JSON.stringify(members)],
  );
}

async function createdOrExisting(db: SqlClient, id: string, userId: string, isNew: boolean): Promise<Response> {
  const conversation = await selectConversation(db, id, userId);
  if (!conversation) throw notFound('No conversation with that id');
  return isNew ? created(conversation, `/v1/messaging/conversations/${id}`) : json(conversation);
}

export const createConversation = defineRoute({
  body: CreateConversationRequest,
  auth: 'required',
  throttle: createThrottle,
  responses: { 200: Conversation, 201: Conversation },
  errors: { 404: 'No book with that id among the caller\'s books', 422: '`self_conversation`: a direct conversation needs another person' },
}, async (context) => {
  const me = context.principal.userId;
  const body = context.body;
  const db = context.db();
  if (body.kind === 'direct') {
    if (body.userId === me) throw unprocessable('self_conversation', 'A direct conversation needs another person');
    const [first, second] = [me, body.userId].sort() as [string, string];
    // The unique direct_key makes the pair race-safe: a concurrent second insert waits for the
    // first to commit, does nothing, and then reads the winner's row.
    const outcome = await transaction(db, async (tx) => {
      const { rows } = await tx.query(
        `INSERT INTO conversations (kind, direct_key, created_by) VALUES ('direct', $1::text, $2::text::uuid)
         ON CONFLICT (direct_key) DO NOTHING RETURNING id::text AS id`,
        [`${first}:${second}`, me],
      );
      if (rows[0]) {
        const id = String(rows[0].id);
        await insertMembers(tx, id, [
          { userId: first, role: 'member' },
          { userId: second, role: 'member' },
        ]);
        return { id, isNew: true };
      }
      const existing = await queryOne(tx, z.object({ id: z.string() }), `SELECT id::text AS id FROM conversations WHERE direct_key = $1::text`, [`${first}:${second}`]);
      return { id: existing!.id, isNew: false };
    });
    return createdOrExisting(db, outcome.id, me, outcome.isNew);
  }

  if (body.kind === 'group') {
    const others = [...new Set(body.memberIds)].filter((id) => id !== me);
    const id = await transaction(db, async (tx) => {
      const row = await queryOne(
        tx,
        z.object({ id: z.string() }),
        `INSERT INTO conversations (kind, name, created_by) VALUES ('group', $1::text, $2::text::uuid) RETURNING id::text AS id`,
        [body.name, me],
      );
      await insertMembers(tx, row!.id, [{ userId: me, role: 'admin' }, ...others.map((userId) => ({ userId, role: 'member' as const }))]);
      return row!.id;
    });
    return createdOrExisting(db, id, me, true);
  }

  // A book's conversation: only its people may open it, and its members are its people.
  const outcome = await transaction(db, async (tx) => {
    const people = await queryRows(
      tx,
      z.object({ userId: z.string(), role: z.string() }),
      `SELECT user_id::text AS "userId", role FROM book_people WHERE book_id = $1::text::uuid ORDER BY user_id`,
      [body.bookId],
    );
    if (!people.some((person) => person.userId === me)) throw notFound('No book with that id among your books');
    const { rows } = await tx.query(
      `INSERT INTO conversations (kind, name, book_id, created_by) VALUES ('book', $1::text, $2::text::uuid, $3::text::uuid)
       ON CONFLICT (book_id) WHERE kind = 'book' DO NOTHING RETURNING id::text AS id`,
      [body.name ?? null, body.bookId, me],
    );
    if (rows[0]) {
      const id = String(rows[0].id);
      await insertMembers(tx, id, people.map((person) => ({ userId: person.userId, role: person.role === 'author' ? 'admin' : 'member' })));
      return { id, isNew: true };
    }
    const existing = await queryOne(tx, z.object({ id: z.string() }), `SELECT id::text AS id FROM conversations WHERE book_id = $1::text::uuid AND kind = 'book'`, [body.bookId]);
    return { id: existing!.id, isNew: false };
  });
  return createdOrExisting(db, outcome.id, me, outcome.isNew);
});

const ListCursor = z.strictObject({ t: CursorTimestamp, i: Id });

/** The caller's conversations, most recently active first, each with its unread count. */
export const listConversations = defineRoute({
  query: PageQuery,
  auth: 'required',
  responses: { 200: ConversationList },
  errors: { 400: '`invalid_cursor`' },
}, async (context) => {
  const after = decodeCursor(ListCursor, context.query.cursor);
  const rows = await queryRows(
    context.db(),
    ConversationRow,
    `SELECT ${CONVERSATION_COLUMNS} FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
      WHERE m.user_id = $1::text::uuid
        AND ($2::text IS NULL OR (COALESCE(c.last_message_at, c.created_at), c.id) < (($2::text || 'Z')::timestamptz, $3::text::uuid))
      ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id DESC LIMIT $4::int8`,
    [context.principal.userId, after?.t ?? null, after?.i ?? null, context.query.limit + 1],
  );
  const page = pageOf(rows, context.query.limit, (last) => ({ t: last.sortKey, i: last.id }));
  return json({ items: page.items.map(withoutSortKey), nextCursor: page.nextCursor });
});

export const getConversation = defineRoute({
  params: ConversationParams,
  auth: 'required',
  responses: { 200: Conversation },
  errors: { 404: 'No conversation with that id of which the caller is a member' },
}, async (context) => {
  const conversation = await selectConversation(context.db(), context.params.id, context.principal.userId);
  if (!conversation) throw notFound('No conversation with that id');
  return json(conversation);
});

/** Renames a group; only its admins may. */
export const updateConversation = defineRoute({
  params: ConversationParams,
  body: UpdateConversationRequest,
  auth: 'required',
  responses: { 200: Conversation },
  errors: {
    403: 'Only the conversation\'s admins may rename it',
    404: 'No conversation with that id of which the caller is a member',
    422: '`not_renamable`: a direct conversation has no name',
  },
}, async (context) => {
  const db = context.db();
  const me = context.principal.userId;
  await transaction(db, async (tx) => {
    const membership = await requireMember(tx, context.params.id, me, { lock: true });
    if (membership.kind === 'direct') throw unprocessable('not_renamable', 'A direct conversation has no name');
    if (membership.role !== 'admin') throw forbidden("Only the conversation's admins may rename it");
    await tx.query('UPDATE conversations SET name = $2::text, updated_at = now() WHERE id = $1::text::uuid', [context.params.id, context.body.name]);
  });
  return json(await selectConversation(db, context.params.id, me));
});

const MEMBER_COLUMNS = `user_id::text AS "userId", role, last_read_seq AS "lastReadSeq", ${isoTimestamp('joined_at')} AS "joinedAt"`;
const MemberRow = ConversationMember.extend({ lastReadSeq: sqlInt });
const MemberCursor = z.strictObject({ u: Id });

export const listMembers = defineRoute({
  params: ConversationParams,
  query: PageQuery,
  auth: 'required',
  responses: { 200: ConversationMemberList },
  errors: { 400: '`invalid_cursor`', 404: 'No conversation with that id of which the caller is a member' },
}, async (context) => {
  const db = context.db();
  await requireMember(db, context.params.id, context.principal.userId);
  const after = decodeCursor(MemberCursor, context.query.cursor);
  const rows = await queryRows(
    db,
    MemberRow,
    `SELECT ${MEMBER_COLUMNS} FROM conversation_members
      WHERE conversation_id = $1::text::uuid AND ($2::text IS NULL OR user_id > $2::text::uuid)
      ORDER BY user_id LIMIT $3::int8`,
    [context.params.id, after?.u ?? null, context.query.limit + 1],
  );
  return json(pageOf(rows, context.query.limit, (last) => ({ u: last.userId })));
});

/** Adds someone to a group; only its admins may, up to MAX_GROUP_MEMBERS. */
export const addMember = defineRoute({
  params: ConversationParams,
  body: AddMemberRequest,
  auth: 'required',
  responses: { 201: ConversationMember },
  errors: {
    403: 'Only the group\'s admins may add members',
    404: 'No conversation with that id of which the caller is a member',
    409: '`already_member`',
    422: '`not_a_group`: only a group\'s members are chosen; `group_full`',
  },
}, async (context) => {
  const db = context.db();
  const member = await transaction(db, async (tx) => {
    const membership = await requireMember(tx, context.params.id, context.principal.userId, { lock: true });
    if (membership.kind !== 'group') throw unprocessable('not_a_group', "Only a group's members are chosen; a direct or book conversation's are given");
    if (membership.role !== 'admin') throw forbidden("Only the group's admins may add members");
    const count = await queryOne(tx, z.object({ n: sqlInt }), 'SELECT count(*)::int AS n FROM conversation_members WHERE conversation_id = $1::text::uuid', [context.params.id]);
    if (count!.n >= MAX_GROUP_MEMBERS) throw unprocessable('group_full', `A group has at most ${MAX_GROUP_MEMBERS} members`);
    const added = await queryOne(
      tx,
      MemberRow,
      `INSERT INTO conversation_members (conversation_id, user_id, role) VALUES ($1::text::uuid, $2::text::uuid, $3::text)
       ON CONFLICT DO NOTHING RETURNING ${MEMBER_COLUMNS}`,
      [context.params.id, context.body.userId, context.body.role],
    );
    if (!added) throw conflict('already_member', 'That user is already a member');
    return added;
  });
  return created(member, `/v1/messaging/conversations/${context.params.id}/members/${member.userId}`);
});

/**
 * Removes a member from a group: an admin removes anyone, anyone removes themselves (leaves).
 * A group left without an admin gets its longest-standing member as one. The removed member no
 * longer sees the conversation, nor hears of its new messages.
 */
export const removeMember = defineRoute({
  params: MemberParams,
  auth: 'required',
  responses: { 204: null },
  errors: {
    403: 'Only the group\'s admins may remove others',
    404: 'No conversation of the caller with that id, or the user is not a member',
    422: '`not_a_group`: only a group\'s members are chosen',
  },
}, async (context) => {
  const me = context.principal.userId;
  const leaving = context.params.userId === me;
  await transaction(context.db(), async (tx) => {
    const membership = await requireMember(tx, context.params.id, me, { lock: true });
    if (membership.kind !== 'group') throw unprocessable('not_a_group', "Only a group's members are chosen; a direct or book conversation's are given");
    if (!leaving && membership.role !== 'admin') throw forbidden("Only the group's admins may remove members");
    const { rows } = await tx.query(
      'DELETE FROM conversation_members WHERE conversation_id = $1::text::uuid AND user_id = $2::text::uuid RETURNING 1 AS removed',
      [context.params.id, context.params.userId],
    );
    if (rows.length === 0) throw notFound('That user is not a member');
    await tx.query(
      `UPDATE conversation_members SET role = 'admin'
        WHERE conversation_id = $1::text::uuid
          AND NOT EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = $1::text::uuid AND role = 'admin')
          AND user_id = (SELECT user_id FROM conversation_members WHERE conversation_id = $1::text::uuid ORDER BY joined_at, user_id LIMIT 1)`,
      [context.params.id],
    );
  });
  return noContent();
});

/** Moves the caller's read position forward (never back) to `seq`, or to the newest message. */
export const markRead = defineRoute({
  params: ConversationParams,
  body: MarkReadRequest,
  auth: 'required',
  responses: { 200: Conversation },
  errors: { 404: 'No conversation with that id of which the caller is a member' },
}, async (context) => {
  const db = context.db();
  const me = context.principal.userId;
  const membership = await requireMember(db, context.params.id, me);
  const seq = Math.min(context.body.seq ?? membership.lastSeq, membership.lastSeq);
  await db.query(
    `UPDATE conversation_members SET last_read_seq = GREATEST(last_read_seq, $3::int8)
      WHERE conversation_id = $1::text::uuid AND user_id = $2::text::uuid`,
    [context.params.id, me, seq],
  );
  return json(await selectConversation(db, context.params.id, me));
});
