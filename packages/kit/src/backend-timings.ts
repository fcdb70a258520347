// How long a request waited on its database and Redis, opening the connection included. Inside a
// component a host call blocks the guest, so this time is part of the request's `ms`; the request
// log shows it beside the total, so a slow route says whether its time went to the backends or to
// the guest's own code.
import type { RedisClient } from './redis.ts';
import { profileClock } from './request-profile.ts';
import type { SqlClient } from './sql.ts';

export interface BackendTimings {
  dbMs: number;
  dbCalls: number;
  redisMs: number;
  redisCalls: number;
}

export const noBackendTime = (): BackendTimings => ({ dbMs: 0, dbCalls: 0, redisMs: 0, redisCalls: 0 });

type Kind = 'db' | 'redis';

/** `client` with every method call counted under `kind`, until its promise (if any) settles. */
function timedClient<Client extends object>(client: Client, timings: BackendTimings, kind: Kind): Client {
  const record = (started: number) => {
    timings[`${kind}Ms`] += profileClock() - started;
    timings[`${kind}Calls`] += 1;
  };
  return new Proxy(client, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const started = profileClock();
        const result: unknown = value.apply(target, args);
        if (result instanceof Promise) return result.finally(() => record(started));
        record(started);
        return result;
      };
    },
  });
}

export const timedSqlClient = (client: SqlClient, timings: BackendTimings): SqlClient => timedClient(client, timings, 'db');
export const timedRedisClient = (client: RedisClient, timings: BackendTimings): RedisClient => timedClient(client, timings, 'redis');

/** Opens a connection, its time counted under `kind` (the host connects, or takes one from its pool), not as a call. */
export function timedOpen<Client>(open: () => Client, timings: BackendTimings, kind: Kind): Client {
  const started = profileClock();
  try {
    return open();
  } finally {
    timings[`${kind}Ms`] += profileClock() - started;
  }
}

/** The log fields of `timings`: only the backends the request used, to a tenth of a millisecond. */
export function backendTimeFields(timings: BackendTimings): Record<string, number> {
  const fields: Record<string, number> = {};
  if (timings.dbCalls > 0) Object.assign(fields, { dbMs: Math.round(timings.dbMs * 10) / 10, dbCalls: timings.dbCalls });
  if (timings.redisCalls > 0) Object.assign(fields, { redisMs: Math.round(timings.redisMs * 10) / 10, redisCalls: timings.redisCalls });
  return fields;
}
