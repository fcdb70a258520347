import * as spinPostgres from 'fermyon:spin/postgres@2.0.0';
import * as spinRedis from 'fermyon:spin/redis@2.0.0';
import * as spinVariables from 'fermyon:spin/variables@2.0.0';
import type { Host } from './host.ts';
import type { RedisClient } from './redis.ts';
import { fromDbValue, fromRedisResult, toParameterValue, toRedisParameter } from './spin-values.ts';
import { SqlError, constraintOf, type SqlClient, type SqlRow } from './sql.ts';

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
 * Spin's host calls complete before they return (the guest blocks); the clients are async so that
 * every query and Redis call in the services is written one way, in HTTP and Redis components
 * alike (componentize-js >= 0.11 runs a Redis handler's promise to completion).
 */
function openPostgres(address: string): SqlClient {
  let connection: spinPostgres.Connection;
  try {
    connection = spinPostgres.Connection.open(address);
  } catch (error) {
    const { text } = witErrorText(error);
    throw new SqlError(`Could not connect to Postgres: ${text}`, 'connection_failed');
  }
  return {
    async query(sql, params = []) {
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

function redisCall<T>(operation: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw new Error(`Redis ${operation} failed: ${witErrorText(error).text}`);
  }
}

function openRedis(address: string): RedisClient {
  const connection = redisCall('connect', () => spinRedis.Connection.open(address));
  return {
    async publish(channel, payload) {
      redisCall('PUBLISH', () => connection.publish(channel, payload));
    },
    async get(key) {
      return redisCall('GET', () => connection.get(key)) ?? null;
    },
    async set(key, value) {
      redisCall('SET', () => connection.set(key, value));
    },
    async incr(key) {
      return Number(redisCall('INCR', () => connection.incr(key)));
    },
    async del(keys) {
      return redisCall('DEL', () => connection.del(keys));
    },
    async execute(command, args) {
      return redisCall(command, () => connection.execute(command, args.map(toRedisParameter))).map(fromRedisResult);
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
  openPostgres,
  openRedis,
};
