// The migration runner and the kit's own migrations: what `pnpm migrate`, `pnpm start`, the
// deployment's migrate job and the test harness apply to each service database.
import { loadMigrations, runMigrations, type Migration, type MigrationClient, type MigrationReport } from './migration-runner.ts';

export {
  MIGRATION_LOCK_KEY,
  MigrationError,
  SERVICE_MIGRATION_NAMESPACE,
  loadMigrations,
  runMigrations,
  type Migration,
  type MigrationClient,
  type MigrationReport,
} from './migration-runner.ts';

// Tables the kit's own code reads and writes, shipped as migrations the runner applies to every
// service database before the service's own, in the ledger namespace `kit` (so services number
// their migrations from 001 as before). Databases made before the kit owned these tables already
// have them, from a service's copy: every statement is idempotent against that, and converges
// what drifted. Like any migration, a file here never changes once released; add the next number.
const KIT_MIGRATION_FILES = [
  {
    fileName: '001_outbox.sql',
    sql: `-- The transactional outbox (outbox.ts): events recorded with the change that causes them,
-- published after the request by the API's outbox flush.
CREATE TABLE IF NOT EXISTS outbox (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  channel text NOT NULL,
  type text NOT NULL,
  subject text NOT NULL,
  data jsonb NOT NULL,
  correlation_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
-- The flush reads unpublished rows ORDER BY created_at, id. An older copy (content's first
-- migration) indexed created_at alone under the same name, so the index is rebuilt, not skipped.
DROP INDEX IF EXISTS outbox_unpublished_idx;
CREATE INDEX outbox_unpublished_idx ON outbox (created_at, id) WHERE published_at IS NULL;
-- Published rows older than a week are deleted after each flush; this keeps that DELETE short.
CREATE INDEX IF NOT EXISTS outbox_published_at_idx ON outbox (published_at) WHERE published_at IS NOT NULL;
`,
  },
  {
    fileName: '002_processed_events.sql',
    sql: `-- Idempotency marks of event consumers with idempotency 'postgres' (events.ts): a mark commits
-- in the transaction of the handler's writes, so an event id is handled once.
CREATE TABLE IF NOT EXISTS processed_events (
  consumer text NOT NULL,
  event_id text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
`,
  },
  {
    fileName: '003_jobs.sql',
    sql: `-- Durable jobs (jobs.ts): enqueued in the caller's transaction, claimed with a lease, retried
-- with back-off, re-driven when a lease expires. The message on <svc>-jobs is only a nudge.
CREATE TABLE IF NOT EXISTS jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  queue text NOT NULL,
  kind text NOT NULL,
  payload jsonb NOT NULL,
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),
  lease_seconds integer NOT NULL CHECK (lease_seconds BETWEEN 1 AND 3600),
  backoff_seconds integer NOT NULL CHECK (backoff_seconds BETWEEN 0 AND 3600),
  run_after timestamptz NOT NULL DEFAULT now(),
  lease_token text,
  lease_expires_at timestamptz,
  progress jsonb,
  result jsonb,
  last_error text,
  correlation_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
-- What a claim looks for: due queued jobs, and running ones whose lease has expired.
CREATE INDEX IF NOT EXISTS jobs_queued_idx ON jobs (queue, run_after) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS jobs_leased_idx ON jobs (queue, lease_expires_at) WHERE state = 'running';
`,
  },
  {
    fileName: '004_jobs_finished.sql',
    sql: `-- What the sweep prunes (jobs.ts pruneFinishedJobs): finished jobs past their retention, oldest first.
CREATE INDEX IF NOT EXISTS jobs_finished_idx ON jobs (queue, finished_at) WHERE finished_at IS NOT NULL;
`,
  },
  {
    fileName: '005_job_owners.sql',
    sql: `-- Jobs done for a user (jobs.ts ownerId): the owner lists, reads and cancels them
-- (jobs-admin.ts ownerJobRoutes), newest first; their events name the owner.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS owner_id uuid;
CREATE INDEX IF NOT EXISTS jobs_owner_idx ON jobs (owner_id, queue, created_at DESC, id DESC) WHERE owner_id IS NOT NULL;
`,
  },
  {
    fileName: '006_job_pending.sql',
    sql: `-- Jobs waiting on work done elsewhere (jobs.ts JobPending): a handler says "not done yet, check
-- again in n seconds"; the job goes back to queued without using an attempt, and its wait is
-- bounded from the first time it said so.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS pending_since timestamptz;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS pending_checks integer NOT NULL DEFAULT 0;
`,
  },
  {
    fileName: '007_event_log_positions.sql',
    sql: `-- How far an event consumer has read each channel's event log (catch-up.ts, event-log.ts):
-- after every message it handles what the log holds beyond this position, so events whose pub/sub
-- message it missed (down, restarting, or failing) are handled late rather than never.
CREATE TABLE IF NOT EXISTS event_log_positions (
  channel text PRIMARY KEY,
  ms bigint NOT NULL,
  seq bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
];

/** The ledger namespace of the kit's migrations; a service's own are in `service`. */
export const KIT_MIGRATION_NAMESPACE = 'kit';

/** The kit's migrations, in version order. */
export const KIT_MIGRATIONS: readonly Migration[] = loadMigrations(KIT_MIGRATION_FILES);

/** What one service database got: the kit's migrations, then the service's own. */
export interface ServiceMigrationReport {
  kit: MigrationReport;
  service: MigrationReport;
}

/**
 * Brings a service database up to date: the kit's tables first (the service's migrations may
 * refer to them), then the service's `NNN_name.sql` files, each set in its own ledger namespace.
 */
export async function migrateServiceDatabase(
  client: MigrationClient,
  serviceFiles: readonly { fileName: string; sql: string }[],
  options: { log?: (message: string) => void } = {},
): Promise<ServiceMigrationReport> {
  const serviceMigrations = loadMigrations(serviceFiles);
  const kit = await runMigrations(client, KIT_MIGRATIONS, { ...options, namespace: KIT_MIGRATION_NAMESPACE });
  const service = await runMigrations(client, serviceMigrations, options);
  return { kit, service };
}
