import { sha256 } from '@noble/hashes/sha2.js';
import { toHex, utf8 } from './encoding.ts';

/** One versioned SQL file, `NNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
  /**
   * Checksums of earlier texts of this file that databases may have applied (its
   * `-- replaces checksum <sha-256>` lines). An applied migration is edited only when what it
   * created moved elsewhere (tables the kit now owns): the edit changes nothing on a database that
   * ran the old text, so such a database takes the new checksum instead of refusing.
   */
  replaces: string[];
}

const REPLACES_LINE = /^-- replaces checksum ([0-9a-f]{64})\s*$/gm;

/**
 * The client the runner needs: one connection (the advisory lock and each transaction must stay
 * on it), e.g. a node-postgres `Client` or PGlite. `exec`, when present, runs a multi-statement
 * script (PGlite's `exec`); otherwise `query(sql)` without parameters must accept one (node-postgres
 * uses the simple protocol then).
 */
export interface MigrationClient {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  exec?(sql: string): Promise<unknown>;
}

const FILE_NAME = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

/** Arbitrary constant: every service has its own database, so one key per database suffices. */
export const MIGRATION_LOCK_KEY = 4_217_337_001;

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/** Turns `{ fileName, sql }` pairs into migrations sorted by version; refuses bad names and duplicate versions. */
export function loadMigrations(files: readonly { fileName: string; sql: string }[]): Migration[] {
  const migrations = files.map(({ fileName, sql }) => {
    const match = FILE_NAME.exec(fileName);
    if (!match) throw new MigrationError(`Migration file "${fileName}" must be named NNN_name.sql (lower-case name)`);
    const replaces = [...sql.matchAll(REPLACES_LINE)].map((line) => line[1]!);
    return { version: Number(match[1]), name: match[2]!, sql, checksum: toHex(sha256(utf8(sql))), replaces };
  });
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new MigrationError(`Two migrations have version ${migrations[i]!.version}: ${migrations[i - 1]!.name} and ${migrations[i]!.name}`);
    }
  }
  return migrations;
}

export interface MigrationReport {
  applied: { version: number; name: string }[];
  alreadyApplied: number;
}

/** The namespace of a service's own migrations in the ledger (the kit's are in `kit`). */
export const SERVICE_MIGRATION_NAMESPACE = 'service';

// The ledger. Before the kit shipped migrations it had no namespace column and its key was the
// version alone; such a ledger gets the column (its rows are the service's) and the wider key.
const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations (
  namespace text NOT NULL DEFAULT 'service',
  version integer NOT NULL,
  name text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, version)
)`;
const UPGRADE_LEDGER = `DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = 'schema_migrations' AND column_name = 'namespace') THEN
    ALTER TABLE schema_migrations ADD COLUMN namespace text NOT NULL DEFAULT 'service';
    ALTER TABLE schema_migrations DROP CONSTRAINT schema_migrations_pkey;
    ALTER TABLE schema_migrations ADD PRIMARY KEY (namespace, version);
  END IF;
END $$`;

const label = (migration: { version: number; name: string }) => `${String(migration.version).padStart(3, '0')}_${migration.name}`;

/**
 * Applies the migrations not yet recorded in `schema_migrations` under `namespace` (default
 * `service`), in version order, each in its own transaction together with its record. A session
 * advisory lock serialises concurrent runners: the second waits, then finds everything applied.
 * A recorded migration whose file has changed since is an error, not silently skipped.
 */
export async function runMigrations(
  client: MigrationClient,
  migrations: readonly Migration[],
  options: { log?: (message: string) => void; namespace?: string } = {},
): Promise<MigrationReport> {
  const log = options.log ?? (() => undefined);
  const namespace = options.namespace ?? SERVICE_MIGRATION_NAMESPACE;
  await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
  try {
    await client.query(CREATE_LEDGER);
    await client.query(UPGRADE_LEDGER);
    const { rows } = await client.query('SELECT version, name, checksum FROM schema_migrations WHERE namespace = $1 ORDER BY version', [namespace]);
    const recorded = new Map(rows.map((row) => [Number(row.version), { name: String(row.name), checksum: String(row.checksum) }]));

    const report: MigrationReport = { applied: [], alreadyApplied: 0 };
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      const previous = recorded.get(migration.version);
      if (previous) {
        if (previous.name !== migration.name) {
          throw new MigrationError(
            `Migration ${label(migration)} reuses version ${migration.version}, already applied as ${label({ ...migration, name: previous.name })}; number it after the highest version ever used`,
          );
        }
        if (previous.checksum !== migration.checksum) {
          if (!migration.replaces.includes(previous.checksum)) {
            throw new MigrationError(`Migration ${label(migration)} was changed after it was applied; add a new migration instead`);
          }
          await client.query('UPDATE schema_migrations SET checksum = $1 WHERE namespace = $2 AND version = $3', [
            migration.checksum,
            namespace,
            migration.version,
          ]);
          log(`amended ${label(migration)} (its earlier text was applied)`);
        }
        report.alreadyApplied++;
        continue;
      }
      await client.query('BEGIN');
      try {
        if (client.exec) await client.exec(migration.sql);
        else await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (namespace, version, name, checksum) VALUES ($1, $2, $3, $4)', [
          namespace,
          migration.version,
          migration.name,
          migration.checksum,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new MigrationError(`Migration ${label(migration)} failed: ${(error as Error).message}`, { cause: error });
      }
      log(`applied ${namespace === SERVICE_MIGRATION_NAMESPACE ? '' : `${namespace} `}${label(migration)}`);
      report.applied.push({ version: migration.version, name: migration.name });
    }
    return report;
  } finally {
    await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`).catch(() => undefined);
  }
}
