import type { Role } from '@authorworks/domain';
import type { z } from 'zod';
import type { Principal } from './auth.ts';
import { noBackendTime, timedOpen, timedRedisClient, timedSqlClient, type BackendTimings } from './backend-timings.ts';
import { Config } from './config.ts';
import { createEventPublisher, type EventPublisher } from './events.ts';
import type { Host } from './host.ts';
import { createLogger, type Logger } from './logging.ts';
import { requestIdOf } from './middleware/request-id.ts';
import { randomUuid } from './random.ts';
import { attachProfile, createProfile, noProfile, profileClock, type RequestProfile } from './request-profile.ts';
import type { RedisClient } from './redis.ts';
import { createRedisReadAlong, type RedisReadAlong } from './redis-read-along.ts';
import type { SqlClient } from './sql.ts';

/** What every handler gets for its request. Connections open on first use. */
export interface RequestContext {
  readonly service: string;
  readonly request: Request;
  readonly url: URL;
  readonly requestId: string;
  readonly log: Logger;
  readonly config: Config;
  readonly events: EventPublisher;
  /** The caller's IP as Spin reports it (`spin-client-addr`), never from X-Forwarded-For. */
  readonly clientAddress: string | null;
  now(): number;
  db(): SqlClient;
  redis(): RedisClient;
  /**
   * Calls another service (e.g. `http://content-api.spin.internal/v1/content/books/1`, which the
   * component's `allowed_outbound_hosts` must list), passing on this request's id and, unless
   * `init.headers` sets one, the caller's bearer token, so the callee checks the same user.
   */
  callService(url: string, init?: RequestInit): Promise<Response>;
  /** True once this request recorded an event in the outbox (the outbox-flush middleware then publishes it). */
  outboxPending(): boolean;
  /** Time spent waiting on `db()` and `redis()` so far (the request log reports it). */
  readonly backendTime: BackendTimings;
  /** Time per stage of the request, recorded only at `log_level` debug (request-profile.ts). */
  readonly profile: RequestProfile;
  /** Redis keys read along with the revocation check, for steps after the handler (redis-read-along.ts). */
  readonly redisReadAlong: RedisReadAlong;
  /**
   * Runs `work` once the answer is on its way — on Spin, in `FetchEvent.waitUntil`, so the client
   * does not wait for it (the outbox flush, the sweeps); in order, each after the one before; a
   * failure is logged, never the request's. Without an event to extend (a test calling
   * `api.handle`), it runs before the answer is returned.
   */
  afterResponse(work: () => Promise<void>): void;
}

/** The context as its creator holds it: the work left for after the answer can be taken out. */
export interface OwnedRequestContext extends RequestContext {
  /** Everything `afterResponse` was given so far, as one task (undefined if nothing), emptied. */
  takeAfterResponse(): (() => Promise<void>) | undefined;
}

/** Who may call a route: any signed-in user, an optional token, or a role. */
export type AuthRequirement = 'required' | 'optional' | Role;

type Parsed<Schema> = Schema extends z.ZodType ? z.output<Schema> : undefined;
type PrincipalOf<Auth> = [Auth] extends ['required' | Role] ? Principal : Principal | null;

export interface RouteContext<Params, Query, Body, Auth> extends RequestContext {
  readonly params: Parsed<Params>;
  readonly query: Parsed<Query>;
  readonly body: Parsed<Body>;
  readonly principal: PrincipalOf<Auth>;
}

/** A route's context while its middlewares fill it in: the principal, then the validated input. */
export interface RouteInput extends RequestContext {
  /** The path's `:name` segments as the router matched them, still percent-encoded. */
  readonly pathParams: Record<string, string>;
  principal: Principal | null;
  params: unknown;
  query: unknown;
  body: unknown;
}

/** `127.0.0.1:5000` → `127.0.0.1`, `[::1]:5000` → `::1`. */
export function clientAddressOf(request: Request): string | null {
  // Spin copies the client's headers and then appends its own (crates/trigger-http/src/headers.rs
  // in Spin v4.0.2), so a client-sent `spin-client-addr` arrives first and Spin's last; the
  // joined value reads `forged, 10.0.0.7:5555`. Spin's own never holds a comma.
  const joined = request.headers.get('spin-client-addr');
  const value = joined?.slice(joined.lastIndexOf(',') + 1).trim();
  if (!value) return null;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1]!;
  const parts = value.split(':');
  return parts.length === 2 ? parts[0]! : value;
}

/** The context of one request on `host`: configuration, logger, lazily opened connections, events. */
export function createRequestContext(
  request: Request,
  host: Host,
  options: { service: string; now: () => number; /** `profileClock()` when the request arrived. */ startedAt?: number },
): OwnedRequestContext {
  const config = new Config(host.variables);
  const requestId = requestIdOf(request, randomUuid);
  const log = createLogger({ level: config.logLevel, fields: { service: options.service, requestId } });
  let database: SqlClient | undefined;
  let redisClient: RedisClient | undefined;
  let outboxPending = false;
  const afterResponse: (() => Promise<void>)[] = [];
  const backendTime = noBackendTime();
  const profile = log.level === 'debug' ? createProfile(options.startedAt ?? profileClock()) : noProfile;
  const redis = () => {
    if (redisClient) return redisClient;
    const address = config.redisAddress;
    return (redisClient = timedRedisClient(timedOpen(() => host.openRedis(address), backendTime, 'redis'), backendTime));
  };
  const db = () => {
    if (database) return database;
    const address = config.dbConnection;
    return (database = attachProfile(timedSqlClient(timedOpen(() => host.openPostgres(address), backendTime, 'db'), backendTime), profile));
  };
  return {
    service: options.service,
    request,
    url: new URL(request.url),
    requestId,
    log,
    config,
    clientAddress: clientAddressOf(request),
    events: createEventPublisher({
      source: options.service,
      correlationId: requestId,
      redis,
      log,
      onRecord: () => {
        outboxPending = true;
      },
    }),
    now: options.now,
    db,
    redis,
    backendTime,
    profile,
    callService(url, init = {}) {
      const headers = new Headers(init.headers);
      headers.set('x-request-id', requestId);
      const authorization = request.headers.get('authorization');
      if (authorization !== null && !headers.has('authorization')) headers.set('authorization', authorization);
      return fetch(url, { ...init, headers });
    },
    outboxPending: () => outboxPending,
    redisReadAlong: createRedisReadAlong(),
    afterResponse(work) {
      afterResponse.push(work);
    },
    takeAfterResponse() {
      const works = afterResponse.splice(0);
      if (works.length === 0) return undefined;
      return async () => {
        for (const work of works) {
          try {
            await work();
          } catch (error) {
            log.error('work after the response failed', { error });
          }
        }
      };
    },
  };
}
