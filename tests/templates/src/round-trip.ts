/**
 * What the round-trip tests share: one template case (how to render it and what the result must
 * hold), helpers to read what a component did on the local runtime, and a timing record.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { TestApp } from '@authorworks/spin-local';
import { listComponentTargets, type ComponentTarget } from '@authorworks/toolchain';

/** A 32+ character auth_secret, as the kit requires; only ever used inside tests. */
export const TEST_ENV = { SPIN_VARIABLE_AUTH_SECRET: 'template-round-trip-test-secret-0123456789', SPIN_VARIABLE_LOG_LEVEL: 'info' };

export interface TemplateCase {
  template: string;
  /** The NAME given to `spin new`. */
  name: string;
  values?: Record<string, string>;
  /** Component id → the world it must be built for. */
  components: Record<string, ComponentTarget['world']>;
  /** Files the rendered service must have (relative to it). */
  files: string[];
  /** The service's database (its `<name>_db_connection` default); `startApp` migrates it before `exercise`. */
  database: string;
  /** Calls the route or publishes to the channel, and checks the effect (`rows` reads the database). */
  exercise(app: TestApp, rows: (sql: string) => Promise<Record<string, unknown>[]>): Promise<void>;
}

/**
 * The migrations recorded in the ledger of `database`, as `<namespace>:<file name>` (on a real
 * server the database outlives the run, so some may have been applied by an earlier one).
 */
export async function recordedMigrations(app: TestApp, database: string): Promise<string[]> {
  const db = await app.sql(database);
  try {
    const { rows } = await db.query('SELECT namespace, version, name FROM schema_migrations ORDER BY namespace, version');
    return rows.map((row) => `${String(row.namespace)}:${String(row.version).padStart(3, '0')}_${String(row.name)}.sql`);
  } finally {
    await db.close();
  }
}

/** Reads the database through the app's own Postgres backend. */
export function databaseReader(app: TestApp, database: string): (sql: string) => Promise<Record<string, unknown>[]> {
  return async (sql) => {
    const db = await app.sql(database);
    try {
      return (await db.query(sql)).rows;
    } finally {
      await db.close();
    }
  };
}

/** Every file of a rendered service, relative to it, sorted. */
export function listRendered(dir: string, files: string[]): string[] {
  return files.map((f) => relative(dir, f)).sort();
}

/** `{{`/`{%` left in rendered text, except Spin's own `{{ variable }}` references in spin.toml. */
export function leftoverLiquid(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const allowed = file.endsWith('spin.toml') ? /\{\{ [a-z0-9_]+ \}\}/g : /$^/g;
  return (text.replace(allowed, '').match(/\{\{|\{%|%\}|\}\}/g) ?? []).map((m) => `${file}: ${m}`);
}

export async function buildTargets(serviceDir: string): Promise<ComponentTarget[]> {
  return listComponentTargets(serviceDir);
}

/** The structured (JSON) lines a component wrote, on stdout or stderr. */
export function componentLog(app: TestApp, component: string): Record<string, unknown>[] {
  const prefix = `[${component}] `;
  return app.logs.lines
    .filter((line) => line.kind === 'guest' && line.text.startsWith(prefix))
    .map((line) => line.text.slice(line.text.indexOf('{')))
    .filter((text) => text.startsWith('{'))
    .flatMap((text) => {
      try {
        return [JSON.parse(text) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

export const timings: { step: string; seconds: number }[] = [];
export async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings.push({ step, seconds: (performance.now() - started) / 1000 });
  }
}

export function exists(dir: string, file: string): boolean {
  return existsSync(join(dir, file));
}
