import { describe, expect, it } from 'vitest';
import { Config } from '../config.ts';
import { InMemoryRedis } from '../in-memory-host.ts';
import { createLogger } from '../logging.ts';
import type { RedisClient } from '../redis.ts';
import type { SqlClient } from '../sql.ts';
import { healthRoute, readinessRoute } from './health.ts';

const log = createLogger({ level: 'error', sink: () => undefined });
/** A component mapping both backends' variables, as every service does. */
const config = new Config({ get: (name) => ({ db_connection: 'postgres://db/demo', redis_address: 'redis://redis:6379' })[name] });
const workingDb: SqlClient = { query: async () => ({ rows: [{ ok: 1 }] }) };
const brokenDb: SqlClient = {
  query: async () => {
    throw new Error('connection refused');
  },
};

describe('health and readiness', () => {
  it('health names the service and version', async () => {
    const response = await healthRoute({ service: 'demo', version: '1.2.3' })();
    expect(await response.json()).toEqual({ status: 'ok', service: 'demo', version: '1.2.3' });
  });

  it('is ready when the database and Redis answer', async () => {
    const redis = new InMemoryRedis();
    const response = await readinessRoute({ service: 'demo' })({ db: () => workingDb, redis: () => redis, log, config });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', service: 'demo', checks: { database: { ok: true }, redis: { ok: true } } });
  });

  it('answers 503 naming the backend that failed, and logs why without telling the caller', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', sink: (_level, line) => void lines.push(line) });
    const redis: RedisClient = new InMemoryRedis();
    const dbDown = await readinessRoute({ service: 'demo' })({ db: () => brokenDb, redis: () => redis, log, config });
    expect(dbDown.status).toBe(503);
    expect(await dbDown.json()).toEqual({ status: 'unavailable', service: 'demo', checks: { database: { ok: false }, redis: { ok: true } } });
    expect(lines.join('\n')).toContain('connection refused');
    const noRedis = await readinessRoute({ service: 'demo' })({
      db: () => workingDb,
      redis: () => {
        throw new Error('redis_address is not set');
      },
      log,
      config,
    });
    expect(await noRedis.json()).toMatchObject({ checks: { redis: { ok: false } } });
    expect(JSON.stringify(await readinessRoute({ service: 'demo' })({ db: () => brokenDb, redis: () => redis, log, config }).then((r) => r.json()))).not.toContain('refused');
  });

  it('checks only the backends the component maps a variable for: one with none is ready', async () => {
    const unused = () => {
      throw new Error('must not be opened');
    };
    const edge = await readinessRoute({ service: 'platform' })({ db: unused, redis: unused, log, config: new Config({ get: () => undefined }) });
    expect(edge.status).toBe(200);
    expect(await edge.json()).toEqual({ status: 'ready', service: 'platform', checks: {} });
    // Mapped but empty is a misconfiguration, never "not used": still checked, still not ready.
    const empty = new Config({ get: (name) => (name === 'db_connection' ? '' : undefined) });
    const misconfigured = await readinessRoute({ service: 'demo' })({ db: () => brokenDb, redis: unused, log, config: empty });
    expect(misconfigured.status).toBe(503);
    expect(await misconfigured.json()).toMatchObject({ checks: { database: { ok: false } } });
  });
});
