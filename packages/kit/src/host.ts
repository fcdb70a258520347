import type { VariableSource } from './config.ts';
import type { RedisClient } from './redis.ts';
import type { SqlClient } from './sql.ts';

/**
 * What the kit needs from the runtime. In a component these are Spin's host interfaces
 * (`spin-host.ts`); unit tests pass in-memory fakes.
 */
export interface Host {
  variables: VariableSource;
  openPostgres(address: string): SqlClient;
  openRedis(address: string): RedisClient;
}
