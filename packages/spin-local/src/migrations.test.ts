// The planner and the kit's migrations on a real engine: embedded PGlite by default, the
// PostgreSQL server when DB_CONNECTION is set.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KIT_MIGRATIONS } from '@authorworks/kit/migrations';
import type { SqlClient } from './backends/postgres.ts';
import { applyMigrations, planMigrations } from './migrations.ts';
import { openSqlClient } from './sql-client.ts';

/** Every kit migration, in order, as a report lists what it applied. */
const KIT_APPLIED = KIT_MIGRATIONS.map((migration) => ({ version: migration.version, name: migration.name }));

const scratch = mkdtempSync(join(tmpdir(), 'spin-local-migrations-'));
const databases = ['plan', 'fresh', 'legacy'].map((name) => `authorworks_migrate_${name}`);
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  // A real server keeps what a run creates: leave it as it was found.
  if (!process.env.DB_CONNECTION) return;
  const admin = await open('postgres://postgres@127.0.0.1:5432/postgres');
  try {
    for (const database of databases) await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  } finally {
    await admin.close();
  }
});
const open = (address: string) => openSqlClient(address, { dataDir: join(scratch, 'pglite') });

/** A one-service app folder: `spin.toml` whose component reads `db_connection` from `<name>_db`, and its migrations. */
function serviceFolder(name: string, migrations: Record<string, string>): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'migrations'), { recursive: true });
  writeFileSync(
    join(dir, 'spin.toml'),
    `spin_manifest_version = 2
[application]
name = "${name}"
[variables]
${name}_db = { default = "postgres://postgres@127.0.0.1:5432/authorworks_migrate_${name}" }
[[trigger.http]]
route = "/v1/${name}/..."
component = "${name}-api"
[component.${name}-api]
source = "dist/${name}-api.wasm"
[component.${name}-api.variables]
db_connection = "{{ ${name}_db }}"
`,
  );
  for (const [fileName, sql] of Object.entries(migrations)) writeFileSync(join(dir, 'migrations', fileName), sql);
  return join(dir, 'spin.toml');
}

async function withDatabase<T>(address: string, work: (db: SqlClient) => Promise<T>): Promise<T> {
  const db = await open(address);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/** A real server keeps databases between runs: start each from an empty schema. */
const emptySchema = (db: SqlClient) => db.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');

const ledger = (db: SqlClient) => db.query('SELECT namespace, version, name FROM schema_migrations ORDER BY namespace, version').then((r) => r.rows);
const outboxIndexes = (db: SqlClient) =>
  db.query("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'outbox' ORDER BY indexname").then((r) => r.rows);

// What content's first migration created before the kit owned the outbox: an index on created_at
// alone, and the ledger of that time (no namespace, the version as key).
const LEGACY_FIRST_MIGRATION = `CREATE TABLE things (id int PRIMARY KEY);
CREATE TABLE outbox (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  channel text NOT NULL,
  type text NOT NULL,
  subject text NOT NULL,
  data jsonb NOT NULL,
  correlation_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX outbox_unpublished_idx ON outbox (created_at) WHERE published_at IS NULL;
CREATE TABLE processed_events (consumer text NOT NULL, event_id text NOT NULL, processed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (consumer, event_id));
`;
const legacyChecksum = createHash('sha256').update(LEGACY_FIRST_MIGRATION).digest('hex');
const TODAYS_FIRST_MIGRATION = `-- replaces checksum ${legacyChecksum}\nCREATE TABLE things (id int PRIMARY KEY);\n`;

describe('migrations: the kit first, then the service', () => {
  it('plans a service folder from its component source, with the database the component will use', async () => {
    const manifest = serviceFolder('plan', { '001_things.sql': 'CREATE TABLE things ();', 'README.md': 'not a migration' });
    const plans = await planMigrations(manifest, { SPIN_VARIABLE_PLAN_DB: 'postgres://postgres@db.example:5432/elsewhere' });
    expect(plans).toEqual([
      { service: 'plan', address: 'postgres://postgres@db.example:5432/elsewhere', files: [{ fileName: '001_things.sql', sql: 'CREATE TABLE things ();' }] },
    ]);
  });

  it('a fresh database gets the kit tables in the kit namespace and the service numbering from 001; a second run applies nothing', async () => {
    const manifest = serviceFolder('fresh', { '001_things.sql': TODAYS_FIRST_MIGRATION });
    const [plan] = await planMigrations(manifest, {});
    await withDatabase(plan!.address, emptySchema);
    const first = await applyMigrations([plan!], open);
    expect(first.get('fresh')).toEqual({
      kit: { applied: KIT_APPLIED, alreadyApplied: 0 },
      service: { applied: [{ version: 1, name: 'things' }], alreadyApplied: 0 },
    });
    const again = await applyMigrations([plan!], open);
    expect(again.get('fresh')).toEqual({ kit: { applied: [], alreadyApplied: KIT_APPLIED.length }, service: { applied: [], alreadyApplied: 1 } });
    await withDatabase(plan!.address, async (db) => {
      expect(await ledger(db)).toEqual([
        ...KIT_APPLIED.map((migration) => ({ namespace: 'kit', ...migration })),
        { namespace: 'service', version: 1, name: 'things' },
      ]);
      expect(await outboxIndexes(db)).toContainEqual({
        indexname: 'outbox_unpublished_idx',
        indexdef: expect.stringContaining('(created_at, id) WHERE (published_at IS NULL)'),
      });
    });
  });

  it('a database made by the old migrations migrates cleanly and ends like a fresh one', async () => {
    const manifest = serviceFolder('legacy', { '001_things.sql': TODAYS_FIRST_MIGRATION });
    const [plan] = await planMigrations(manifest, {});
    await withDatabase(plan!.address, async (db) => {
      await emptySchema(db);
      await db.query(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      await db.query(LEGACY_FIRST_MIGRATION);
      await db.query('INSERT INTO schema_migrations (version, name, checksum) VALUES (1, $1, $2)', ['things', legacyChecksum]);
      await db.query(`INSERT INTO outbox (channel, type, subject, data, correlation_id) VALUES ('c', 't', 's', '{}', 'r')`);
    });
    const report = await applyMigrations([plan!], open);
    expect(report.get('legacy')).toEqual({
      kit: { applied: KIT_APPLIED, alreadyApplied: 0 },
      service: { applied: [], alreadyApplied: 1 },
    });
    await withDatabase(plan!.address, async (db) => {
      expect(await ledger(db)).toEqual([
        ...KIT_APPLIED.map((migration) => ({ namespace: 'kit', ...migration })),
        { namespace: 'service', version: 1, name: 'things' },
      ]);
      // The unpublished event survived, and the index now matches what the flush orders by.
      expect((await db.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')).rows).toEqual([{ n: 1 }]);
      const fresh = await withDatabase((await planMigrations(serviceFolder('fresh', {}), {}))[0]!.address, outboxIndexes);
      expect(await outboxIndexes(db)).toEqual(fresh);
    });
    // The ledger took the new text's checksum: the next run is quiet.
    expect((await applyMigrations([plan!], open)).get('legacy')).toEqual({ kit: { applied: [], alreadyApplied: KIT_APPLIED.length }, service: { applied: [], alreadyApplied: 1 } });
  });
});
