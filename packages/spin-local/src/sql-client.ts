/**
 * `openSqlClient` for tooling (migrations, seeding) on the same Postgres backends the runtime
 * uses: the real server when `DB_CONNECTION` is set, else the embedded PGlite database persisted
 * under `<repo>/.data/pglite/<database>`.
 */
import { join } from 'node:path';
import { findRepoRoot } from './app.ts';
import { PostgresBackend, type SqlClient, type SqlClientOptions, openSqlClientOn } from './backends/postgres.ts';

export async function openSqlClient(address: string, options: SqlClientOptions = {}): Promise<SqlClient> {
  const backend = new PostgresBackend({
    realConnection: options.dbConnection ?? (process.env.DB_CONNECTION || undefined),
    dataDir: options.dataDir ?? join(findRepoRoot(process.cwd()), '.data', 'pglite'),
    scope: options.scope ?? 'sql-client',
  });
  return openSqlClientOn(backend, address, true);
}
