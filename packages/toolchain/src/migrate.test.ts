// `pnpm start` skips embedded databases whose migrations did not change since they were applied;
// `pnpm migrate` always looks. On embedded PGlite under a scratch root.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateAll } from './migrate.ts';

const root = mkdtempSync(join(tmpdir(), 'toolchain-migrate-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const manifest = join(root, 'services', 'notes', 'spin.toml');
mkdirSync(join(root, 'services', 'notes', 'migrations'), { recursive: true });
writeFileSync(
  manifest,
  `spin_manifest_version = 2
[application]
name = "notes"
[[trigger.http]]
route = "/v1/notes/..."
component = "notes-api"
[component.notes-api]
source = "dist/notes-api.wasm"
[component.notes-api.variables]
db_connection = "postgres://postgres@127.0.0.1:5432/authorworks_notes"
`,
);
const migration = (fileName: string, sql: string) => writeFileSync(join(root, 'services', 'notes', 'migrations', fileName), sql);

async function run(skipUnchanged: boolean): Promise<string[]> {
  const lines: string[] = [];
  await migrateAll({ root, manifestFile: manifest, env: {}, skipUnchanged, log: (line) => lines.push(line) });
  return lines;
}

describe('migrateAll on embedded databases', () => {
  it('applies, then skips while nothing changed, then applies a new migration; `pnpm migrate` always looks', async () => {
    migration('001_notes.sql', 'CREATE TABLE notes (id int PRIMARY KEY);');
    expect((await run(true)).at(-1)).toMatch(/^migrations: notes → authorworks_notes: \d+ applied, 0 already applied$/);
    expect(await run(true)).toEqual(['migrations: notes: unchanged since they were applied']);
    // Not skipped without the option: the database is opened and every migration found applied.
    expect((await run(false)).at(-1)).toMatch(/^migrations: notes → authorworks_notes: 0 applied, \d+ already applied$/);

    migration('002_more.sql', 'ALTER TABLE notes ADD COLUMN body text;');
    expect((await run(true)).at(-1)).toMatch(/^migrations: notes → authorworks_notes: 1 applied, \d+ already applied$/);
    expect(await run(true)).toEqual(['migrations: notes: unchanged since they were applied']);

    // A database removed by hand is made and migrated again, whatever the stamp says.
    rmSync(join(root, '.data', 'pglite', 'authorworks_notes'), { recursive: true, force: true });
    expect((await run(true)).at(-1)).toMatch(/^migrations: notes → authorworks_notes: \d+ applied, 0 already applied$/);
  }, 120_000);
});
