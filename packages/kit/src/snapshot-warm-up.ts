// What a component does once at build time so that no request has to.
//
// componentize-js runs a component's top-level code at build time (Wizer) and snapshots the
// engine's heap; Spin then starts every request from that snapshot, in a fresh instance. The
// engine (SpiderMonkey, interpreted) compiles a function's bytecode on its first call and an
// irregexp pattern on its first match — and a fresh instance has forgotten everything the
// previous request compiled. So whatever runs here, at build time, is compiled once into the
// snapshot: parsing a token's claims and a row, writing a log line. Measured inside the
// component (Decision 14): the first parse of the claims schema in a request took ~3 ms cold and
// 0.1 ms once warmed here; a row schema's ~2.5 ms fell to ~0.2 ms.
//
// Only pure code may run here: no host call (variables, Postgres, Redis), no clock
// (`Date.now`, `performance.now`), no randomness — at build time there is no host, and Wizer
// refuses or traps on those calls. Nothing here depends on configuration or on a request, so the
// snapshot holds nothing one request could leak to the next.
import { z } from 'zod';
import { routePipeline, type Api } from './api.ts';
import { createRequestContext, type RouteInput } from './context.ts';
import { base64UrlEncode, utf8 } from './encoding.ts';
import type { Host } from './host.ts';
import { assertStorableInput } from './input-text.ts';
import { JWT_AUDIENCE, JWT_ISSUER, decodeClaims, forgetVerificationKeys, signClaims, type AccessTokenClaims } from './jwt.ts';
import { createLogger } from './logging.ts';
import { compose } from './middleware/pipeline.ts';
import type { RedisClient } from './redis.ts';
import { withoutClock } from './request-profile.ts';
import { json } from './responses.ts';
import { sqlBool, sqlInt, sqlJson } from './sql.ts';
import { queryObject, validate } from './validation.ts';

const SAMPLE_ID = '4f1c2b7e-0a4e-4a51-9d1b-6f1f1e9f2a10';
const SAMPLE_TIME = '2026-01-02T03:04:05.678Z';

const sampleClaims: AccessTokenClaims = {
  sub: SAMPLE_ID,
  roles: ['user', 'admin'],
  iss: JWT_ISSUER,
  aud: JWT_AUDIENCE,
  iat: 1_767_323_045,
  nbf: 1_767_323_045,
  exp: 1_767_323_945,
  jti: 'c2FtcGxlLWp0aQ',
  sid: 'sample-session',
  iat_ms: 1_767_323_045_678,
  act: { sub: 'sample-worker' },
};

/** The column and field types rows and requests are made of, so their checks are compiled too. */
const SampleRow = z.object({
  id: z.uuid(),
  owner_id: z.uuid().nullable(),
  email: z.email(),
  title: z.string().trim().min(1).max(200),
  status: z.enum(['active', 'suspended']),
  kind: z.literal('book'),
  note: z.string().nullable().optional(),
  count: sqlInt,
  total: z.number().int().nonnegative(),
  ratio: z.number(),
  flag: sqlBool,
  published: z.boolean(),
  tags: sqlJson(z.array(z.string())),
  meta: sqlJson(z.record(z.string(), z.unknown())),
  created_at: z.iso.datetime({ offset: false }),
  updated_at: z.string(),
  either: z.union([z.string(), z.number()]),
  nested: z.object({ a: z.string().default('') }),
  size: z.coerce.number().int().min(1).max(100).default(20),
});

const sampleRow = {
  id: SAMPLE_ID,
  owner_id: null,
  email: 'writer@example.com',
  title: ' A title ',
  status: 'active',
  kind: 'book',
  note: null,
  count: '12',
  total: 3,
  ratio: 0.5,
  flag: 't',
  published: true,
  tags: '["a","b"]',
  meta: '{"k":1}',
  created_at: SAMPLE_TIME,
  updated_at: SAMPLE_TIME,
  either: 1,
  nested: {},
  size: '10',
};

/**
 * A Redis that holds nothing: every token unrevoked, every sweep already done by someone else. An
 * `MGET` gets one nil per key, as from Spin v4, so the revocation check warms the path requests take
 * (a shorter answer sends it down the key-by-key path for older Spin releases instead).
 */
const emptyRedis: RedisClient = {
  publish: async () => undefined,
  get: async () => null,
  set: async () => undefined,
  incr: async () => 1,
  del: async () => 0,
  execute: async (command, args) => (command === 'MGET' ? args.map(() => null) : [null]),
};

/** The build's stand-in for Spin: fixed variables, an empty Redis, no database (a handler that needs one is not run). */
const buildTimeVariables: Record<string, string> = {
  auth_secret: 'snapshot-warm-up-secret-not-the-real-one',
  log_level: 'error',
  cors_origins: '',
  redis_address: 'redis://build-time',
  db_connection: 'postgres://build-time',
};
const buildTimeHost: Host = {
  variables: { get: (name) => buildTimeVariables[name] },
  openRedis: () => emptyRedis,
  openPostgres: () => {
    throw new Error('no database at build time');
  },
};

/**
 * Runs the pure parts of a request once; see the top of this file. With the component's `api`:
 * a request for a path no route serves, through the whole pipeline (context, middlewares, every
 * route's pattern, the error envelope), and a route's own steps (token, revocation check, params)
 * on a signed-in request, with a handler that needs nothing — a service's handlers are never run
 * (they need the database); then the service's own pure code, `ApiOptions.warmUp`.
 */
export function warmUpSnapshot(api?: Api): Promise<void> {
  decodeClaims(base64UrlEncode(utf8(JSON.stringify(sampleClaims))));
  SampleRow.parse(sampleRow);
  validate('params', z.object({ id: z.uuid() }), { id: SAMPLE_ID });
  queryObject(new URL(`http://localhost/v1/warm-up?limit=10&tag=a&tag=b`));
  assertStorableInput('body', { text: 'sample', list: [1, 'two', { three: null }] });
  const log = createLogger({ level: 'debug', sink: () => undefined, now: () => new Date(0), fields: { service: api?.options.service ?? 'warm-up', requestId: SAMPLE_ID } });
  log.info('request', { method: 'GET', path: '/v1/warm-up', status: 200, ms: 1, dbMs: 0.5, dbCalls: 1, authorization: 'redacted' });
  // The engine drains these promises before it takes the snapshot.
  return withoutClock(async () => {
    // The engine's first Web Crypto call in an instance sets its crypto library up (~1.2 ms); later
    // ones take ~0.05 ms. The build's key, never the real secret: that is a Spin variable, read per request.
    const key = await crypto.subtle.importKey('raw', utf8(buildTimeVariables.auth_secret!), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    await crypto.subtle.verify('HMAC', key, new Uint8Array(32), utf8('warm-up'));
    if (!api) return;
    const base = `http://localhost${api.options.base}`;
    const headers = { host: 'localhost', 'x-request-id': SAMPLE_ID, authorization: `Bearer ${signClaims(sampleClaims, buildTimeVariables.auth_secret!)}` };
    await api.handle(new Request(`${base}/__snapshot-warm-up__`, { headers }), buildTimeHost);
    const now = () => sampleClaims.iat * 1000;
    const context = createRequestContext(new Request(`${base}/${SAMPLE_ID}`, { headers }), buildTimeHost, { service: api.options.service, now, startedAt: 0 });
    // As in a request of an API that sweeps its outbox (middleware/outbox-sweep.ts): a key read along.
    context.redisReadAlong.want('snapshot-warm-up');
    const steps = routePipeline({ auth: 'required', params: z.object({ id: z.uuid() }), responses: {} }, 1024);
    await compose(steps, async (input: RouteInput) => json({ id: input.params }))({ ...context, pathParams: { id: SAMPLE_ID }, principal: null, params: undefined, query: undefined, body: undefined });
    await api.options.warmUp?.();
  }).finally(forgetVerificationKeys).catch((error: unknown) => {
    // Not fatal: requests only pay the compiling again. The build prints this.
    console.error('snapshot warm-up failed; requests will compile what it would have:', error);
  });
}
