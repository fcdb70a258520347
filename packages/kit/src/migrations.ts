import { sha256 } from '@noble/hashes/sha2.js';
import { toHex, utf8 } from './encoding.ts';

/** One versioned SQL file, `NNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

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
    return { version: Number(match[1]), name: match[2]!, sql, checksum: toHex(sha256(utf8(sql))) };
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

const label = (migration: { version: number; name: string }) => `${String(migration.version).padStart(3, '0')}_${migration.name}`;

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in version order, each in its
 * own transaction together with its record. A session advisory lock serialises concurrent
 * runners: the second waits, then finds everything applied. A recorded migration whose file has
 * changed since is an error, not silently skipped.
 */
export async function runMigrations(
  client: MigrationClient,
  migrations: readonly Migration[],
  options: { log?: (message: string) => void } = {},
): Promise<MigrationReport> {
  const log = options.log ?? (() => undefined);
  await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
    const recorded = new Map(rows.map((row) => [Number(row.version), { name: String(row.name), checksum: String(row.checksum) }]));

    const report: MigrationReport = { applied: [], alreadyApplied: 0 };
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      const previous = recorded.get(migration.version);
      if (previous) {
        if (previous.checksum !== migration.checksum) {
          throw new MigrationError(`Migration ${label(migration)} was changed after it was applied; add a new migration instead`);
        }
        report.alreadyApplied++;
        continue;
      }
      await client.query('BEGIN');
      try {
        if (client.exec) await client.exec(migration.sql);
        else await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          migration.checksum,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new MigrationError(`Migration ${label(migration)} failed: ${(error as Error).message}`, { cause: error });
      }
      log(`applied ${label(migration)}`);
      report.applied.push({ version: migration.version, name: migration.name });
    }
    return report;
  } finally {
    await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`).catch(() => undefined);
  }
}
