import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMBEDDED_SHARED_BUFFERS, PostgresBackend, openSqlClientOn } from './postgres.ts';

const address = 'postgres://postgres@127.0.0.1:5432/small_buffers';
const embedded = (dataDir: string | undefined) => new PostgresBackend({ realConnection: undefined, dataDir, scope: `postgres-test-${Math.random()}` });

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

  it('runs an in-memory database with the same shared buffers', async () => {
    const client = await openSqlClientOn(embedded(undefined), address, true);
    try {
      expect((await client.query('SHOW shared_buffers')).rows[0]).toEqual({ shared_buffers: EMBEDDED_SHARED_BUFFERS });
    } finally {
      await client.close();
    }
  }, 60_000);
});
