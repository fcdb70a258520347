-- The outcome of each {{job-kind | snake_case}} job, by the kit's job id (the queue itself is the kit's `jobs` table).
CREATE TABLE {{job-kind | snake_case}}_jobs (
  id text PRIMARY KEY,
  input jsonb NOT NULL,
  result jsonb NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now()
);
