import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pglite from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { createInMemoryPglite, templateFile } from './pglite-template.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function cacheDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pglite-template-'));
  dirs.push(dir);
  return dir;
}

describe('in-memory PGlite from a cached empty cluster', () => {
  it('saves the empty cluster made by the first database, and later databases start from it, each its own', async () => {
    const dir = await cacheDir();
    const first = await createInMemoryPglite(pglite, dir);
    expect(existsSync(templateFile(dir))).toBe(true);
    await first.exec('CREATE TABLE written_after (id int); INSERT INTO written_after VALUES (1)');
    const second = await createInMemoryPglite(pglite, dir);
    const third = await createInMemoryPglite(pglite, dir);
    try {
      // The copy was taken before the first database was used: nothing written to it is in the others.
      const tables = await second.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'written_after'`);
      expect(tables.rows[0]!.n).toBe(0);
      await second.exec('CREATE TABLE mine (id int)');
      expect((await third.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'mine'`)).rows[0]!.n).toBe(0);
      expect((await third.query<{ v: string }>('SELECT current_database() AS v')).rows[0]!.v).toBe('postgres');
    } finally {
      await Promise.all([first.close(), second.close(), third.close()]);
    }
  }, 60_000);

  it('makes the cluster by initdb when the cached file is damaged, and replaces the file', async () => {
    const dir = await cacheDir();
    await writeFile(templateFile(dir), 'not a tarball');
    const db = await createInMemoryPglite(pglite, dir);
    try {
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    } finally {
      await db.close();
    }
    expect((await stat(templateFile(dir))).size).toBeGreaterThan(1_000_000);
    const again = await createInMemoryPglite(pglite, dir);
    try {
      expect((await again.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    } finally {
      await again.close();
    }
  }, 60_000);
});
