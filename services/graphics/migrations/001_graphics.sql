-- Automatic jobs made from other services' events: at most one per (file, kind), whatever how
-- often the event arrives (at-least-once delivery, replays from the event log).
CREATE TABLE auto_jobs (
  file_id uuid NOT NULL,
  kind text NOT NULL,
  job_id uuid NOT NULL,
  owner_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (file_id, kind)
);

-- Files the worker wrote as results: their own file.uploaded events make no thumbnails.
CREATE TABLE derived_files (
  file_id uuid PRIMARY KEY,
  source_file_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX derived_files_source ON derived_files (source_file_id);
