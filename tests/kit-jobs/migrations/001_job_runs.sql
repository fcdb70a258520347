-- One row per attempt a job handler started (the jobs table itself is the kit's): what the
-- tests count to prove each job ran exactly as often as it should.
CREATE TABLE job_runs (
  job_id text NOT NULL,
  attempt integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_runs_job_idx ON job_runs (job_id);
