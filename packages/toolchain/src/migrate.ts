import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { loadMigrations, runMigrations, type MigrationReport } from '@authorworks/kit/migrations';
import { loadManifest, templateReferences, type Manifest } from '@authorworks/spin-manifest';
import { openSqlClient } from '@authorworks/spin-local';

export interface ServiceMigrations {
  service: string;
  /** The database address the service's components get as `db_connection`. */
  address: string;
  files: { fileName: string; sql: string }[];
}

export interface MigrateAllOptions {
  root: string;
  manifestFile: string;
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
}

/** An application variable's value as `spin up` would see it: `SPIN_VARIABLE_<NAME>`, else its default. */
function variableValue(manifest: Manifest, name: string, env: Record<string, string | undefined>): string | undefined {
  return env[`SPIN_VARIABLE_${name.toUpperCase()}`] ?? manifest.variables[name]?.default;
}

/**
 * Finds, for every service with a `migrations/` folder, the database its components connect to:
 * the `db_connection` component variable of a component built from that service, expanded from
 * the composed manifest's variables. The migrations therefore always go where the code will look.
 */
export async function planMigrations(root: string, manifestFile: string, env = process.env): Promise<ServiceMigrations[]> {
  const { manifest } = await loadManifest(manifestFile);
  const plans: ServiceMigrations[] = [];
  for (const [id, component] of Object.entries(manifest.component)) {
    const template = component.variables?.db_connection;
    if (typeof component.source !== 'string' || !template) continue;
    const service = /^services\/([^/]+)\//.exec(component.source)?.[1];
    if (!service || plans.some((p) => p.service === service)) continue;
    const dir = join(root, 'services', service, 'migrations');
    if (!existsSync(dir)) continue;
    let address = template;
    for (const name of templateReferences(template)) {
      const value = variableValue(manifest, name, env);
      if (value === undefined) throw new Error(`component.${id}.variables.db_connection needs variable "${name}", which has no value`);
      address = address.replaceAll(new RegExp(`\\{\\{\\s*${name}\\s*\\}\\}`, 'g'), value);
    }
    const names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
    const files = await Promise.all(names.map(async (fileName) => ({ fileName, sql: await readFile(join(dir, fileName), 'utf8') })));
    plans.push({ service, address, files });
  }
  return plans;
}

/** The database name of a postgres:// address, for log lines that must not show credentials. */
function databaseName(address: string): string {
  try {
    return new URL(address).pathname.replace(/^\//, '') || '(default)';
  } catch {
    return '(unparsable address)';
  }
}

/** Applies every service's pending migrations; embedded PGlite unless DB_CONNECTION names a server. */
export async function migrateAll(options: MigrateAllOptions): Promise<Map<string, MigrationReport>> {
  const log = options.log ?? (() => undefined);
  const plans = await planMigrations(options.root, options.manifestFile, options.env);
  const reports = new Map<string, MigrationReport>();
  for (const plan of plans) {
    const migrations = loadMigrations(plan.files);
    const client = await openSqlClient(plan.address);
    try {
      const report = await runMigrations(client, migrations, { log: (line) => log(`  ${plan.service}: ${line}`) });
      reports.set(plan.service, report);
      log(`migrations: ${plan.service} → ${databaseName(plan.address)}: ${report.applied.length} applied, ${report.alreadyApplied} already applied`);
    } finally {
      await client.close();
    }
  }
  if (plans.length === 0) log(`migrations: none found under ${relative(process.cwd(), join(options.root, 'services'))}/*/migrations`);
  return reports;
}
