/**
 * Postgres for guests and for tooling (migrations): a real server (`DB_CONNECTION`, keeping the
 * database name of each address) or embedded PGlite, one instance per database, persisted under
 * `<dataDir>/<database>` or held in memory. Values are mapped as Spin v4.0.2 maps them for the
 * `fermyon:spin/postgres@2.0.0` interface (crates/factor-outbound-pg, crates/world/src/
 * conversions.rs): int2/int4/int8 → int16/int32/int64, float4/float8, bool,
 * text/varchar/bpchar → str, bytea → binary, NULL → db-null, every other type → unsupported.
 *
 * Guest statements bind as Spin binds them: tokio-postgres prepares every statement (the
 * extended protocol, so one statement per string) and checks each parameter's Rust type against
 * the type Postgres inferred for it (`ToSql::accepts`), failing with its `{:?}` text.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { WitError } from '../host-bridge.ts';
import { createInMemoryPglite } from './pglite-template.ts';

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

/**
 * Spin 4 rejects unsigned integers while converting the 2.0 interface's parameters, for query and
 * execute alike (crates/world/src/conversions.rs, `TryFrom<v2::rdbms_types::ParameterValue>`).
 */
export function toSqlParameter(param: ParameterValue): unknown {
  switch (param.tag) {
    case 'uint8':
    case 'uint16':
    case 'uint32':
    case 'uint64':
      throw new WitError({ tag: 'value-conversion-failed', val: 'Postgres does not support unsigned integers' });
    case 'db-null': return null;
    case 'int64': return param.val.toString();
    case 'binary': return Buffer.from(param.val);
    default: return param.val;
  }
}

/**
 * What tokio-postgres binds each parameter variant as (crates/factor-outbound-pg/src/types.rs
 * `to_sql_parameter`): the Rust type's name as `std::any::type_name` prints it, and the
 * Postgres types its `ToSql::accepts` takes (postgres-types). `db-null` (Spin's `PgNull`) takes any.
 */
const textLike = new Set([25, 1043, 1042, 19, 705]); // text, varchar, bpchar, name, unknown
const textLikeByName = new Set(['citext', 'ltree', 'lquery', 'ltxtquery']);
const rustBinding: Record<Exclude<ParameterValue['tag'], 'db-null' | 'uint8' | 'uint16' | 'uint32' | 'uint64'>, { rust: string; accepts: (oid: number, name: string) => boolean }> = {
  boolean: { rust: 'bool', accepts: (t) => t === oid.bool },
  int8: { rust: 'i8', accepts: (t) => t === 18 }, // Rust i8 is Postgres "char"
  int16: { rust: 'i16', accepts: (t) => t === oid.int2 },
  int32: { rust: 'i32', accepts: (t) => t === oid.int4 },
  int64: { rust: 'i64', accepts: (t) => t === oid.int8 },
  floating32: { rust: 'f32', accepts: (t) => t === oid.float4 },
  floating64: { rust: 'f64', accepts: (t) => t === oid.float8 },
  str: { rust: 'alloc::string::String', accepts: (t, name) => textLike.has(t) || textLikeByName.has(name) },
  binary: { rust: 'alloc::vec::Vec<u8>', accepts: (t) => t === oid.bytea },
};

/** postgres-types' `Type` as `{:?}` prints it (its variant name), for the built-in types most used. */
const postgresTypeNames: Record<number, string> = {
  16: 'Bool', 17: 'Bytea', 18: 'Char', 19: 'Name', 20: 'Int8', 21: 'Int2', 23: 'Int4', 25: 'Text', 26: 'Oid',
  114: 'Json', 700: 'Float4', 701: 'Float8', 705: 'Unknown', 869: 'Inet', 1042: 'Bpchar', 1043: 'Varchar',
  1082: 'Date', 1083: 'Time', 1114: 'Timestamp', 1184: 'Timestamptz', 1186: 'Interval', 1700: 'Numeric',
  2950: 'Uuid', 3802: 'Jsonb', 1000: 'BoolArray', 1005: 'Int2Array', 1007: 'Int4Array', 1016: 'Int8Array',
  1009: 'TextArray', 1015: 'VarcharArray', 2951: 'UuidArray', 3807: 'JsonbArray',
};

/** A parameter type as prepared: its OID and, for extension types, its name. */
export interface ParameterType {
  oid: number;
  name: string;
}

/**
 * The error Spin returns when a parameter's variant does not fit the type Postgres inferred:
 * tokio-postgres' `Error { kind: ToSql(<index>), cause: Some(WrongType { … }) }` as `{:?}`,
 * passed through as `query-failed` (crates/factor-outbound-pg/src/client.rs `query_failed`).
 */
export function checkParameterTypes(params: readonly ParameterValue[], types: readonly ParameterType[]): void {
  for (const [index, param] of params.entries()) {
    const type = types[index];
    if (!type || param.tag === 'db-null' || param.tag.startsWith('uint')) continue;
    const binding = rustBinding[param.tag as keyof typeof rustBinding];
    if (binding.accepts(type.oid, type.name)) continue;
    const postgres = postgresTypeNames[type.oid] ?? `Other(Other { name: ${JSON.stringify(type.name)}, oid: ${type.oid} })`;
    throw new WitError({ tag: 'query-failed', val: `Error { kind: ToSql(${index}), cause: Some(WrongType { postgres: ${postgres}, rust: ${JSON.stringify(binding.rust)} }) }` });
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
  /** One statement, prepared and bound (the extended protocol), as tokio-postgres runs it. */
  run(sql: string, params: unknown[]): Promise<RawResult>;
  /** The types Postgres infers for a statement's parameters (preparing it, running nothing). */
  describe(sql: string): Promise<ParameterType[]>;
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
      describe: (sql) =>
        exclusive(async () => {
          const described = await this.db.describeQuery(sql);
          const oids = described.queryParams.map((p) => p.dataTypeID);
          return typesOf(oids, (query, params) => this.db.query<unknown[]>(query, params, { rowMode: 'array' }).then((r) => r.rows));
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

/** Names the non-built-in parameter types (extension types such as citext are told by name). */
async function typesOf(oids: number[], query: (sql: string, params: unknown[]) => Promise<unknown[][]>): Promise<ParameterType[]> {
  const unknown = [...new Set(oids.filter((o) => postgresTypeNames[o] === undefined))];
  const names = new Map<number, string>();
  if (unknown.length > 0) {
    const rows = await query(`SELECT oid::int4, typname::text FROM pg_type WHERE oid = ANY($1::oid[])`, [`{${unknown.join(',')}}`]);
    for (const [typeOid, name] of rows) names.set(Number(typeOid), String(name));
  }
  return oids.map((o) => ({ oid: o, name: names.get(o) ?? '' }));
}

/**
 * PGlite's Postgres allocates its shared buffers (128 MB by default) at start, and Emscripten's
 * allocator zeroes them: every embedded database cost ~160 MB resident before its first query,
 * ~1.3 GB for the platform's eight (bench/spin-local `start`). The databases here are small and
 * their files sit in the OS page cache (or in memory), so a miss costs a copy: 4 MB of buffers
 * leaves ~30 MB per database and opens faster (~150 instead of ~300–500 ms of CPU).
 */
export const EMBEDDED_SHARED_BUFFERS = '4MB';
/**
 * Postgres sizes its shared memory (process array, lock and predicate-lock tables) for
 * `max_connections` backends, 100 by default; PGlite runs one. Eight leaves the lock table
 * (`max_locks_per_transaction` × backends, ~1,400 slots with the other defaults) far above what a
 * migration takes in one transaction, and saves ~6–7 MB resident per open database (measured on
 * PGlite 0.5.17, four databases opened in one process: 268 → 242 MB).
 */
export const EMBEDDED_MAX_CONNECTIONS = 8;
const embeddedOptions = (module: typeof import('@electric-sql/pglite')) => ({
  startParams: [...module.PGlite.defaultStartParams, '-c', `shared_buffers=${EMBEDDED_SHARED_BUFFERS}`, '-c', `max_connections=${EMBEDDED_MAX_CONNECTIONS}`],
});

/** Embedded databases are shared process-wide by directory, so the runtime and a migration client never open one twice. */
const embeddedDatabases = new Map<string, { refs: number; database: Promise<EmbeddedDatabase> }>();

/** Databases being closed: one that is opened again waits, so that two PGlites never share a directory. */
const closingDatabases = new Map<string, Promise<void>>();

async function openEmbedded(key: string, dir: string | undefined, templateCacheDir: string | undefined): Promise<EmbeddedDatabase> {
  let entry = embeddedDatabases.get(key);
  if (!entry) {
    const database = (async () => {
      await closingDatabases.get(key);
      if (dir) await mkdir(dir, { recursive: true });
      // Loaded on first use: most starts never open a database before the first request.
      const module = await import('@electric-sql/pglite');
      const options = embeddedOptions(module);
      return new EmbeddedDatabase(dir ? await module.PGlite.create({ dataDir: dir, ...options }) : await createInMemoryPglite(module, templateCacheDir, options));
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
  const closed = entry.database.then((database) => database.db.close());
  closingDatabases.set(key, closed.catch(() => undefined));
  try {
    await closed;
  } finally {
    closingDatabases.delete(key);
  }
}

export interface PostgresOptions {
  /** A real server (`postgres://user@host:port`): each address keeps its own database name. */
  realConnection?: string | undefined;
  /** Where embedded databases persist (`<dataDir>/<database>`); in memory when absent. */
  dataDir?: string | undefined;
  /** Distinguishes in-memory databases of different apps in one process. */
  scope: string;
  /** Where the empty cluster a new in-memory database is copied from is kept (pglite-template.ts); initdb each time when absent. */
  templateCacheDir?: string | undefined;
  /**
   * A persisted embedded database nobody has used for this long, with no session open, is closed
   * (~20–30 MB each) and opened again by its next session (~0.15–0.3 s). In-memory ones stay open.
   */
  idleCloseMs?: number | undefined;
  /**
   * The same for a database only background work (Redis-triggered workers, the ticker's upkeep)
   * has used since it was opened: nobody waits on its next open, so it goes sooner. Default:
   * `idleCloseMs`.
   */
  backgroundIdleCloseMs?: number | undefined;
  /** Called once idle databases are closed: their memory returns only with a garbage collection, which an idle process does not run. */
  afterIdleClose?: () => void;
}

const rawText = { getTypeParser: () => (value: string) => value };

/**
 * Who opens a session: a `request` (an HTTP-triggered instance, or a client outside the guest)
 * waits on the database's open; `background` work (a Redis-triggered instance) runs after an answer
 * was already given.
 */
export type SessionOrigin = 'request' | 'background';

/**
 * node-postgres 8.23 prepares a statement even without values when `queryMode` is 'extended'
 * (its typings lack the option): what tokio-postgres always does.
 */
function extended<T extends pg.QueryConfig | pg.QueryArrayConfig>(config: T): T {
  return Object.assign(config, { queryMode: 'extended' });
}

export class PostgresBackend {
  private readonly pools = new Map<string, pg.Pool>();
  /** Open embedded databases: key (directory, or `memory:` scope and name) → database name. */
  private readonly embeddedKeys = new Map<string, string>();
  private readonly sessions = new Map<number, Session>();
  private nextSession = 1;
  private readonly usedDatabases = new Set<string>();
  /** Parameter types by database and statement: Spin prepares every time, one describe is enough here. */
  private readonly parameterTypes = new Map<string, ParameterType[]>();
  private readonly sessionDatabases = new Map<number, string>();
  /**
   * Per persisted embedded database: sessions open on it, when the last one was opened or closed,
   * and whether a request has used it since it was opened.
   */
  private readonly embeddedUse = new Map<string, { sessions: number; since: number; requested: boolean }>();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: PostgresOptions) {}

  /** The embedded databases open now (their keys: directory, or `memory:` scope and name). */
  get openEmbeddedDatabases(): string[] {
    return [...this.embeddedKeys.keys()];
  }

  /** The same, by database name. */
  get openEmbeddedDatabaseNames(): string[] {
    return [...this.embeddedKeys.values()];
  }

  private closeIdleDatabases(): void {
    const now = Date.now();
    const closing: Promise<void>[] = [];
    for (const [key, use] of this.embeddedUse) {
      if (use.sessions > 0 || now - use.since < this.idleCloseAfter(use.requested)) continue;
      this.embeddedUse.delete(key);
      this.embeddedKeys.delete(key);
      closing.push(releaseEmbedded(key).catch(() => undefined));
    }
    if (closing.length > 0) void Promise.all(closing).then(() => this.options.afterIdleClose?.());
    if (this.embeddedUse.size === 0) {
      clearInterval(this.idleTimer);
      this.idleTimer = undefined;
    }
  }

  private idleCloseAfter(requested: boolean): number {
    const idleCloseMs = this.options.idleCloseMs ?? Infinity;
    return requested ? idleCloseMs : Math.min(idleCloseMs, this.options.backgroundIdleCloseMs ?? idleCloseMs);
  }

  /** Counts a session on a persisted database, so that it is not closed under it. */
  private tracked(key: string, session: Session, origin: SessionOrigin): Session {
    const idleCloseMs = this.options.idleCloseMs;
    if (idleCloseMs === undefined || key.startsWith('memory:')) return session;
    const use = this.embeddedUse.get(key) ?? { sessions: 0, since: Date.now(), requested: false };
    use.sessions++;
    if (origin === 'request') use.requested = true;
    this.embeddedUse.set(key, use);
    this.idleTimer ??= setInterval(() => this.closeIdleDatabases(), Math.max(10, this.idleCloseAfter(false) / 4)).unref();
    let open = true;
    return {
      ...session,
      close: async () => {
        if (open) {
          open = false;
          use.sessions--;
          use.since = Date.now();
        }
        await session.close();
      },
    };
  }

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
    let described = 0;
    return {
      run: async (sql, params) => {
        // Always the extended protocol, as tokio-postgres: a string of several statements fails.
        const result = await client.query(extended({ text: sql, values: params, rowMode: 'array' as const, ...(types ? { types } : {}) }));
        return { fields: result.fields, rows: result.rows as unknown[][], affected: result.rowCount ?? 0 };
      },
      describe: async (sql) => {
        // node-postgres exposes no Describe: PREPARE (through the extended protocol, so several
        // statements fail as they would for Spin) and read the inferred types back.
        const name = `spin_local_describe_${++described}`;
        await client.query(extended({ text: `PREPARE ${name} AS ${sql}` }));
        try {
          const result = await client.query<[string]>({ text: 'SELECT parameter_types::oid[]::text FROM pg_prepared_statements WHERE name = $1', values: [name], rowMode: 'array', types: rawText });
          const oids = (result.rows[0]?.[0] ?? '{}').replace(/[{}]/g, '').split(',').filter(Boolean).map(Number);
          return await typesOf(oids, async (query, values) => (await client.query<unknown[]>({ text: query, values, rowMode: 'array', types: rawText })).rows);
        } finally {
          await client.query(`DEALLOCATE ${name}`).catch(() => {});
        }
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
      // 42P04: it exists. 23505: another connection created it at the same moment (two first
      // requests to a service whose database is new race here; the loser's unique index on
      // pg_database fires before the duplicate_database check).
      const code = (error as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw error;
    } finally {
      await admin.end();
    }
  }

  private async embeddedSession(database: string, origin: SessionOrigin): Promise<Session> {
    const dir = this.options.dataDir ? resolve(join(this.options.dataDir, database)) : undefined;
    const key = dir ?? `memory:${this.options.scope}:${database}`;
    if (!this.embeddedKeys.has(key)) {
      this.embeddedKeys.set(key, database);
      await openEmbedded(key, dir, this.options.templateCacheDir);
    }
    const entry = embeddedDatabases.get(key);
    if (!entry) throw new Error(`embedded database ${database} is closed`);
    return this.tracked(key, (await entry.database).session(), origin);
  }

  /** Opens a session; `raw` returns values as Postgres text (for exact WIT mapping). */
  async session(address: string, raw = true, origin: SessionOrigin = 'request'): Promise<Session> {
    const database = PostgresBackend.databaseOf(address);
    this.usedDatabases.add(database);
    return this.options.realConnection ? this.realSession(database, raw) : this.embeddedSession(database, origin);
  }

  // ---- the guest API (fermyon:spin/postgres), by session id ----

  async open(address: string, origin: SessionOrigin = 'request'): Promise<number> {
    try {
      const session = await this.session(address, true, origin);
      const id = this.nextSession++;
      this.sessions.set(id, session);
      this.sessionDatabases.set(id, PostgresBackend.databaseOf(address));
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

  /** Prepares, checks the bindings as tokio-postgres does, then runs. */
  private async run(id: number, statement: string, params: ParameterValue[]): Promise<RawResult> {
    const values = params.map((p) => toSqlParameter(p));
    const session = this.sessionFor(id);
    try {
      if (params.length > 0) {
        const key = `${this.sessionDatabases.get(id) ?? ''}\0${statement}`;
        let types = this.parameterTypes.get(key);
        if (!types) {
          types = await session.describe(statement);
          if (this.parameterTypes.size >= 4096) this.parameterTypes.clear();
          this.parameterTypes.set(key, types);
        }
        checkParameterTypes(params, types);
      }
      return await session.run(statement, values);
    } catch (error) {
      if (error instanceof WitError) throw error;
      throw new WitError({ tag: 'query-failed', val: describeDbError(error) });
    }
  }

  async query(id: number, statement: string, params: ParameterValue[]): Promise<RowSet> {
    const result = await this.run(id, statement, params);
    // Spin 4 takes the columns from the prepared statement: an empty result has them too.
    return {
      columns: result.fields.map((f) => ({ name: f.name, dataType: columnType(f.dataTypeID) })),
      rows: result.rows.map((row) => row.map((value, i) => toDbValue(result.fields[i]?.dataTypeID ?? 0, value))),
    };
  }

  async execute(id: number, statement: string, params: ParameterValue[]): Promise<bigint> {
    return BigInt((await this.run(id, statement, params)).affected);
  }

  async closeSession(id: number): Promise<void> {
    const session = this.sessions.get(id);
    this.sessions.delete(id);
    this.sessionDatabases.delete(id);
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
    clearInterval(this.idleTimer);
    await Promise.all([...this.sessions.keys()].map((id) => this.closeSession(id)));
    await Promise.all([...this.pools.values()].map((p) => p.end()));
    this.pools.clear();
    await Promise.all([...this.embeddedKeys.keys()].map((key) => releaseEmbedded(key)));
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
