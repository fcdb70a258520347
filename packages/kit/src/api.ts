import type { Role } from '@authorworks/domain';
import { Router, type IRequest, type RouterType } from 'itty-router';
import type { z } from 'zod';
import { authenticate, requireRole, type Principal } from './auth.ts';
import { DEFAULT_MAX_BODY_BYTES, readJsonBody } from './body.ts';
import { Config, ConfigError } from './config.ts';
import { corsHeaders, isPreflight, preflightResponse } from './cors.ts';
import { HttpError, badRequest, errorEnvelope, errorResponse } from './errors.ts';
import { createEventPublisher, type EventPublisher } from './events.ts';
import type { Host } from './host.ts';
import { createLogger, requestIdOf, type Logger } from './logging.ts';
import { randomUuid } from './random.ts';
import type { RedisClient } from './redis.ts';
import { flushOutbox } from './outbox.ts';
import { json } from './responses.ts';
import type { SqlClient } from './sql.ts';
import { queryObject, validate } from './validation.ts';

export interface ApiOptions {
  /** Service name as it appears in health answers and logs, e.g. `content`. */
  service: string;
  /** Route prefix the service owns, e.g. `/v1/content`. */
  base: string;
  /** The service package's version. */
  version: string;
  /** Body limit for routes that do not set their own. */
  maxBodyBytes?: number;
  /** Clock in milliseconds; tests move it. */
  now?: () => number;
}

/** Who may call a route: any signed-in user, an optional token, or a role. */
export type AuthRequirement = 'required' | 'optional' | Role;

export interface RouteSpec<Params, Query, Body, Auth> {
  params?: Params;
  query?: Query;
  body?: Body;
  auth?: Auth;
  maxBodyBytes?: number;
}

type Parsed<Schema> = Schema extends z.ZodType ? z.output<Schema> : undefined;
type PrincipalOf<Auth> = [Auth] extends ['required' | Role] ? Principal : Principal | null;

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
}

export interface RouteContext<Params, Query, Body, Auth> extends RequestContext {
  readonly params: Parsed<Params>;
  readonly query: Parsed<Query>;
  readonly body: Parsed<Body>;
  readonly principal: PrincipalOf<Auth>;
}

export type RouteHandler<Params, Query, Body, Auth> = (context: RouteContext<Params, Query, Body, Auth>) => Promise<Response>;

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** A handler with its spec, so resource files can export routes and index.ts only maps paths. */
export interface Route<Params, Query, Body, Auth> {
  spec: RouteSpec<Params, Query, Body, Auth>;
  handler: RouteHandler<Params, Query, Body, Auth>;
}

/** Ties a handler's context type to its spec: `export const getMe = defineRoute({ auth: 'required' }, async (ctx) => ...)`. */
export function defineRoute<
  Params extends z.ZodType | undefined = undefined,
  Query extends z.ZodType | undefined = undefined,
  Body extends z.ZodType | undefined = undefined,
  Auth extends AuthRequirement | undefined = undefined,
>(spec: RouteSpec<Params, Query, Body, Auth>, handler: RouteHandler<Params, Query, Body, Auth>): Route<Params, Query, Body, Auth> {
  return { spec, handler };
}

interface RouteRegistrar {
  <
    Params extends z.ZodType | undefined = undefined,
    Query extends z.ZodType | undefined = undefined,
    Body extends z.ZodType | undefined = undefined,
    Auth extends AuthRequirement | undefined = undefined,
  >(
    path: string,
    spec: RouteSpec<Params, Query, Body, Auth>,
    handler: RouteHandler<Params, Query, Body, Auth>,
  ): Api;
  <Params, Query, Body, Auth>(path: string, route: Route<Params, Query, Body, Auth>): Api;
}

export interface Api {
  readonly options: ApiOptions;
  readonly router: RouterType<IRequest, [RequestContext]>;
  get: RouteRegistrar;
  post: RouteRegistrar;
  put: RouteRegistrar;
  patch: RouteRegistrar;
  delete: RouteRegistrar;
  fetch(request: Request): Promise<Response>;
}

/** `127.0.0.1:5000` → `127.0.0.1`, `[::1]:5000` → `::1`. */
export function clientAddressOf(request: Request): string | null {
  const value = request.headers.get('spin-client-addr');
  if (!value) return null;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1]!;
  const parts = value.split(':');
  return parts.length === 2 ? parts[0]! : value;
}

function decodeParams(raw: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    try {
      out[key] = decodeURIComponent(value);
    } catch {
      throw badRequest('validation_failed', 'The request path is not valid', [{ path: `params.${key}`, message: 'Bad percent-encoding' }]);
    }
  }
  return out;
}

function withHeaders(response: Response, headers: Record<string, string>): Response {
  const merged = new Headers(response.headers);
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'vary' && merged.has('vary')) merged.set('vary', `${merged.get('vary')}, ${value}`);
    else merged.set(name, value);
  }
  const bodyless = response.status === 204 || response.status === 304;
  return new Response(bodyless ? null : response.body, { status: response.status, statusText: response.statusText, headers: merged });
}

/**
 * A service's HTTP API on itty-router under `base`: answers `GET <base>/health` and
 * `GET <base>/ready`, validates each route's params, query and body with zod, authenticates by
 * bearer token, applies CORS, turns every failure into the error envelope, and logs one JSON line
 * per request with its request id.
 */
export function createApiWithHost(options: ApiOptions, host: Host): Api {
  const router = Router<IRequest, [RequestContext]>({ base: options.base });
  const now = options.now ?? (() => Date.now());

  function register(method: Method): RouteRegistrar {
    return (
      path: string,
      specOrRoute: RouteSpec<unknown, unknown, unknown, unknown> | Route<unknown, unknown, unknown, unknown>,
      maybeHandler?: RouteHandler<unknown, unknown, unknown, unknown>,
    ) => {
      const route = maybeHandler
        ? { spec: specOrRoute as RouteSpec<unknown, unknown, unknown, unknown>, handler: maybeHandler }
        : (specOrRoute as Route<unknown, unknown, unknown, unknown>);
      const spec = route.spec as RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined, AuthRequirement | undefined>;
      const handler = route.handler;
      router[method](path, async (request: IRequest, context: RequestContext) => {
        let principal: Principal | null = null;
        if (spec.auth !== undefined) {
          const hasToken = context.request.headers.has('authorization');
          if (spec.auth !== 'optional' || hasToken) {
            principal = authenticate(context.request, context.config.authSecret, context.now());
            if (spec.auth !== 'required' && spec.auth !== 'optional') requireRole(principal, spec.auth);
          }
        }
        const params = spec.params ? validate('params', spec.params, decodeParams(request.params)) : undefined;
        const query = spec.query ? validate('query', spec.query, queryObject(context.url)) : undefined;
        let body: unknown;
        if (spec.body) {
          const raw = await readJsonBody(context.request, spec.maxBodyBytes ?? options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
          body = validate('body', spec.body, raw);
        }
        const routeContext = { ...context, params, query, body, principal } as RouteContext<unknown, unknown, unknown, unknown>;
        return handler(routeContext);
      });
      return api;
    };
  }

  async function readiness(context: RequestContext): Promise<Response> {
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    try {
      await context.db().query('SELECT 1 AS ok');
      checks.database = { ok: true };
    } catch (error) {
      checks.database = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    try {
      await context.redis().execute('PING', []);
      checks.redis = { ok: true };
    } catch (error) {
      checks.redis = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    const ready = Object.values(checks).every((check) => check.ok);
    if (!ready) context.log.warn('not ready', { checks });
    return json({ status: ready ? 'ready' : 'unavailable', service: options.service, checks }, { status: ready ? 200 : 503 });
  }

  router.get('/health', () => json({ status: 'ok', service: options.service, version: options.version }));
  router.get('/ready', (_request: IRequest, context: RequestContext) => readiness(context));

  function noRoute(request: Request, url: URL): HttpError {
    const allowed = router.routes
      .filter(([, pattern]) => pattern.test(url.pathname))
      .map(([method]) => method)
      .filter((method): method is string => typeof method === 'string' && method !== 'ALL');
    if (allowed.length > 0) {
      return new HttpError(405, 'method_not_allowed', `${request.method} is not allowed here`, {
        headers: { allow: [...new Set(allowed)].join(', ') },
      });
    }
    return new HttpError(404, 'not_found', `No route for ${request.method} ${url.pathname}`);
  }

  const api: Api = {
    options,
    router,
    get: register('get'),
    post: register('post'),
    put: register('put'),
    patch: register('patch'),
    delete: register('delete'),
    async fetch(request) {
      const started = now();
      const url = new URL(request.url);
      const config = new Config(host.variables);
      const requestId = requestIdOf(request, randomUuid);
      const log = createLogger({ level: config.logLevel, fields: { service: options.service, requestId } });
      let database: SqlClient | undefined;
      let redisClient: RedisClient | undefined;
      let outboxPending = false;
      const redis = () => (redisClient ??= host.openRedis(config.redisAddress));
      const db = () => (database ??= host.openPostgres(config.dbConnection));
      const context: RequestContext = {
        service: options.service,
        request,
        url,
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
        now,
        db,
        redis,
        callService(url, init = {}) {
          const headers = new Headers(init.headers);
          headers.set('x-request-id', requestId);
          const authorization = request.headers.get('authorization');
          if (authorization !== null && !headers.has('authorization')) headers.set('authorization', authorization);
          return fetch(url, { ...init, headers });
        },
      };

      let response: Response;
      let corsOrigins: string[] = [];
      try {
        corsOrigins = config.corsOrigins;
        if (isPreflight(request)) {
          response = preflightResponse(request, corsOrigins);
        } else {
          const routed: unknown = await router.fetch(request as IRequest, context);
          if (routed instanceof Response) response = routed;
          else if (routed === undefined) throw noRoute(request, url);
          else throw new Error('A route handler returned something other than a Response');
        }
      } catch (error) {
        response = failureResponse(error, log, requestId);
      }
      // After the handler, whether it succeeded or not: what it recorded and committed goes out now.
      if (outboxPending) await flushOutbox(db(), redis, { source: options.service, log });

      const finished = withHeaders(response, { 'x-request-id': requestId, ...corsHeaders(request, corsOrigins) });
      const line = { method: request.method, path: url.pathname, status: finished.status, ms: now() - started };
      if (finished.status >= 500) log.error('request failed', line);
      else log.info('request', line);
      return finished;
    },
  };
  return api;
}

/** HttpErrors go to the client as they are; anything else is logged whole and answered with a bare 500. */
export function failureResponse(error: unknown, log: Logger, requestId: string): Response {
  if (error instanceof HttpError) {
    if (error.status >= 500) log.error(error.message, { code: error.code, error: error.cause ?? error });
    return errorResponse(error);
  }
  if (error instanceof ConfigError) {
    log.error('configuration error', { variable: error.variable, error });
    return json(errorEnvelope('misconfigured', `The service is misconfigured: ${error.message}`), { status: 500 });
  }
  log.error('unhandled error', { error });
  return json(errorEnvelope('internal', `Something went wrong on our side (request ${requestId})`), { status: 500 });
}
