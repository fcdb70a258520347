-- Conversations of authorworks_messaging: direct (two people, one conversation per pair), group
-- (named, run by its admins) and book (its members follow the book's people, which the worker
-- learns from content-events into book_people). Every child row cascades from its conversation.

CREATE TABLE conversations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('direct', 'group', 'book')),
  name text,
  -- 'direct': the two user ids, smaller first: the unique index makes "one per pair" race-safe.
  direct_key text UNIQUE,
  book_id uuid,
  created_by uuid NOT NULL,
  -- The seq of the newest message; posting takes the row lock, so seqs are gap-free in commit order.
  last_seq bigint NOT NULL DEFAULT 0,
  last_message_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'direct') = (direct_key IS NOT NULL)),
  CHECK ((kind = 'book') = (book_id IS NOT NULL))
);
CREATE UNIQUE INDEX conversations_book_key ON conversations (book_id) WHERE kind = 'book';

CREATE TABLE conversation_members (
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'member')),
  -- Read position: every message with seq <= last_read_seq counts as read.
  last_read_seq bigint NOT NULL DEFAULT 0,
  joined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user_idx ON conversation_members (user_id);

CREATE TABLE messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq bigint NOT NULL,
  sender_id uuid NOT NULL,
  parent_id uuid REFERENCES messages (id) ON DELETE SET NULL,
  text text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  edited_at timestamptz,
  deleted_at timestamptz,
  UNIQUE (conversation_id, seq)
);
CREATE INDEX messages_parent_idx ON messages (parent_id, seq) WHERE parent_id IS NOT NULL;

-- The people of each book as content-events describe them: its author and accepted collaborators.
CREATE TABLE book_people (
  book_id uuid NOT NULL,
  user_id uuid NOT NULL,
  role text NOT NULL,
  -- The collaborator row (invite) id in the content service; null for the author.
  invite_id uuid,
  PRIMARY KEY (book_id, user_id)
);
CREATE INDEX book_people_invite_idx ON book_people (invite_id) WHERE invite_id IS NOT NULL;

-- Everything the stream delivers to one user, numbered per user: appending takes the user's row
-- in feed_heads, so a user's seqs commit in order and a reader that saw N never later finds N-1.
CREATE TABLE feed_heads (
  user_id uuid PRIMARY KEY,
  last_seq bigint NOT NULL DEFAULT 0
);

CREATE TABLE feed (
  user_id uuid NOT NULL,
  seq bigint NOT NULL,
  kind text NOT NULL,
  -- The item as the stream sends it: one line of JSON, kept as written.
  data text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, seq)
);
CREATE INDEX feed_created_idx ON feed (created_at);
