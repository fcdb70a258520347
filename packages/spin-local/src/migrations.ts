/**
 * Which migrations go to which database, and applying them: one planner for `pnpm migrate`,
 * `pnpm start` (the toolchain), the deployment's migrate job and the test harness
 * (`startApp({ migrate: true })`), so "read the migrations and run them" exists once.
 *
 * A service is the nearest folder above a component's source that holds a `spin.toml`; if it
 * has a `migrations/` folder, its database — the component's `db_connection` variable expanded
 * from the manifest's variables, exactly as the component will see it — gets the kit's
 * migrations and then the service's own `NNN_name.sql` files.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { migrateServiceDatabase, type MigrationClient, type ServiceMigrationReport } from '@authorworks/kit/migrations';
import { loadManifest, templateReferences, type Manifest } from '@authorworks/spin-manifest';

export interface ServiceMigrations {
  service: string;
  /** The database address the service's components get as `db_connection`. */
  address: string;
  files: { fileName: string; sql: string }[];
}

/** An application variable's value as `spin up` would see it: `SPIN_VARIABLE_<NAME>`, else its default. */
function variableValue(manifest: Manifest, name: string, env: Record<string, string | undefined>): string | undefined {
  return env[`SPIN_VARIABLE_${name.toUpperCase()}`] ?? manifest.variables[name]?.default;
}

/** The folder of the service a component's source belongs to, or null when none holds a spin.toml. */
function serviceFolderOf(source: string): string | null {
  for (let dir = dirname(source); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'spin.toml'))) return dir;
  }
  return null;
}

/** Every service database of the app in `manifestFile` with the migration files it needs. */
export async function planMigrations(manifestFile: string, env: Record<string, string | undefined> = process.env): Promise<ServiceMigrations[]> {
  const { manifest, dir: manifestDir } = await loadManifest(manifestFile);
  const plans: ServiceMigrations[] = [];
  const planned = new Set<string>();
  for (const [id, component] of Object.entries(manifest.component)) {
    const template = component.variables?.db_connection;
    if (typeof component.source !== 'string' || !template) continue;
    const serviceDir = serviceFolderOf(resolve(manifestDir, component.source));
    if (!serviceDir || planned.has(serviceDir)) continue;
    const migrationsDir = join(serviceDir, 'migrations');
    if (!existsSync(migrationsDir)) continue;
    planned.add(serviceDir);
    let address = template;
    for (const name of templateReferences(template)) {
      const value = variableValue(manifest, name, env);
      if (value === undefined) throw new Error(`component.${id}.variables.db_connection needs variable "${name}", which has no value`);
      address = address.replaceAll(new RegExp(`\\{\\{\\s*${name}\\s*\\}\\}`, 'g'), value);
    }
    const names = (await readdir(migrationsDir)).filter((name) => name.endsWith('.sql')).sort();
    const files = await Promise.all(names.map(async (fileName) => ({ fileName, sql: await readFile(join(migrationsDir, fileName), 'utf8') })));
    plans.push({ service: basename(serviceDir), address, files });
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

/** Applies each plan on a connection from `open` (closed afterwards): the kit's migrations, then the service's. */
export async function applyMigrations(
  plans: readonly ServiceMigrations[],
  open: (address: string) => Promise<MigrationClient & { close(): Promise<void> }>,
  log: (line: string) => void = () => undefined,
): Promise<Map<string, ServiceMigrationReport>> {
  const reports = new Map<string, ServiceMigrationReport>();
  for (const plan of plans) {
    const client = await open(plan.address);
    try {
      const report = await migrateServiceDatabase(client, plan.files, { log: (line) => log(`  ${plan.service}: ${line}`) });
      reports.set(plan.service, report);
      const applied = report.kit.applied.length + report.service.applied.length;
      const already = report.kit.alreadyApplied + report.service.alreadyApplied;
      log(`migrations: ${plan.service} → ${databaseName(plan.address)}: ${applied} applied, ${already} already applied`);
    } finally {
      await client.close();
    }
  }
  return reports;
}
