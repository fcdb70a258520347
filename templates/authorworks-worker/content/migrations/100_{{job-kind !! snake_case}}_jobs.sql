-- The outcome of each {{job-kind | snake_case}} job, by job id (the requesting event's subject).
CREATE TABLE {{job-kind | snake_case}}_jobs (
  id text PRIMARY KEY,
  requested_by text NOT NULL,
  input jsonb NOT NULL,
  result jsonb NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now()
);
