import type { SqlClient } from '@authorworks/kit';

// The feed: everything the stream (stream.ts) delivers to one user, numbered 1, 2, 3, ... per
// user. Appending bumps the user's row in feed_heads, which stays locked until the writer's
// transaction ends, so two writers for one user take turns and a user's seqs become visible in
// order: a reader that has seen seq N can never later find an N-1 it missed. Writers lock users in
// id order, so two fan-outs over the same people cannot deadlock.

export type FeedKind = 'message.created' | 'message.updated' | 'message.deleted' | 'notification.created';

/** Appends one item for each of `userIds` in the caller's transaction. */
export async function appendFeed(tx: SqlClient, userIds: readonly string[], kind: FeedKind, data: unknown): Promise<void> {
  const users = [...new Set(userIds)].sort();
  if (users.length === 0) return;
  await tx.query(
    `WITH heads AS (
       INSERT INTO feed_heads (user_id, last_seq)
       SELECT u::uuid, 1 FROM json_array_elements_text($1::text::json) AS u ORDER BY 1
       ON CONFLICT (user_id) DO UPDATE SET last_seq = feed_heads.last_seq + 1
       RETURNING user_id, last_seq)
     INSERT INTO feed (user_id, seq, kind, data) SELECT user_id, last_seq, $2::text, $3::text FROM heads`,
    [JSON.stringify(users), kind, JSON.stringify(data)],
  );
}

/** The current members of a conversation: who hears of its messages. */
export async function memberIds(tx: SqlClient, conversationId: string): Promise<string[]> {
  const { rows } = await tx.query('SELECT user_id::text AS id FROM conversation_members WHERE conversation_id = $1::text::uuid ORDER BY user_id', [conversationId]);
  return rows.map((row) => String(row.id));
}
