// Conversions between kit values and the Spin 2.0 WIT values of the Postgres and Redis
// interfaces, kept apart from the host imports so they are unit-tested in Node.
import type * as spinPostgres from 'fermyon:spin/postgres@2.0.0';
import type * as spinRedis from 'fermyon:spin/redis@2.0.0';
import { utf8 } from './encoding.ts';
import type { RedisValue } from './redis.ts';
import { SqlError, type SqlParam } from './sql.ts';

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

export function fromDbValue(value: spinPostgres.DbValue, column: string): unknown {
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

export function fromRedisResult(result: spinRedis.RedisResult): RedisValue {
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

/** Integers travel as int64, everything else as bytes (strings UTF-8), as Redis sees them. */
export function toRedisParameter(arg: string | number | Uint8Array): spinRedis.RedisParameter {
  if (typeof arg === 'number' && Number.isSafeInteger(arg)) return { tag: 'int64', val: BigInt(arg) };
  return { tag: 'binary', val: typeof arg === 'string' || typeof arg === 'number' ? utf8(String(arg)) : arg };
}
