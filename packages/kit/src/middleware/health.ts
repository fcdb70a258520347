import type { RequestContext } from '../context.ts';
import { json } from '../responses.ts';

/** `GET <base>/health`: the process answers; says nothing about its backends. */
export function healthRoute(options: { service: string; version: string }): () => Promise<Response> {
  return async () => json({ status: 'ok', service: options.service, version: options.version });
}

interface Check {
  ok: boolean;
  error?: string;
}

async function check(probe: () => Promise<unknown>): Promise<Check> {
  try {
    await probe();
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * `GET <base>/ready`: the database answers `SELECT 1` and Redis `PING`, else 503 naming which
 * failed (the why is logged). A backend the component maps no variable for (`db_connection`,
 * `redis_address`) is one it does not use, and is not checked: the platform's edge component
 * (services/platform) has neither, and is ready whenever it answers.
 */
export function readinessRoute(options: { service: string }): (context: Pick<RequestContext, 'db' | 'redis' | 'log' | 'config'>) => Promise<Response> {
  return async (context) => {
    const checks: Record<string, Check> = {};
    if (context.config.maps('db_connection')) checks.database = await check(() => context.db().query('SELECT 1 AS ok'));
    if (context.config.maps('redis_address')) checks.redis = await check(() => context.redis().execute('PING', []));
    const ready = Object.values(checks).every((result) => result.ok);
    if (!ready) context.log.warn('not ready', { checks });
    // The reason goes to the log only: a driver's error text can quote addresses and settings, and
    // /ready is public (load balancers call it without a token).
    const answer = Object.fromEntries(Object.entries(checks).map(([name, result]) => [name, { ok: result.ok }]));
    return json({ status: ready ? 'ready' : 'unavailable', service: options.service, checks: answer }, { status: ready ? 200 : 503 });
  };
}
