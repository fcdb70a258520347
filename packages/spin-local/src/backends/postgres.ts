/**
 * Postgres for guests and for tooling (migrations): a real server (`DB_CONNECTION`, keeping the
 * database name of each address) or embedded PGlite, one instance per database, persisted under
 * `<dataDir>/<database>` or held in memory. Values are mapped exactly as Spin 2.0's outbound-pg
 * host maps them (crates/outbound-pg): int2/int4/int8 → int16/int32/int64, float4/float8,
 * bool, text/varchar/bpchar → str, bytea → binary, NULL → db-null, every other type → unsupported.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { WitError } from '../host-bridge.ts';

export type ParameterValue =
  | { tag: 'boolean'; val: boolean }
  | { tag: 'int8' | 'int16' | 'int32' | 'uint8' | 'uint16' | 'uint32' | 'floating32' | 'floating64'; val: number }
  | { tag: 'int64' | 'uint64'; val: bigint }
  | { tag: 'str'; val: string }
  | { tag: 'binary'; val: Uint8Array }
  | { tag: 'db-null' };

export type DbValue =
  | { tag: 'boolean'; val: boolean }
  | { tag: 'int16' | 'int32' | 'floating32' | 'floating64'; val: number }
  | { tag: 'int64'; val: bigint }
  | { tag: 'str'; val: string }
  | { tag: 'binary'; val: Uint8Array }
  | { tag: 'db-null' }
  | { tag: 'unsupported' };

export type DbDataType = 'boolean' | 'int16' | 'int32' | 'int64' | 'floating32' | 'floating64' | 'str' | 'binary' | 'other';

export interface RowSet {
  columns: { name: string; dataType: DbDataType }[];
  rows: DbValue[][];
}

interface RawResult {
  fields: { name: string; dataTypeID: number }[];
  rows: unknown[][];
  affected: number;
}

const oid = { bool: 16, bytea: 17, int8: 20, int2: 21, int4: 23, text: 25, float4: 700, float8: 701, bpchar: 1042, varchar: 1043 } as const;

export function columnType(typeId: number): DbDataType {
  switch (typeId) {
    case oid.bool: return 'boolean';
    case oid.bytea: return 'binary';
    case oid.float4: return 'floating32';
    case oid.float8: return 'floating64';
    case oid.int2: return 'int16';
    case oid.int4: return 'int32';
    case oid.int8: return 'int64';
    case oid.text:
    case oid.varchar:
    case oid.bpchar: return 'str';
    default: return 'other';
  }
}

function hexToBytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.startsWith('\\x') ? text.slice(2) : text, 'hex'));
}

/** Converts a value as PGlite parses it, or as raw text from node-postgres, to the WIT value. */
export function toDbValue(typeId: number, value: unknown): DbValue {
  if (value === null || value === undefined) return { tag: 'db-null' };
  switch (columnType(typeId)) {
    case 'boolean': return { tag: 'boolean', val: value === true || value === 't' || value === 'true' };
    case 'int16': return { tag: 'int16', val: Number(value) };
    case 'int32': return { tag: 'int32', val: Number(value) };
    case 'int64': return { tag: 'int64', val: BigInt(value as string | number | bigint) };
    case 'floating32': return { tag: 'floating32', val: Number(value) };
    case 'floating64': return { tag: 'floating64', val: Number(value) };
    case 'str': return { tag: 'str', val: String(value) };
    case 'binary': return { tag: 'binary', val: value instanceof Uint8Array ? new Uint8Array(value) : hexToBytes(String(value)) };
    default: return { tag: 'unsupported' };
  }
}

/** Spin 2.0 rejects unsigned integers; `kind` picks the variant its query/execute use. */
export function toSqlParameter(param: ParameterValue, kind: 'query' | 'execute'): unknown {
  switch (param.tag) {
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'uint64': {
      const message = 'Postgres does not support unsigned integers';
      throw new WitError(kind === 'query' ? { tag: 'bad-parameter', val: message } : { tag: 'value-conversion-failed', val: message });
    }
    case 'db-null': return null;
    case 'int64': return param.val.toString();
    case 'binary': return Buffer.from(param.val);
    default: return param.val;
  }
}

/** Spin reports tokio-postgres errors with `{:?}`; keep the SQLSTATE visible the same way. */
function describeDbError(error: unknown): string {
  const e = error as { message?: string; code?: string; severity?: string; detail?: string; constraint?: string };
  if (e && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
    const parts = [`severity: "${e.severity ?? 'ERROR'}"`, `code: SqlState(E${e.code})`, `message: ${JSON.stringify(e.message ?? '')}`];
    if (e.detail) parts.push(`detail: Some(${JSON.stringify(e.detail)})`);
    if (e.constraint) parts.push(`constraint: Some(${JSON.stringify(e.constraint)})`);
    return `Error { kind: Db, cause: Some(DbError { ${parts.join(', ')} }) }`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** One guest connection (or tooling client): statements run in order on one session. */
interface Session {
  run(sql: string, params: unknown[]): Promise<RawResult>;
  /** Several statements, no parameters (migrations). */
  runScript(sql: string): Promise<RawResult>;
  close(): Promise<void>;
}

/**
 * PGlite is a single session; guests in different threads share it. A connection that leaves a
 * transaction open keeps the database to itself until it commits, rolls back or closes.
 */
class EmbeddedDatabase {
  private owner: object | undefined;
  private waiters: (() => void)[] = [];

  constructor(readonly db: PGlite) {}

  private async acquire(session: object): Promise<void> {
    while (this.owner !== undefined && this.owner !== session) await new Promise<void>((r) => this.waiters.push(r));
    this.owner = session;
  }

  private release(session: object, force = false): void {
    if (this.owner !== session) return;
    if (!force && this.db.isInTransaction()) return;
    this.owner = undefined;
    for (const wake of this.waiters.splice(0)) wake();
  }

  session(): Session {
    const token = {};
    const exclusive = async <T>(work: () => Promise<T>): Promise<T> => {
      await this.acquire(token);
      try {
        return await work();
      } finally {
        this.release(token);
      }
    };
    return {
      run: (sql, params) =>
        exclusive(async () => {
          const result = await this.db.query<unknown[]>(sql, params, { rowMode: 'array' });
          return { fields: result.fields, rows: result.rows, affected: result.affectedRows ?? 0 };
        }),
      runScript: (sql) =>
        exclusive(async () => {
          const results = await this.db.exec(sql);
          const last = results.at(-1);
          return { fields: last?.fields ?? [], rows: (last?.rows ?? []).map((r) => Object.values(r as object)), affected: last?.affectedRows ?? 0 };
        }),
      close: async () => {
        if (this.owner === token && this.db.isInTransaction()) await this.db.exec('ROLLBACK').catch(() => {});
        this.release(token, true);
      },
    };
  }
}

/** Embedded databases are shared process-wide by directory, so the runtime and a migration client never open one twice. */
const embeddedDatabases = new Map<string, { refs: number; database: Promise<EmbeddedDatabase> }>();

async function openEmbedded(key: string, dir: string | undefined): Promise<EmbeddedDatabase> {
  let entry = embeddedDatabases.get(key);
  if (!entry) {
    const database = (async () => {
      if (dir) await mkdir(dir, { recursive: true });
      // Loaded on first use: most starts never open a database before the first request.
      const { PGlite } = await import('@electric-sql/pglite');
      return new EmbeddedDatabase(await PGlite.create(dir ? { dataDir: dir } : {}));
    })();
    entry = { refs: 0, database };
    embeddedDatabases.set(key, entry);
  }
  entry.refs++;
  return entry.database;
}

async function releaseEmbedded(key: string): Promise<void> {
  const entry = embeddedDatabases.get(key);
  if (!entry) return;
  entry.refs--;
  if (entry.refs > 0) return;
  embeddedDatabases.delete(key);
  // Closing flushes PGlite's files: nothing written is lost on Ctrl-C.
  await (await entry.database).db.close();
}

export interface PostgresOptions {
  /** A real server (`postgres://user@host:port`): each address keeps its own database name. */
  realConnection?: string | undefined;
  /** Where embedded databases persist (`<dataDir>/<database>`); in memory when absent. */
  dataDir?: string | undefined;
  /** Distinguishes in-memory databases of different apps in one process. */
  scope: string;
}

const rawText = { getTypeParser: () => (value: string) => value };

export class PostgresBackend {
  private readonly pools = new Map<string, pg.Pool>();
  private readonly embeddedKeys = new Set<string>();
  private readonly sessions = new Map<number, Session>();
  private nextSession = 1;
  private readonly usedDatabases = new Set<string>();

  constructor(private readonly options: PostgresOptions) {}

  get kind(): 'real' | 'embedded' {
    return this.options.realConnection ? 'real' : 'embedded';
  }

  static databaseOf(address: string): string {
    try {
      const name = decodeURIComponent(new URL(address).pathname.replace(/^\//, ''));
      return name || 'postgres';
    } catch {
      throw new WitError({ tag: 'connection-failed', val: `invalid Postgres address ${JSON.stringify(address)}` });
    }
  }

  private async realSession(database: string, raw: boolean): Promise<Session> {
    const { default: pgModule } = await import('pg');
    let pool = this.pools.get(database);
    if (!pool) {
      const url = new URL(this.options.realConnection as string);
      url.pathname = `/${encodeURIComponent(database)}`;
      pool = new pgModule.Pool({ connectionString: url.toString(), max: 20 });
      pool.on('error', () => {});
      this.pools.set(database, pool);
    }
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      // A fresh server has no per-service databases yet: create it, as the compose setup does.
      if ((error as { code?: string }).code !== '3D000') throw error;
      await this.createRealDatabase(database);
      client = await pool.connect();
    }
    const types = raw ? rawText : undefined;
    return {
      run: async (sql, params) => {
        const result = await client.query({ text: sql, values: params, rowMode: 'array', ...(types ? { types } : {}) });
        return { fields: result.fields, rows: result.rows as unknown[][], affected: result.rowCount ?? 0 };
      },
      runScript: async (sql) => {
        const results = (await client.query({ text: sql, ...(types ? { types } : {}) })) as unknown as pg.QueryResult | pg.QueryResult[];
        const last = Array.isArray(results) ? results.at(-1) : results;
        return { fields: last?.fields ?? [], rows: (last?.rows ?? []).map((r) => Object.values(r as object)), affected: last?.rowCount ?? 0 };
      },
      close: async () => {
        // A connection dropped inside a transaction must not leak it into the pool.
        await client.query('ROLLBACK').catch(() => {});
        client.release();
      },
    };
  }

  private async createRealDatabase(database: string): Promise<void> {
    const { default: pgModule } = await import('pg');
    const admin = new pgModule.Client({ connectionString: this.options.realConnection });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
    } catch (error) {
      if ((error as { code?: string }).code !== '42P04') throw error;
    } finally {
      await admin.end();
    }
  }

  private async embeddedSession(database: string): Promise<Session> {
    const dir = this.options.dataDir ? resolve(join(this.options.dataDir, database)) : undefined;
    const key = dir ?? `memory:${this.options.scope}:${database}`;
    if (!this.embeddedKeys.has(key)) {
      this.embeddedKeys.add(key);
      await openEmbedded(key, dir);
    }
    const entry = embeddedDatabases.get(key);
    if (!entry) throw new Error(`embedded database ${database} is closed`);
    return (await entry.database).session();
  }

  /** Opens a session; `raw` returns values as Postgres text (for exact WIT mapping). */
  async session(address: string, raw = true): Promise<Session> {
    const database = PostgresBackend.databaseOf(address);
    this.usedDatabases.add(database);
    return this.options.realConnection ? this.realSession(database, raw) : this.embeddedSession(database);
  }

  // ---- the guest API (fermyon:spin/postgres), by session id ----

  async open(address: string): Promise<number> {
    try {
      const session = await this.session(address);
      const id = this.nextSession++;
      this.sessions.set(id, session);
      return id;
    } catch (error) {
      if (error instanceof WitError) throw error;
      throw new WitError({ tag: 'connection-failed', val: describeDbError(error) });
    }
  }

  private sessionFor(id: number): Session {
    const session = this.sessions.get(id);
    if (!session) throw new WitError({ tag: 'connection-failed', val: 'connection is closed' });
    return session;
  }

  async query(id: number, statement: string, params: ParameterValue[]): Promise<RowSet> {
    const values = params.map((p) => toSqlParameter(p, 'query'));
    let result: RawResult;
    try {
      result = await this.sessionFor(id).run(statement, values);
    } catch (error) {
      if (error instanceof WitError) throw error;
      throw new WitError({ tag: 'query-failed', val: describeDbError(error) });
    }
    // Spin 2.0 infers columns from the first row: an empty result has no columns either.
    if (result.rows.length === 0) return { columns: [], rows: [] };
    return {
      columns: result.fields.map((f) => ({ name: f.name, dataType: columnType(f.dataTypeID) })),
      rows: result.rows.map((row) => row.map((value, i) => toDbValue(result.fields[i]?.dataTypeID ?? 0, value))),
    };
  }

  async execute(id: number, statement: string, params: ParameterValue[]): Promise<bigint> {
    const values = params.map((p) => toSqlParameter(p, 'execute'));
    try {
      return BigInt((await this.sessionFor(id).run(statement, values)).affected);
    } catch (error) {
      if (error instanceof WitError) throw error;
      throw new WitError({ tag: 'query-failed', val: describeDbError(error) });
    }
  }

  async closeSession(id: number): Promise<void> {
    const session = this.sessions.get(id);
    this.sessions.delete(id);
    await session?.close();
  }

  /** Every table in the public schema emptied (between tests); migration bookkeeping kept. */
  async truncateAll(address: string, keep: (table: string) => boolean): Promise<void> {
    // A database this app never touched has nothing to reset (and opening PGlite costs seconds).
    if (!this.usedDatabases.has(PostgresBackend.databaseOf(address))) return;
    const session = await this.session(address, false);
    try {
      const tables = await session.run(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`, []);
      const names = tables.rows.map((r) => String(r[0])).filter((t) => !keep(t));
      if (names.length > 0) await session.run(`TRUNCATE ${names.map((n) => `"${n.replace(/"/g, '""')}"`).join(', ')} RESTART IDENTITY CASCADE`, []);
    } finally {
      await session.close();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.closeSession(id)));
    await Promise.all([...this.pools.values()].map((p) => p.end()));
    this.pools.clear();
    await Promise.all([...this.embeddedKeys].map((key) => releaseEmbedded(key)));
    this.embeddedKeys.clear();
  }
}

export interface SqlClient {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  close(): Promise<void>;
}

export interface SqlClientOptions {
  /** Real server; defaults to `DB_CONNECTION` from the environment. */
  dbConnection?: string | undefined;
  /** Embedded data directory; defaults to `<repo>/.data/pglite`. */
  dataDir?: string | undefined;
  /** For in-memory embedded databases: the app scope to share (see SpinApp.sql). */
  scope?: string;
}

/**
 * A plain SQL client on the same backends the runtime uses (for migrations and seeding). Without
 * parameters, `sql` may hold several statements; rows come back as objects.
 */
export async function openSqlClientOn(backend: PostgresBackend, address: string, ownsBackend: boolean): Promise<SqlClient> {
  const session = await backend.session(address, false);
  return {
    async query(sql, params = []) {
      const result = params.length === 0 ? await session.runScript(sql) : await session.run(sql, params);
      return { rows: result.rows.map((row) => Object.fromEntries(result.fields.map((f, i) => [f.name, row[i]]))) };
    },
    async close() {
      await session.close();
      if (ownsBackend) await backend.close();
    },
  };
}
