import { describe, expect, it } from 'vitest';
import { MigrationError, loadMigrations, runMigrations, type MigrationClient } from './migration-runner.ts';

/** A fake connection that understands the runner's statements and records the rest. */
class FakeDatabase {
  readonly applied = new Map<number, { name: string; checksum: string }>();
  readonly executed: string[] = [];
  lockHeld = false;
  private pending: { scripts: string[]; records: [number, string, string][] } | null = null;
  private waiters: (() => void)[] = [];

  client(failOn?: string): MigrationClient {
    let holdsLock = false;
    return {
      query: async (sql, params = []) => {
        if (sql.startsWith('SELECT pg_advisory_lock')) {
          while (this.lockHeld) await new Promise<void>((resolve) => this.waiters.push(resolve));
          this.lockHeld = true;
          holdsLock = true;
          return { rows: [] };
        }
        if (sql.startsWith('SELECT pg_advisory_unlock')) {
          if (holdsLock) {
            this.lockHeld = false;
            holdsLock = false;
            this.waiters.shift()?.();
          }
          return { rows: [] };
        }
        expect(holdsLock).toBe(true);
        if (sql.startsWith('CREATE TABLE IF NOT EXISTS schema_migrations') || sql.startsWith('DO $$')) return { rows: [] };
        if (sql.startsWith('SELECT version, name, checksum')) {
          return { rows: [...this.applied].map(([version, row]) => ({ version, ...row })) };
        }
        if (sql === 'BEGIN') {
          this.pending = { scripts: [], records: [] };
          return { rows: [] };
        }
        if (sql === 'COMMIT') {
          for (const script of this.pending!.scripts) this.executed.push(script);
          for (const [version, name, checksum] of this.pending!.records) this.applied.set(version, { name, checksum });
          this.pending = null;
          return { rows: [] };
        }
        if (sql === 'ROLLBACK') {
          this.pending = null;
          return { rows: [] };
        }
        if (sql.startsWith('UPDATE schema_migrations SET checksum')) {
          const [checksum, , version] = params as [string, string, number];
          this.applied.get(version)!.checksum = checksum;
          return { rows: [] };
        }
        if (sql.startsWith('INSERT INTO schema_migrations')) {
          this.pending!.records.push(params.slice(1) as [number, string, string]);
          return { rows: [] };
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (failOn && sql.includes(failOn)) throw new Error('syntax error at or near "OOPS"');
        this.pending!.scripts.push(sql);
        return { rows: [] };
      },
    };
  }
}

const files = [
  { fileName: '002_add_profiles.sql', sql: 'CREATE TABLE profiles ();' },
  { fileName: '001_create_users.sql', sql: 'CREATE TABLE users ();' },
  { fileName: '010_add_index.sql', sql: 'CREATE INDEX users_idx ON users ();' },
];

describe('migrations', () => {
  it('applies in version order and records each', async () => {
    const database = new FakeDatabase();
    const report = await runMigrations(database.client(), loadMigrations(files));
    expect(report.applied.map((migration) => migration.version)).toEqual([1, 2, 10]);
    expect(database.executed).toEqual(['CREATE TABLE users ();', 'CREATE TABLE profiles ();', 'CREATE INDEX users_idx ON users ();']);
    expect([...database.applied.keys()]).toEqual([1, 2, 10]);
  });

  it('applies nothing the second time', async () => {
    const database = new FakeDatabase();
    await runMigrations(database.client(), loadMigrations(files));
    const again = await runMigrations(database.client(), loadMigrations(files));
    expect(again).toEqual({ applied: [], alreadyApplied: 3 });
    expect(database.executed).toHaveLength(3);
  });

  it('applies only the new file when one is added', async () => {
    const database = new FakeDatabase();
    await runMigrations(database.client(), loadMigrations(files.slice(0, 2)));
    const report = await runMigrations(database.client(), loadMigrations(files));
    expect(report.applied).toEqual([{ version: 10, name: 'add_index' }]);
  });

  it('two runners at once apply each migration once (advisory lock)', async () => {
    const database = new FakeDatabase();
    const [first, second] = await Promise.all([
      runMigrations(database.client(), loadMigrations(files)),
      runMigrations(database.client(), loadMigrations(files)),
    ]);
    expect(first.applied.length + second.applied.length).toBe(3);
    expect(database.executed).toHaveLength(3);
  });

  it('rolls back a failing migration, keeps earlier ones, and names the file', async () => {
    const database = new FakeDatabase();
    const broken = [...files, { fileName: '003_broken.sql', sql: 'CREATE OOPS;' }];
    await expect(runMigrations(database.client('OOPS'), loadMigrations(broken))).rejects.toThrow(/003_broken failed: syntax error/);
    expect([...database.applied.keys()]).toEqual([1, 2]);
    expect(database.lockHeld).toBe(false);
  });

  it('refuses a changed migration, bad names and duplicate versions', async () => {
    const database = new FakeDatabase();
    await runMigrations(database.client(), loadMigrations(files));
    const edited = files.map((file) => (file.fileName.startsWith('001') ? { ...file, sql: 'CREATE TABLE users (id int);' } : file));
    await expect(runMigrations(database.client(), loadMigrations(edited))).rejects.toThrow(/001_create_users was changed/);
    const renumbered = files.map((file) => (file.fileName.startsWith('001') ? { ...file, fileName: '001_create_authors.sql' } : file));
    await expect(runMigrations(database.client(), loadMigrations(renumbered))).rejects.toThrow(/reuses version 1, already applied as 001_create_users/);
    expect(() => loadMigrations([{ fileName: 'create.sql', sql: '' }])).toThrow(MigrationError);
    expect(() => loadMigrations([{ fileName: '001_a.sql', sql: '' }, { fileName: '001_b.sql', sql: '' }])).toThrow(/Two migrations have version 1/);
  });

  it('takes an edited migration that names the checksum it replaces, and runs nothing for it', async () => {
    const database = new FakeDatabase();
    const [first] = loadMigrations(files);
    await runMigrations(database.client(), loadMigrations(files));
    const amendedSql = `-- replaces checksum ${first!.checksum}\nCREATE TABLE users ();\n`;
    const amended = files.map((file) => (file.fileName.startsWith('001') ? { ...file, sql: amendedSql } : file));
    const lines: string[] = [];
    const report = await runMigrations(database.client(), loadMigrations(amended), { log: (line) => lines.push(line) });
    expect(report).toEqual({ applied: [], alreadyApplied: 3 });
    expect(database.executed).toHaveLength(3);
    expect(database.applied.get(1)!.checksum).toBe(loadMigrations(amended)[0]!.checksum);
    expect(lines).toEqual(['amended 001_create_users (its earlier text was applied)']);
    // A text that replaces some other checksum is still refused.
    const unrelated = files.map((file) => (file.fileName.startsWith('001') ? { ...file, sql: `-- replaces checksum ${'0'.repeat(64)}\nCREATE TABLE x ();` } : file));
    await expect(runMigrations(database.client(), loadMigrations(unrelated))).rejects.toThrow(/001_create_users was changed/);
  });
});
