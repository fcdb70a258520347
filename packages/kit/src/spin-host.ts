import * as spinPostgres from 'fermyon:spin/postgres@2.0.0';
import * as spinRedis from 'fermyon:spin/redis@2.0.0';
import * as spinVariables from 'fermyon:spin/variables@2.0.0';
import { utf8 } from './encoding.ts';
import type { Host } from './host.ts';
import { asyncRedisClient, type RedisValue, type SyncRedisClient } from './redis.ts';
import { SqlError, asyncSqlClient, constraintOf, type SqlParam, type SqlRow, type SyncSqlClient } from './sql.ts';

/** The `{ tag, val }` a WIT error variant arrives as, or its message. */
function witErrorText(error: unknown): { tag: string; text: string } {
  const payload = (error as { payload?: unknown } | null)?.payload;
  if (payload && typeof payload === 'object' && 'tag' in payload) {
    const { tag, val } = payload as { tag: string; val?: unknown };
    return { tag, text: val === undefined ? tag : String(val) };
  }
  return { tag: 'other', text: error instanceof Error ? error.message : String(error) };
}

/**
 * Builds WIT parameter values here rather than through the SDK's helper, which sends null as an
 * object (typeof null === 'object') and small integers as int32.
 */
export function toParameterValue(value: SqlParam): spinPostgres.ParameterValue {
  if (value === null || value === undefined) return { tag: 'db-null' };
  if (typeof value === 'string') return { tag: 'str', val: value };
  if (typeof value === 'boolean') return { tag: 'boolean', val: value };
  if (typeof value === 'bigint') return { tag: 'int64', val: value };
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? { tag: 'int64', val: BigInt(value) } : { tag: 'floating64', val: value };
  }
  return { tag: 'binary', val: value };
}

function fromDbValue(value: spinPostgres.DbValue, column: string): unknown {
  switch (value.tag) {
    case 'db-null':
      return null;
    case 'unsupported':
      throw new SqlError(`Column "${column}" has a type Spin's Postgres interface cannot return; cast it in SQL (e.g. ::text)`, 'value_conversion_failed');
    case 'int64':
    case 'uint64':
      return value.val >= BigInt(Number.MIN_SAFE_INTEGER) && value.val <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value.val) : value.val.toString();
    default:
      return value.val;
  }
}

function openPostgresSync(address: string): SyncSqlClient {
  let connection: spinPostgres.Connection;
  try {
    connection = spinPostgres.Connection.open(address);
  } catch (error) {
    const { text } = witErrorText(error);
    throw new SqlError(`Could not connect to Postgres: ${text}`, 'connection_failed');
  }
  return {
    query(sql, params = []) {
      let result: spinPostgres.RowSet;
      try {
        result = connection.query(sql, params.map(toParameterValue));
      } catch (error) {
        const { tag, text } = witErrorText(error);
        const kind = (['connection-failed', 'bad-parameter', 'query-failed', 'value-conversion-failed'].includes(tag)
          ? tag.replaceAll('-', '_')
          : 'other') as SqlError['kind'];
        throw new SqlError(text, kind, constraintOf(text));
      }
      const names = result.columns.map((column) => column.name);
      const rows = result.rows.map((row) => {
        const record: SqlRow = {};
        row.forEach((value, index) => {
          const name = names[index] ?? String(index);
          record[name] = fromDbValue(value, name);
        });
        return record;
      });
      return { rows };
    },
  };
}

function fromRedisResult(result: spinRedis.RedisResult): RedisValue {
  switch (result.tag) {
    case 'nil':
      return null;
    case 'status':
      return result.val;
    case 'int64':
      return Number(result.val);
    case 'binary':
      return result.val;
  }
}

function redisCall<T>(operation: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw new Error(`Redis ${operation} failed: ${witErrorText(error).text}`);
  }
}

function openRedisSync(address: string): SyncRedisClient {
  const connection = redisCall('connect', () => spinRedis.Connection.open(address));
  return {
    publish(channel, payload) {
      redisCall('PUBLISH', () => connection.publish(channel, payload));
    },
    get(key) {
      return redisCall('GET', () => connection.get(key)) ?? null;
    },
    set(key, value) {
      redisCall('SET', () => connection.set(key, value));
    },
    incr(key) {
      return Number(redisCall('INCR', () => connection.incr(key)));
    },
    del(keys) {
      return redisCall('DEL', () => connection.del(keys));
    },
    execute(command, args) {
      const parameters = args.map((arg): spinRedis.RedisParameter =>
        typeof arg === 'number' && Number.isSafeInteger(arg)
          ? { tag: 'int64', val: BigInt(arg) }
          : { tag: 'binary', val: typeof arg === 'string' || typeof arg === 'number' ? utf8(String(arg)) : arg },
      );
      return redisCall(command, () => connection.execute(command, parameters)).map(fromRedisResult);
    },
  };
}

/** The Spin host: variables, Postgres and Redis through the component's WIT imports. */
export const spinHost: Host = {
  variables: {
    get(name) {
      try {
        return spinVariables.get(name);
      } catch {
        return undefined;
      }
    },
  },
  openPostgres: (address) => asyncSqlClient(openPostgresSync(address)),
  openRedis: (address) => asyncRedisClient(openRedisSync(address)),
  openPostgresSync,
  openRedisSync,
};
