import type { SqlClient } from '@authorworks/kit';

// The people of each book (its author and accepted collaborators) as content-events tell them,
// and the members of the book's conversation kept equal to them. The content service owns the
// truth; this copy changes only through events (worker.ts), in the transaction of their handling.

/** Records someone on a book and adds them to its conversation, if it has one. */
export async function addBookPerson(tx: SqlClient, bookId: string, userId: string, role: string, inviteId: string | null): Promise<void> {
  await tx.query(
    `INSERT INTO book_people (book_id, user_id, role, invite_id) VALUES ($1::text::uuid, $2::text::uuid, $3::text, $4::text::uuid)
     ON CONFLICT (book_id, user_id) DO UPDATE SET role = EXCLUDED.role, invite_id = EXCLUDED.invite_id WHERE book_people.role <> 'author'`,
    [bookId, userId, role, inviteId],
  );
  await tx.query(
    `INSERT INTO conversation_members (conversation_id, user_id, role)
     SELECT id, $2::text::uuid, CASE WHEN $3::text = 'author' THEN 'admin' ELSE 'member' END FROM conversations WHERE kind = 'book' AND book_id = $1::text::uuid
     ON CONFLICT DO NOTHING`,
    [bookId, userId, role],
  );
}

/** Removes the collaborator of an invite (withdrawn, or removed from the book) from the book and its conversation. */
export async function removeBookPersonByInvite(tx: SqlClient, inviteId: string): Promise<void> {
  await tx.query(
    `WITH gone AS (DELETE FROM book_people WHERE invite_id = $1::text::uuid AND role <> 'author' RETURNING book_id, user_id)
     DELETE FROM conversation_members m USING gone, conversations c
      WHERE c.kind = 'book' AND c.book_id = gone.book_id AND m.conversation_id = c.id AND m.user_id = gone.user_id`,
    [inviteId],
  );
}

/** A deleted book: its people are forgotten and its conversation goes with it. */
export async function forgetBook(tx: SqlClient, bookId: string): Promise<void> {
  await tx.query('DELETE FROM book_people WHERE book_id = $1::text::uuid', [bookId]);
  await tx.query(`DELETE FROM conversations WHERE kind = 'book' AND book_id = $1::text::uuid`, [bookId]);
  await tx.query('DELETE FROM book_invites WHERE book_id = $1::text::uuid', [bookId]);
}

/** Everything kept about a deleted user: memberships, notifications, preferences, follows, stream. */
export async function forgetUser(tx: SqlClient, userId: string): Promise<void> {
  for (const sql of [
    'DELETE FROM conversation_members WHERE user_id = $1::text::uuid',
    'DELETE FROM book_people WHERE user_id = $1::text::uuid',
    'DELETE FROM notifications WHERE user_id = $1::text::uuid',
    'DELETE FROM pending_emails WHERE user_id = $1::text::uuid',
    'DELETE FROM notification_preferences WHERE user_id = $1::text::uuid',
    'DELETE FROM follows WHERE follower_id = $1::text::uuid OR followee_id = $1::text::uuid',
    'DELETE FROM feed WHERE user_id = $1::text::uuid',
    'DELETE FROM feed_heads WHERE user_id = $1::text::uuid',
  ]) {
    await tx.query(sql, [userId]);
  }
}
