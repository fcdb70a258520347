-- replaces checksum 848439482ce0d33090dd6fa52d0639987d23bbebdebaf50eb29466097242a915
-- That earlier text also created the outbox and processed_events tables. They are the kit's now,
-- made by its own migrations before this file runs; a database that applied the earlier text
-- already has them, and the kit's migrations bring their indexes in line.
-- The manuscript tree of authorworks_content: books, chapters and their content versions,
-- scenes, characters, collaborators. Every child row cascades from its book, so deleting a book
-- removes everything under it in one statement.

CREATE TABLE books (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  author_id uuid NOT NULL,
  title text NOT NULL,
  description text NOT NULL DEFAULT '',
  genre text NOT NULL DEFAULT '',
  tags text[] NOT NULL DEFAULT '{}',
  content_type text NOT NULL DEFAULT 'novel'
    CHECK (content_type IN ('novel', 'screenplay', 'play', 'graphic_novel')),
  visibility text NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'unlisted', 'public')),
  status text NOT NULL DEFAULT 'draft'
    CHECK (status IN ('draft', 'in_progress', 'review', 'published', 'archived')),
  cover_file_id uuid,
  language text NOT NULL DEFAULT 'en',
  published_at timestamptz,
  -- Bumped by every change that affects statistics or the search document; the worker's rows
  -- record the revision they were computed from, so a missed event shows as a lower number.
  revision bigint NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX books_author_created_idx ON books (author_id, created_at DESC, id DESC);
CREATE INDEX books_catalog_idx ON books (published_at DESC, id DESC) WHERE status = 'published' AND visibility = 'public';

CREATE TABLE chapters (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  book_id uuid NOT NULL REFERENCES books (id) ON DELETE CASCADE,
  title text NOT NULL,
  summary text NOT NULL DEFAULT '',
  position integer NOT NULL CHECK (position >= 1),
  current_version integer NOT NULL DEFAULT 0,
  word_count integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Deferred so that a renumbering UPDATE may pass through duplicates before it commits.
  CONSTRAINT chapters_book_position_key UNIQUE (book_id, position) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE chapter_versions (
  chapter_id uuid NOT NULL REFERENCES chapters (id) ON DELETE CASCADE,
  version integer NOT NULL CHECK (version >= 1),
  content text NOT NULL,
  format text NOT NULL CHECK (format IN ('plain', 'markdown')),
  author_id uuid NOT NULL,
  word_count integer NOT NULL,
  message text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chapter_id, version)
);

CREATE TABLE characters (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  book_id uuid NOT NULL REFERENCES books (id) ON DELETE CASCADE,
  name text NOT NULL,
  role text NOT NULL DEFAULT 'supporting',
  description text NOT NULL DEFAULT '',
  traits jsonb NOT NULL DEFAULT '[]',
  relationships jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX characters_book_idx ON characters (book_id, created_at, id);

CREATE TABLE scenes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  chapter_id uuid NOT NULL REFERENCES chapters (id) ON DELETE CASCADE,
  book_id uuid NOT NULL REFERENCES books (id) ON DELETE CASCADE,
  title text NOT NULL,
  summary text NOT NULL DEFAULT '',
  position integer NOT NULL CHECK (position >= 1),
  pov_character_id uuid REFERENCES characters (id) ON DELETE SET NULL,
  location text NOT NULL DEFAULT '',
  story_time text NOT NULL DEFAULT '',
  content text NOT NULL DEFAULT '',
  word_count integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT scenes_chapter_position_key UNIQUE (chapter_id, position) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE collaborators (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  book_id uuid NOT NULL REFERENCES books (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'editor', 'reviewer', 'viewer')),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
  invited_by uuid NOT NULL,
  invited_at timestamptz NOT NULL DEFAULT now(),
  accepted_at timestamptz,
  CONSTRAINT collaborators_book_user_key UNIQUE (book_id, user_id)
);
CREATE INDEX collaborators_user_idx ON collaborators (user_id, status);

-- Maintained by the content worker (and recomputed on demand): never written by the API's
-- edits directly, so the numbers always come from one place.
CREATE TABLE book_stats (
  book_id uuid PRIMARY KEY REFERENCES books (id) ON DELETE CASCADE,
  word_count integer NOT NULL DEFAULT 0,
  reading_time_minutes integer NOT NULL DEFAULT 0,
  chapter_count integer NOT NULL DEFAULT 0,
  source_revision bigint NOT NULL DEFAULT 0,
  computed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE book_search_documents (
  book_id uuid PRIMARY KEY REFERENCES books (id) ON DELETE CASCADE,
  document tsvector NOT NULL,
  source_revision bigint NOT NULL DEFAULT 0,
  computed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX book_search_documents_idx ON book_search_documents USING gin (document);
