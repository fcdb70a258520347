import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { KIT_MIGRATIONS, type ServiceMigrationReport } from '@authorworks/kit/migrations';
// The planner alone: the runtime's SQL client (and the rest of spin-local) is loaded only when a
// database has migrations to apply, which `pnpm start` usually does not.
import { applyMigrations, planMigrations } from '@authorworks/spin-local/migrations';

export interface MigrateAllOptions {
  root: string;
  manifestFile: string;
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
  /**
   * Skips an embedded database whose migrations have not changed since they were last applied
   * to it here (`pnpm start`: opening eight PGlite databases to find nothing to do cost ~7 s).
   * `pnpm migrate` always looks.
   */
  skipUnchanged?: boolean;
}

/** Where embedded databases are kept (as `pnpm start` runs them), and the stamp beside each. */
const embeddedDataDir = (root: string) => join(root, '.data', 'pglite');
function embeddedStampFile(root: string, address: string): string {
  const database = decodeURIComponent(new URL(address).pathname.replace(/^\//, '')) || 'postgres';
  return join(embeddedDataDir(root), `${database}.migrations`);
}

/**
 * Applies every service's pending migrations (the kit's, then its own) with spin-local's planner;
 * embedded PGlite unless DB_CONNECTION names a server.
 */
export async function migrateAll(options: MigrateAllOptions): Promise<Map<string, ServiceMigrationReport>> {
  const log = options.log ?? (() => undefined);
  const env = options.env ?? process.env;
  const plans = await planMigrations(options.manifestFile, env);
  if (plans.length === 0) log(`migrations: none found under ${relative(process.cwd(), join(options.root, 'services'))}/*/migrations`);
  const embedded = !env.DB_CONNECTION;
  const stampOf = (plan: (typeof plans)[number]) =>
    createHash('sha256')
      .update(JSON.stringify([KIT_MIGRATIONS.map((m) => [m.name, m.sql]), plan.files.map((f) => [f.fileName, f.sql])]))
      .digest('hex');
  const pending: typeof plans = [];
  for (const plan of plans) {
    const stampFile = embeddedStampFile(options.root, plan.address);
    const databaseDir = stampFile.replace(/\.migrations$/, '');
    if (options.skipUnchanged && embedded && existsSync(databaseDir) && (await readFile(stampFile, 'utf8').catch(() => '')) === stampOf(plan)) {
      log(`migrations: ${plan.service}: unchanged since they were applied`);
      continue;
    }
    pending.push(plan);
  }
  if (pending.length === 0) return new Map();
  const { openSqlClient } = await import('@authorworks/spin-local');
  const reports = await applyMigrations(pending, (address) => openSqlClient(address, { dataDir: embeddedDataDir(options.root), dbConnection: env.DB_CONNECTION }), log);
  if (embedded) for (const plan of pending) await writeFile(embeddedStampFile(options.root, plan.address), stampOf(plan)).catch(() => undefined);
  return reports;
}
