-- Multipart uploads (files above the single-PUT limit go to object storage in parts). While such
-- a version is pending, `multipart_upload_id` names the S3 upload whose parts it is waiting for
-- (the sweep aborts it when the version expires); `part_size` is every part's size but the
-- last's. A multipart version has no whole-file SHA-256 (`sha256` is NULL): it is verified part by
-- part, and `checksum` is `<SHA-256 of the parts' digests joined>-<parts>`. For a one-piece
-- version the checksum is its SHA-256 (read as COALESCE(checksum, sha256)).
ALTER TABLE file_versions
  ADD COLUMN multipart_upload_id text CHECK (length(multipart_upload_id) BETWEEN 1 AND 1024),
  ADD COLUMN part_size bigint CHECK (part_size >= 5242880),
  ADD COLUMN checksum text CHECK (checksum ~ '^[0-9a-f]{64}-[1-9][0-9]{0,4}$'),
  ADD CONSTRAINT file_versions_multipart_check CHECK ((multipart_upload_id IS NULL) = (part_size IS NULL));
