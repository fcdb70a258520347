-- Collections: a user's named, ordered lists of books (reading lists, series, shelves). A book
-- leaving the database leaves every collection with it.
CREATE TABLE collections (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id uuid NOT NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  visibility text NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'unlisted', 'public')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX collections_owner_idx ON collections (owner_id, created_at DESC, id DESC);

CREATE TABLE collection_books (
  collection_id uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
  book_id uuid NOT NULL REFERENCES books (id) ON DELETE CASCADE,
  position integer NOT NULL,
  PRIMARY KEY (collection_id, book_id)
);
