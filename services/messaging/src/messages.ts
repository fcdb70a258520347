import { Id, Message, PageQuery, MessageList } from '@authorworks/domain';
import {
  CursorInteger,
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
  sqlBool,
  sqlInt,
  transaction,
  unprocessable,
  type RequestContext,
  type SqlClient,
  type ThrottleRule,
} from '@authorworks/kit';
import { z } from 'zod';
import { ConversationParams, requireMember } from './conversations.ts';
import { appendFeed, memberIds } from './feed.ts';

/** Characters in one message. */
export const MAX_MESSAGE_CHARS = 4000;

const Text = z
  .string()
  .max(MAX_MESSAGE_CHARS)
  .refine((text) => text.trim().length > 0, 'A message needs some text');

export const PostMessageRequest = z.strictObject({
  text: Text,
  /** Replies in the thread of this message (a reply to a reply joins its thread's root). */
  parentId: Id.optional(),
});
export const EditMessageRequest = z.strictObject({ text: Text });
export const MessageParams = z.object({ id: Id });

export const MessageListQuery = PageQuery.extend({
  /** Oldest first, the messages after this seq (what a client that has seen `since` lacks). */
  since: z.coerce.number().int().min(0).max(2_147_483_647).optional(),
  /** Only the replies to this message (its thread). */
  parentId: Id.optional(),
});

const MESSAGE_COLUMNS = `g.id::text AS id, g.conversation_id::text AS "conversationId", g.seq, g.sender_id::text AS "senderId",
  g.parent_id::text AS "parentId", g.text, g.edited_at IS NOT NULL AS edited, g.deleted_at IS NOT NULL AS deleted,
  ${isoTimestamp('g.created_at')} AS "createdAt", ${isoTimestamp('g.edited_at')} AS "editedAt"`;

const MessageRow = Message.extend({ seq: sqlInt, edited: sqlBool, deleted: sqlBool });

async function selectMessage(db: SqlClient, id: string): Promise<Message | null> {
  return queryOne(db, MessageRow, `SELECT ${MESSAGE_COLUMNS} FROM messages g WHERE g.id = $1::text::uuid`, [id]);
}

/** Messages a user may post per minute (Spin variable `messages_per_minute`). */
function postsPerMinute(context: RequestContext): number {
  const value = Number(context.config.optional('messages_per_minute', '60'));
  return Number.isSafeInteger(value) && value > 0 ? value : 60;
}

const postThrottle: ThrottleRule<RequestContext & { principal: { userId: string } }>[] = [
  {
    name: 'messages',
    key: (context) => `messaging:posts:${context.principal.userId}`,
    limit: (context) => ({ limit: postsPerMinute(context), windowSeconds: 60 }),
    // Refused posts (not a member, bad parent) do not use up the allowance.
    counts: (response) => response.ok,
  },
];

/** Posts a message: it takes the conversation's next seq and reaches every member's stream. */
export const postMessage = defineRoute(
  {
    params: ConversationParams,
    body: PostMessageRequest,
    auth: 'required',
    throttle: postThrottle,
    responses: { 201: Message },
    errors: {
      404: 'No conversation with that id of which the caller is a member',
      422: '`unknown_parent`: `parentId` names no message of this conversation',
    },
  },
  async (context) => {
    const me = context.principal.userId;
    const conversationId = context.params.id;
    const message = await transaction(context.db(), async (tx) => {
      // The row lock orders posts: seqs are gap-free and in commit order.
      await requireMember(tx, conversationId, me, { lock: true });
      let parentId: string | null = null;
      if (context.body.parentId !== undefined) {
        const parent = await queryOne(
          tx,
          z.object({ id: z.string(), root: z.string().nullable() }),
          `SELECT id::text AS id, parent_id::text AS root FROM messages WHERE id = $1::text::uuid AND conversation_id = $2::text::uuid`,
          [context.body.parentId, conversationId],
        );
        if (!parent) throw unprocessable('unknown_parent', 'parentId names no message of this conversation');
        parentId = parent.root ?? parent.id;
      }
      const row = await queryOne(
        tx,
        z.object({ seq: sqlInt }),
        `UPDATE conversations SET last_seq = last_seq + 1, last_message_at = now() WHERE id = $1::text::uuid RETURNING last_seq AS seq`,
        [conversationId],
      );
      const inserted = await queryOne(
        tx,
        z.object({ id: z.string() }),
        `INSERT INTO messages (conversation_id, seq, sender_id, parent_id, text)
         VALUES ($1::text::uuid, $2::int8, $3::text::uuid, $4::text::uuid, $5::text) RETURNING id::text AS id`,
        [conversationId, row!.seq, me, parentId, context.body.text],
      );
      // The sender has read what they wrote.
      await tx.query(
        `UPDATE conversation_members SET last_read_seq = GREATEST(last_read_seq, $3::int8) WHERE conversation_id = $1::text::uuid AND user_id = $2::text::uuid`,
        [conversationId, me, row!.seq],
      );
      const message = (await selectMessage(tx, inserted!.id))!;
      await appendFeed(tx, await memberIds(tx, conversationId), 'message.created', message);
      return message;
    });
    return created(message, `/v1/messaging/messages/${message.id}`);
  },
);

const Cursor = z.union([z.strictObject({ before: CursorInteger }), z.strictObject({ after: CursorInteger })]);

/**
 * A conversation's messages: newest first in cursor pages, or (`since`) oldest first after a seq.
 * With `parentId`, only that message's thread.
 */
export const listMessages = defineRoute({
  params: ConversationParams,
  query: MessageListQuery,
  auth: 'required',
  responses: { 200: MessageList },
  errors: { 400: '`invalid_cursor`', 404: 'No conversation with that id of which the caller is a member' },
}, async (context) => {
  const db = context.db();
  const { limit, since, parentId } = context.query;
  await requireMember(db, context.params.id, context.principal.userId);
  const cursor = decodeCursor(Cursor, context.query.cursor);
  const ascending = cursor ? 'after' in cursor : since !== undefined;
  const before = cursor && 'before' in cursor ? cursor.before : null;
  const after = cursor && 'after' in cursor ? cursor.after : (since ?? null);
  const rows = await queryRows(
    db,
    MessageRow,
    `SELECT ${MESSAGE_COLUMNS} FROM messages g
      WHERE g.conversation_id = $1::text::uuid
        AND ($2::int8 IS NULL OR g.seq < $2::int8)
        AND ($3::int8 IS NULL OR g.seq > $3::int8)
        AND ($4::text IS NULL OR g.parent_id = $4::text::uuid)
      ORDER BY g.seq ${ascending ? 'ASC' : 'DESC'} LIMIT $5::int8`,
    [context.params.id, before, after, parentId ?? null, limit + 1],
  );
  return json(pageOf(rows, limit, (last): Record<string, number> => (ascending ? { after: last.seq } : { before: last.seq })));
});

export const getMessage = defineRoute({
  params: MessageParams,
  auth: 'required',
  responses: { 200: Message },
  errors: { 404: 'No message with that id in a conversation of the caller' },
}, async (context) => {
  const db = context.db();
  const message = await selectMessage(db, context.params.id);
  if (!message) throw notFound('No message with that id');
  await requireMember(db, message.conversationId, context.principal.userId).catch(() => {
    throw notFound('No message with that id');
  });
  return json(message);
});

/** The message for a change by its sender, locked; 404 unless the caller is still a member. */
async function ownMessage(tx: SqlClient, id: string, userId: string): Promise<Message> {
  const row = await queryOne(
    tx,
    z.object({ conversationId: z.string(), senderId: z.string() }),
    `SELECT conversation_id::text AS "conversationId", sender_id::text AS "senderId" FROM messages WHERE id = $1::text::uuid FOR UPDATE`,
    [id],
  );
  if (!row) throw notFound('No message with that id');
  await requireMember(tx, row.conversationId, userId).catch(() => {
    throw notFound('No message with that id');
  });
  if (row.senderId !== userId) throw forbidden('Only its sender may change a message');
  return (await selectMessage(tx, id))!;
}

export const editMessage = defineRoute({
  params: MessageParams,
  body: EditMessageRequest,
  auth: 'required',
  responses: { 200: Message },
  errors: {
    403: 'Only its sender may change a message',
    404: 'No message with that id in a conversation of the caller',
    409: '`message_deleted`: a deleted message cannot be edited',
  },
}, async (context) => {
  const message = await transaction(context.db(), async (tx) => {
    const current = await ownMessage(tx, context.params.id, context.principal.userId);
    if (current.deleted) throw conflict('message_deleted', 'A deleted message cannot be edited');
    await tx.query('UPDATE messages SET text = $2::text, edited_at = now() WHERE id = $1::text::uuid', [context.params.id, context.body.text]);
    const message = (await selectMessage(tx, context.params.id))!;
    await appendFeed(tx, await memberIds(tx, message.conversationId), 'message.updated', message);
    return message;
  });
  return json(message);
});

/** Deletes a message of one's own: it stays in place, marked deleted, its text removed. */
export const deleteMessage = defineRoute({
  params: MessageParams,
  auth: 'required',
  responses: { 204: null },
  errors: { 403: 'Only its sender may change a message', 404: 'No message with that id in a conversation of the caller' },
}, async (context) => {
  await transaction(context.db(), async (tx) => {
    const current = await ownMessage(tx, context.params.id, context.principal.userId);
    if (current.deleted) return;
    await tx.query(`UPDATE messages SET text = '', deleted_at = now() WHERE id = $1::text::uuid`, [context.params.id]);
    const message = (await selectMessage(tx, context.params.id))!;
    await appendFeed(tx, await memberIds(tx, message.conversationId), 'message.deleted', message);
  });
  return noContent();
});
