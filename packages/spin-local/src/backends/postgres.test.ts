import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMBEDDED_MAX_CONNECTIONS, EMBEDDED_SHARED_BUFFERS, PostgresBackend, openSqlClientOn } from './postgres.ts';

const address = 'postgres://postgres@127.0.0.1:5432/small_buffers';
const embedded = (dataDir: string | undefined, idleCloseMs?: number) => new PostgresBackend({ realConnection: undefined, dataDir, scope: `postgres-test-${Math.random()}`, idleCloseMs });

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('embedded Postgres (PGlite)', () => {
  // Postgres' default 128 MB of shared buffers made every embedded database ~160 MB resident.
  it('runs a persisted database with small shared buffers and keeps what was written', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'spin-local-pg-'));
    try {
      const persisted = await openSqlClientOn(embedded(dataDir), address, true);
      expect((await persisted.query('SHOW shared_buffers')).rows[0]).toEqual({ shared_buffers: EMBEDDED_SHARED_BUFFERS });
      await persisted.query('CREATE TABLE kept (id int); INSERT INTO kept SELECT generate_series(1, 200000)');
      await persisted.close();
      const reopened = await openSqlClientOn(embedded(dataDir), address, true);
      // 200,000 rows are ~7 MB of pages, more than the buffers hold: read back through the files.
      expect((await reopened.query('SELECT count(*)::int AS n, sum(id)::int8::text AS total FROM kept')).rows[0]).toEqual({ n: 200000, total: '20000100000' });
      await reopened.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  // Shared memory is sized for max_connections backends; the lock table must still hold what a
  // wide migration locks in one transaction (every table and index it creates).
  it('sizes shared memory for a few backends and still takes a migration-sized transaction', async () => {
    const client = await openSqlClientOn(embedded(undefined), address, true);
    try {
      expect((await client.query('SHOW max_connections')).rows[0]).toEqual({ max_connections: String(EMBEDDED_MAX_CONNECTIONS) });
      const tables = Array.from({ length: 300 }, (_, i) => `CREATE TABLE wide_${i} (id int PRIMARY KEY, name text UNIQUE);`).join('\n');
      await client.query(`BEGIN; ${tables} COMMIT;`);
      expect((await client.query(`SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'wide\\_%'`)).rows[0]).toEqual({ n: 900 });
    } finally {
      await client.close();
    }
  }, 60_000);

  it('runs an in-memory database with the same shared buffers', async () => {
    const client = await openSqlClientOn(embedded(undefined), address, true);
    try {
      expect((await client.query('SHOW shared_buffers')).rows[0]).toEqual({ shared_buffers: EMBEDDED_SHARED_BUFFERS });
    } finally {
      await client.close();
    }
  }, 60_000);

  it('closes a persisted database nobody uses, never under an open session, and opens it again with its data', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'spin-local-pg-'));
    const backend = embedded(dataDir, 30);
    try {
      const writer = await backend.open(address);
      await backend.execute(writer, 'CREATE TABLE kept (id int)', []);
      await backend.execute(writer, 'INSERT INTO kept VALUES (1), (2)', []);
      // An open session keeps it open, however long it waits.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(backend.openEmbeddedDatabases).toHaveLength(1);
      await backend.closeSession(writer);
      await until(() => backend.openEmbeddedDatabases.length === 0);

      const reader = await backend.open(address);
      expect(backend.openEmbeddedDatabases).toHaveLength(1);
      const { rows } = await backend.query(reader, 'SELECT count(*)::int4 FROM kept', []);
      expect(rows).toEqual([[{ tag: 'int32', val: 2 }]]);
      await backend.closeSession(reader);
    } finally {
      await backend.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('closes a database only background work used sooner than one a request used since it opened', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'spin-local-pg-'));
    const backend = new PostgresBackend({ realConnection: undefined, dataDir, scope: `postgres-test-${Math.random()}`, idleCloseMs: 60_000, backgroundIdleCloseMs: 30 });
    const workerOnly = 'postgres://localhost/worker_only';
    try {
      // A worker's upkeep: closed soon after its session ends.
      await backend.closeSession(await backend.open(workerOnly, 'background'));
      // A request used this one too: it stays for the long wait.
      await backend.closeSession(await backend.open(address, 'background'));
      await backend.closeSession(await backend.open(address, 'request'));
      await until(() => backend.openEmbeddedDatabases.length === 1);
      expect(backend.openEmbeddedDatabases).toEqual([join(dataDir, 'small_buffers')]);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(backend.openEmbeddedDatabases).toHaveLength(1);
      // Opened again by background work alone, a database is background-only again.
      const again = await backend.open(workerOnly, 'background');
      expect(backend.openEmbeddedDatabases).toHaveLength(2);
      await backend.closeSession(again);
      await until(() => backend.openEmbeddedDatabases.length === 1);
    } finally {
      await backend.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('keeps an in-memory database open when idle (closing would lose it)', async () => {
    const backend = embedded(undefined, 10);
    try {
      const session = await backend.open(address);
      await backend.execute(session, 'CREATE TABLE kept (id int)', []);
      await backend.closeSession(session);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(backend.openEmbeddedDatabases).toHaveLength(1);
    } finally {
      await backend.close();
    }
  }, 60_000);
});
