import { relative, join } from 'node:path';
import type { ServiceMigrationReport } from '@authorworks/kit/migrations';
import { applyMigrations, openSqlClient, planMigrations } from '@authorworks/spin-local';

export interface MigrateAllOptions {
  root: string;
  manifestFile: string;
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
}

/**
 * Applies every service's pending migrations (the kit's, then its own) with spin-local's planner;
 * embedded PGlite unless DB_CONNECTION names a server.
 */
export async function migrateAll(options: MigrateAllOptions): Promise<Map<string, ServiceMigrationReport>> {
  const log = options.log ?? (() => undefined);
  const plans = await planMigrations(options.manifestFile, options.env);
  if (plans.length === 0) log(`migrations: none found under ${relative(process.cwd(), join(options.root, 'services'))}/*/migrations`);
  return applyMigrations(plans, (address) => openSqlClient(address), log);
}
