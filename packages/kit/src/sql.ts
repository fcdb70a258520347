import { z } from 'zod';
import { profileOf } from './request-profile.ts';

/**
 * Values a query parameter may take. Spin's Postgres host types them strictly (tokio-postgres):
 * strings travel as text, integers as int8, fractions as float8, booleans as bool, bytes as
 * bytea. SQL must therefore cast every parameter whose column has another type, e.g.
 * `WHERE id = $1::text::uuid`, `position = $2::int8`, `value = $3::text::jsonb`.
 */
export type SqlParam = string | number | bigint | boolean | null | Uint8Array;
export type SqlRow = Record<string, unknown>;

/**
 * One database connection. Parameters are always passed separately from the SQL text: nothing
 * the client sent is ever spliced into a statement.
 */
export interface SqlClient {
  query(sql: string, params?: readonly SqlParam[]): Promise<{ rows: SqlRow[] }>;
}

/** A database error in a form services can act on (Spin reports errors as strings only). */
export class SqlError extends Error {
  constructor(
    message: string,
    readonly kind: 'connection_failed' | 'bad_parameter' | 'query_failed' | 'value_conversion_failed' | 'other',
    readonly constraint: string | null = null,
  ) {
    super(message);
    this.name = 'SqlError';
  }

  /** SQLSTATE 23505, as tokio-postgres (Spin) or node-postgres word it. */
  get isUniqueViolation(): boolean {
    return /duplicate key value violates unique constraint|SqlState\(E23505\)/i.test(this.message);
  }
}

/** Picks the constraint name out of a Postgres message such as `... unique constraint "users_email_key"`. */
export function constraintOf(message: string): string | null {
  // Spin words it `constraint: Some("users_email_key")`; Postgres itself `constraint "users_email_key"`.
  return /constraint:? (?:Some\()?\\?"([^"\\]+)\\?"/.exec(message)?.[1] ?? null;
}

export class RowShapeError extends Error {
  constructor(readonly issues: readonly z.core.$ZodIssue[], sql: string) {
    super(`A row did not match its schema (${issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}) for: ${sql.slice(0, 200)}`);
    this.name = 'RowShapeError';
  }
}

/** Runs a query and validates every row with `schema`, so handlers work with typed values. */
export async function queryRows<Schema extends z.ZodType>(
  db: SqlClient,
  schema: Schema,
  sql: string,
  params: readonly SqlParam[] = [],
): Promise<z.output<Schema>[]> {
  const { rows } = await db.query(sql, params);
  return profileOf(db).time('rows', () => parseRows(schema, rows, sql));
}

function parseRows<Schema extends z.ZodType>(schema: Schema, rows: SqlRow[], sql: string): z.output<Schema>[] {
  return rows.map((row) => {
    const parsed = schema.safeParse(row);
    if (!parsed.success) throw new RowShapeError(parsed.error.issues, sql);
    return parsed.data;
  });
}

/** The first row, or null when there is none. */
export async function queryOne<Schema extends z.ZodType>(
  db: SqlClient,
  schema: Schema,
  sql: string,
  params: readonly SqlParam[] = [],
): Promise<z.output<Schema> | null> {
  const rows = await queryRows(db, schema, sql, params);
  return rows[0] ?? null;
}

export async function execute(db: SqlClient, sql: string, params: readonly SqlParam[] = []): Promise<void> {
  await db.query(sql, params);
}

const inTransaction = new WeakSet<SqlClient>();

/**
 * Runs `work` between BEGIN and COMMIT on this one connection, rolling back if it throws.
 * A transaction inside a transaction joins the outer one.
 */
export async function transaction<T>(db: SqlClient, work: (tx: SqlClient) => Promise<T>): Promise<T> {
  if (inTransaction.has(db)) return work(db);
  await db.query('BEGIN');
  inTransaction.add(db);
  try {
    const result = await work(db);
    await db.query('COMMIT');
    return result;
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    inTransaction.delete(db);
  }
}

// Column codecs. Spin 2.0's Postgres interface returns uuid, timestamp, jsonb, numeric and array
// columns as "unsupported", so queries cast them to text and these codecs turn them back.

/** An integer column (int4 arrives as number, int8 as bigint or string). */
export const sqlInt = z
  .union([z.number(), z.bigint(), z.string().regex(/^-?\d+$/)])
  .transform((value) => Number(value))
  .pipe(z.number().int());

/** A boolean column (bool, or `t`/`f` text). */
export const sqlBool = z.union([z.boolean(), z.enum(['t', 'f', 'true', 'false']).transform((value) => value.startsWith('t'))]);

/** A `::text` cast of a json/jsonb/array column, parsed and validated with `schema`. */
export function sqlJson<Schema extends z.ZodType>(schema: Schema) {
  return z
    .unknown()
    .transform((value, context) => {
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'Column is not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** SQL that renders a timestamptz column as ISO 8601 UTC text, e.g. `2026-11-28T10:00:00.000Z`. */
export function isoTimestamp(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
