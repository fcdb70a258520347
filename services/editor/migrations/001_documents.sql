-- The live documents of authorworks_editor: one per chapter, its operation log, periodic
-- snapshots (the retained history starts at the oldest kept one), named checkpoints and comments.
-- Presence lives in Redis with a TTL; events go through the kit's outbox.

CREATE TABLE documents (
  chapter_id uuid PRIMARY KEY,
  book_id uuid NOT NULL,
  -- The number of operations ever committed; version n is the text after the n-th.
  version integer NOT NULL DEFAULT 0,
  -- The text at `version` and its length in code points (what operation positions count).
  text text NOT NULL,
  length integer NOT NULL,
  -- The content service's chapter version this text was last read from or written to.
  content_version integer NOT NULL,
  format text NOT NULL DEFAULT 'markdown',
  -- Counter of everything a stream sends (operations and comment changes): SSE event ids.
  seq bigint NOT NULL DEFAULT 0,
  -- The sequence number of the newest pruned operation: a stream resuming before it must reload.
  pruned_seq bigint NOT NULL DEFAULT 0,
  -- The version the last document.updated event reported, and when (events are batched).
  event_version integer NOT NULL DEFAULT 0,
  event_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The text at version 0 and at every N-th version. Operations at or below the oldest kept
-- snapshot are pruned: a client whose base is older must reload.
CREATE TABLE snapshots (
  chapter_id uuid NOT NULL REFERENCES documents (chapter_id) ON DELETE CASCADE,
  version integer NOT NULL,
  text text NOT NULL,
  length integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chapter_id, version)
);

CREATE TABLE operations (
  chapter_id uuid NOT NULL REFERENCES documents (chapter_id) ON DELETE CASCADE,
  -- The version this operation produced (the document was at version - 1 when it applied).
  version integer NOT NULL,
  seq bigint NOT NULL,
  -- The operation as committed (transformed), JSON text.
  op text NOT NULL,
  length_after integer NOT NULL,
  author_id uuid NOT NULL,
  -- The client's id for its request, so a retry after a lost answer is not applied twice.
  op_id uuid,
  base_version integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chapter_id, version)
);
CREATE UNIQUE INDEX operations_op_id_idx ON operations (chapter_id, author_id, op_id) WHERE op_id IS NOT NULL;
CREATE INDEX operations_seq_idx ON operations (chapter_id, seq);

CREATE TABLE checkpoints (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  chapter_id uuid NOT NULL REFERENCES documents (chapter_id) ON DELETE CASCADE,
  name text NOT NULL,
  version integer NOT NULL,
  content_version integer NOT NULL,
  text text NOT NULL,
  author_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX checkpoints_chapter_idx ON checkpoints (chapter_id, created_at DESC, id DESC);

CREATE TABLE comments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  chapter_id uuid NOT NULL REFERENCES documents (chapter_id) ON DELETE CASCADE,
  -- A reply belongs to a thread; only the thread's first comment has a range.
  parent_id uuid REFERENCES comments (id) ON DELETE CASCADE,
  author_id uuid NOT NULL,
  body text NOT NULL,
  -- [range_start, range_end) in code points at the document's current version.
  range_start integer,
  range_end integer,
  -- True once all of the commented text was deleted (the range is then a point).
  collapsed boolean NOT NULL DEFAULT false,
  resolved boolean NOT NULL DEFAULT false,
  resolved_by uuid,
  -- The document's sequence number when the comment was made (its order) and when it last changed.
  created_seq bigint NOT NULL,
  seq bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((parent_id IS NULL) = (range_start IS NOT NULL AND range_end IS NOT NULL)),
  CHECK (range_start IS NULL OR (range_start >= 0 AND range_end >= range_start))
);
CREATE INDEX comments_chapter_idx ON comments (chapter_id, created_seq);
CREATE INDEX comments_seq_idx ON comments (chapter_id, seq);
CREATE INDEX comments_parent_idx ON comments (parent_id) WHERE parent_id IS NOT NULL;
