import type { VariableSource } from './config.ts';
import type { RedisClient, SyncRedisClient } from './redis.ts';
import type { SqlClient, SyncSqlClient } from './sql.ts';

/**
 * What the kit needs from the runtime. In a component these are Spin's host interfaces
 * (`spin-host.ts`); unit tests pass in-memory fakes.
 */
export interface Host {
  variables: VariableSource;
  openPostgres(address: string): SqlClient;
  openRedis(address: string): RedisClient;
  /** Synchronous connections, for Redis-triggered components. */
  openPostgresSync(address: string): SyncSqlClient;
  openRedisSync(address: string): SyncRedisClient;
}
