-- Every video uploaded to storage is validated once per version: `file.uploaded` (at least once,
-- possibly twice) makes the worker insert this row and enqueue the validate job in one
-- transaction; the primary key makes a second delivery a no-op.
CREATE TABLE auto_validations (
  file_id uuid NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  owner_id uuid NOT NULL,
  job_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (file_id, version)
);
