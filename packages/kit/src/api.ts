import { Router, type IRequest, type RouterType } from 'itty-router';
import type { z } from 'zod';
import { DEFAULT_MAX_BODY_BYTES } from './body.ts';
import { createRequestContext, type AuthRequirement, type RequestContext, type RouteContext, type RouteInput } from './context.ts';
import type { AfterResponse } from './fetch-event.ts';
import { HttpError } from './errors.ts';
import type { Host } from './host.ts';
import { authenticateAs } from './middleware/authenticate.ts';
import { cors } from './middleware/cors.ts';
import { headAsGet } from './middleware/head-as-get.ts';
import { healthRoute, readinessRoute } from './middleware/health.ts';
import { hostHeader } from './middleware/host-header.ts';
import { jobSweep, type JobSweepOptions } from './middleware/job-sweep.ts';
import { outboxFlush } from './middleware/outbox-flush.ts';
import { outboxSweep } from './middleware/outbox-sweep.ts';
import type { OutboxSweepOptions } from './outbox.ts';
import { compose, type Middleware } from './middleware/pipeline.ts';
import { requestId } from './middleware/request-id.ts';
import { requestLog } from './middleware/request-log.ts';
import { throttle, type ThrottleRule } from './middleware/throttle.ts';
import { validateInput } from './middleware/validate-input.ts';
import { openApiDocument, type RegisteredRoute, type ResponseBody } from './openapi.ts';
import { profileClock } from './request-profile.ts';

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
  /** The service's job queue: every request also runs the rate-limited jobs sweep (middleware/job-sweep.ts). */
  jobs?: JobSweepOptions;
  /** Every request also publishes outbox rows a crash left behind, at most once per interval (middleware/outbox-sweep.ts). */
  outboxSweep?: OutboxSweepOptions;
  /**
   * The service's own pure code, run once at build time so that it is compiled into the
   * component's snapshot (snapshot-warm-up.ts, whose rules it follows: no host call, no clock, no
   * randomness). Whatever a request's handler calls first is otherwise compiled in every request.
   */
  warmUp?: () => unknown;
}

export interface RouteSpec<Params, Query, Body, Auth> {
  /**
   * What a 2xx answer carries, by status: the zod schema of its JSON body, `null` for no body (204), or a non-JSON body described.
   * Any other answer that is not the error envelope goes here too: a redirect or 304 (`null`), a 503 that still reports (`/ready`).
   */
  responses: { [status: number]: ResponseBody };
  /**
   * The error statuses the route's own code answers (status → when), beyond those the kit derives
   * from the spec: 400 for params/query/body, 401 for auth, 403 for a role, 413/415 for a body,
   * 429 when throttled. Each is answered with the error envelope (openapi.ts documents them).
   */
  errors?: { [status: number]: string };
  params?: Params;
  query?: Query;
  body?: Body;
  auth?: Auth;
  maxBodyBytes?: number;
  /** Counters the route is throttled by, checked after auth and validation (see middleware/throttle.ts). */
  throttle?: readonly ThrottleRule<RouteContext<Params, Query, Body, Auth>>[];
  /**
   * Redis keys the handler wants to know, read with the revocation check's `MGET` instead of in
   * calls of their own (redis-read-along.ts): `context.redisReadAlong.valueOf(key)` in the handler.
   */
  readAlong?: readonly string[];
}

export type RouteHandler<Params, Query, Body, Auth> = (context: RouteContext<Params, Query, Body, Auth>) => Promise<Response>;

/** A handler with its spec: resource files export routes, `src/index.ts` only maps paths to them. */
export interface Route<Params, Query, Body, Auth> {
  spec: RouteSpec<Params, Query, Body, Auth>;
  handler: RouteHandler<Params, Query, Body, Auth>;
}

/** Ties a handler's context type to its spec: `export const getMe = defineRoute({ auth: 'required', responses: { 200: Me } }, async (ctx) => ...)`. */
export function defineRoute<
  Params extends z.ZodType | undefined = undefined,
  Query extends z.ZodType | undefined = undefined,
  Body extends z.ZodType | undefined = undefined,
  Auth extends AuthRequirement | undefined = undefined,
>(spec: RouteSpec<Params, Query, Body, Auth>, handler: RouteHandler<Params, Query, Body, Auth>): Route<Params, Query, Body, Auth> {
  return { spec, handler };
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type RouteRegistrar = <Params, Query, Body, Auth>(path: string, route: Route<Params, Query, Body, Auth>) => Api;

export interface Api {
  readonly options: ApiOptions;
  readonly router: RouterType<IRequest, [RequestContext]>;
  get: RouteRegistrar;
  post: RouteRegistrar;
  put: RouteRegistrar;
  patch: RouteRegistrar;
  delete: RouteRegistrar;
  /** `after`: the request's `FetchEvent`, which keeps the instance for the work after the answer. */
  fetch(request: Request, after?: AfterResponse): Promise<Response>;
  /** The answer to `request` with another host behind it (the build-time warm-up's: snapshot-warm-up.ts). */
  handle(request: Request, host: Host, after?: AfterResponse): Promise<Response>;
}

/** Resolves in the event loop's next task, after every promise reaction queued before it. */
const nextTask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Resolves once the engine has written and finished a response body of one chunk (JSON, a
 * redirect, an error): StarlingMonkey's event loop runs the first ready task in the order queued
 * (runtime/event_loop.cpp, `AsyncTask::select`), and the body's `write_all` task is queued after
 * the answer's promise reactions — behind a timer started before the answer was returned, ahead
 * of one started after that timer fired. A longer body may still be going out when this resolves.
 */
const answerSent = () => nextTask().then(nextTask);

/** What every request goes through, outermost first; the router answers at the centre. */
const REQUEST_PIPELINE: readonly Middleware<RequestContext>[] = [requestLog(), requestId(), hostHeader(), cors(), outboxFlush()];

/**
 * `sweep` for every request but the probes (`<base>/health`, `<base>/ready`). A probe is what a
 * supervisor polls to decide whether to route to or restart the process: it must answer at once
 * and change nothing. Sweeping on it made `pnpm start`'s first health answers wait for each
 * service's database to open (0.8–0.9 s each on embedded PGlite; Decision 15), and a probe that
 * writes is one a load balancer's polling turns into load. The sweeps still run on every other
 * request, and the ticker (docs/deploy.md) reaches every worker when nothing else comes.
 */
function exceptProbes<Context extends Pick<RequestContext, 'url'>>(base: string, sweep: Middleware<Context>): Middleware<Context> {
  const probes = new Set([`${base}/health`, `${base}/ready`]);
  return (context, next) => (probes.has(context.url.pathname) ? next() : sweep(context, next));
}

/** A route's own steps before its handler: who calls, what they sent, whether they may try again. */
export function routePipeline(spec: RouteSpec<unknown, unknown, unknown, unknown>, defaultMaxBodyBytes: number): Middleware<RouteInput>[] {
  const schemas = spec as RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined, AuthRequirement | undefined>;
  const steps: Middleware<RouteInput>[] = [
    authenticateAs(schemas.auth),
    validateInput(schemas, spec.maxBodyBytes ?? defaultMaxBodyBytes),
  ];
  const along = spec.readAlong;
  if (along) {
    steps.unshift((context, next) => {
      for (const key of along) context.redisReadAlong.want(key);
      return next();
    });
  }
  // The rules are typed against the route's own context, which the steps above have just filled in.
  if (spec.throttle) steps.push(throttle(spec.throttle as readonly ThrottleRule<RouteInput>[]));
  return steps;
}

/**
 * A service's HTTP API on itty-router under `base`: `GET <base>/health`, `<base>/ready` and
 * `<base>/openapi.json` (the route table as OpenAPI 3.1, openapi.ts), each
 * route run through its pipeline (auth, validation, throttling), every request through the
 * request pipeline (log line, request id, CORS, outbox flush); failures become the error envelope,
 * an unknown path 404, a known path with another method 405 with `Allow`.
 */
export function createApiWithHost(options: ApiOptions, host: Host): Api {
  const router = Router<IRequest, [RequestContext]>({ base: options.base });
  const now = options.now ?? (() => Date.now());
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const registered: RegisteredRoute[] = [];

  function register(method: Method): RouteRegistrar {
    return (path, route) => {
      const { params, query, body, auth, throttle: rules, responses, errors } = route.spec as RouteSpec<z.ZodType, z.ZodType, z.ZodType, AuthRequirement>;
      registered.push({ method, path, params, query, body, auth, throttled: rules !== undefined, responses, errors });
      const handle = route.handler as RouteHandler<unknown, unknown, unknown, unknown>;
      const run = compose(routePipeline(route.spec, maxBodyBytes), (input: RouteInput) =>
        input.profile.time('handler', () => handle(input as RouteContext<unknown, unknown, unknown, unknown>)),
      );
      router[method](path, (request: IRequest, context: RequestContext) => {
        context.profile.end('routing');
        return run({ ...context, pathParams: request.params, principal: null, params: undefined, query: undefined, body: undefined });
      });
      return api;
    };
  }

  const health = healthRoute(options);
  const readiness = readinessRoute(options);
  router.get('/health', () => health());
  router.get('/ready', (_request: IRequest, context: RequestContext) => readiness(context));
  // Built on the first request for it only: a fresh instance serves each request, and no other route pays for it.
  let openApi: string | undefined;
  router.get('/openapi.json', () => {
    openApi ??= JSON.stringify(openApiDocument(options, registered));
    return new Response(openApi, { headers: { 'content-type': 'application/json' } });
  });

  function noRoute(request: Request, url: URL): HttpError {
    const allowed = router.routes
      .filter(([, pattern]) => pattern.test(url.pathname))
      .map(([method]) => method)
      .filter((method): method is string => typeof method === 'string' && method !== 'ALL');
    // Every GET route answers HEAD too (middleware/head-as-get.ts).
    if (allowed.includes('GET')) allowed.push('HEAD');
    if (allowed.length > 0) {
      return new HttpError(405, 'method_not_allowed', `${request.method} is not allowed here`, {
        headers: { allow: [...new Set(allowed)].join(', ') },
      });
    }
    return new HttpError(404, 'not_found', `No route for ${request.method} ${url.pathname}`);
  }

  const sweeps: Middleware<RequestContext>[] = [
    ...(options.outboxSweep ? [outboxSweep(options.outboxSweep)] : []),
    ...(options.jobs ? [jobSweep(options.jobs)] : []),
  ];
  const pipeline = [...REQUEST_PIPELINE, ...sweeps.map((sweep) => exceptProbes(options.base, sweep))];
  const dispatch = compose(pipeline, async (context: RequestContext) => {
    context.profile.begin('routing');
    const routed: unknown = await router.fetch(context.request as IRequest, context);
    context.profile.end('routing');
    if (routed instanceof Response) return routed;
    if (routed === undefined) throw noRoute(context.request, context.url);
    throw new Error('A route handler returned something other than a Response');
  });

  const api: Api = {
    options,
    router,
    get: register('get'),
    post: register('post'),
    put: register('put'),
    patch: register('patch'),
    delete: register('delete'),
    fetch: headAsGet((request: Request, after?: AfterResponse) => api.handle(request, host, after)),
    async handle(request, on, after) {
      const startedAt = profileClock();
      const context = createRequestContext(request, on, { service: options.service, now, startedAt });
      context.profile.add('context', profileClock() - startedAt);
      const response = await dispatch(context);
      // The outbox flush and the sweeps: after the answer where the host lets the guest go on
      // (Spin), before it otherwise. waitUntil is called while respondWith's promise is pending;
      // the work starts once the engine has sent the answer and finished its body.
      const work = context.takeAfterResponse();
      if (work && after) after.waitUntil(answerSent().then(work));
      else if (work) await work();
      return response;
    },
  };
  return api;
}
