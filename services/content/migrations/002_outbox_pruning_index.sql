-- The kit's outbox flush prunes published rows older than a week after each flush; this index
-- (from the kit's OUTBOX_SQL) keeps that DELETE from scanning the whole table.
CREATE INDEX IF NOT EXISTS outbox_published_at_idx ON outbox (published_at) WHERE published_at IS NOT NULL;
