-- Digests computed after the upload. A version streamed without a declared checksum becomes
-- available with sha256 NULL; the storage worker reads its object back and fills sha256 in
-- (src/version-digests.ts). `sha256_deferred` marks a digest filled in that way: the version was
-- already served with the ETag "<file id>.<version>", which clients cache by, so its downloads keep
-- that ETag. `sha256_requested_at` is when the sweep last asked the worker again (a lost event, a
-- crashed worker): the sweep asks for the longest-waiting versions first.
ALTER TABLE file_versions
  ADD COLUMN sha256_deferred boolean NOT NULL DEFAULT false,
  ADD COLUMN sha256_requested_at timestamptz,
  ADD CONSTRAINT file_versions_deferred_sha256_check CHECK (NOT sha256_deferred OR sha256 IS NOT NULL);
CREATE INDEX file_versions_unhashed_idx ON file_versions (created_at) WHERE status = 'available' AND sha256 IS NULL AND checksum IS NULL;
