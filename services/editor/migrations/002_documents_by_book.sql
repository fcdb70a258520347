-- A book deleted in the content service takes all of its chapters' documents with it (the
-- editor-worker's DELETE … WHERE book_id): without this index that DELETE reads every document.
CREATE INDEX documents_book_idx ON documents (book_id);
