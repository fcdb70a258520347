import { ErrorEnvelope, EventEnvelope } from '@authorworks/domain';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createApiWithHost, defineRoute } from './api.ts';
import { HttpError } from './errors.ts';
import { inMemoryHost } from './in-memory-host.ts';
import { signAccessToken } from './jwt.ts';
import { json } from './responses.ts';
import { queryOne } from './sql.ts';

const OkAnswer = z.object({ ok: z.literal(true) });
const UserIdAnswer = z.object({ userId: z.string().nullable() });

const secret = 'kit-test-secret-kit-test-secret-0123456789';
const userId = '4f1c2b7e-0a4e-4a51-9d1b-6f1f1e9f2a10';

function makeApi(variables: Record<string, string> = {}) {
  const host = inMemoryHost({
    variables: { auth_secret: secret, log_level: 'error', cors_origins: 'https://app.example', redis_address: 'redis://x', ...variables },
  });
  const api = createApiWithHost({ service: 'demo', base: '/v1/demo', version: '1.2.3', maxBodyBytes: 200 }, host);
  api
    .post(
      '/things/:id',
      defineRoute({
        params: z.object({ id: z.uuid() }),
        query: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
        body: z.object({ name: z.string().min(1), tags: z.array(z.string()).max(2) }),
        responses: { 201: z.object({ id: z.uuid(), dryRun: z.enum(['true', 'false']).nullable(), name: z.string() }) },
      },
      async ({ params, query, body }) => json({ id: params.id, dryRun: query.dryRun ?? null, name: body.name }, { status: 201 })),
    )
    .get('/me', defineRoute({ auth: 'required', responses: { 200: UserIdAnswer } }, async ({ principal }) => json({ userId: principal.userId })))
    .get('/admin', defineRoute({ auth: 'admin', responses: { 200: OkAnswer } }, async () => json({ ok: true })))
    .get('/maybe', defineRoute({ auth: 'optional', responses: { 200: UserIdAnswer } }, async ({ principal }) => json({ userId: principal?.userId ?? null })))
    .get('/boom', defineRoute({ responses: { 200: OkAnswer } }, async () => {
      throw new Error('database password is hunter2');
    }))
    .get('/teapot', defineRoute({ responses: { 200: OkAnswer }, errors: { 418: 'always' } }, async () => {
      throw new HttpError(418, 'teapot', 'I am a teapot');
    }))
    .post('/publish', defineRoute({ responses: { 200: OkAnswer } }, async ({ events }) => {
      await events.publish('demo-events', 'demo.done', 'thing-1', { ok: true });
      return json({ ok: true });
    }))
    .post('/finish', defineRoute({
      body: z.object({ note: z.string().max(20) }).strict().optional(),
      responses: { 200: z.object({ note: z.string().nullable() }) },
    }, async ({ body }) => json({ note: body?.note ?? null })))
    .get('/secret', defineRoute({ responses: { 200: z.object({ value: z.string() }) } }, async ({ config }) => json({ value: config.required('missing_thing') })));
  return { api, host };
}

const url = (path: string) => `http://localhost:3000/v1/demo${path}`;
const goodId = '0b0e8a8e-6d2c-4d6f-9f6e-1f2a3b4c5d6e';
const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  new Request(url(path), { method: 'POST', body, headers });

async function envelope(response: Response) {
  const body = ErrorEnvelope.parse(await response.json());
  return body.error;
}

afterEach(() => vi.restoreAllMocks());

describe('routing and validation', () => {
  it('answers health', async () => {
    const response = await makeApi().api.fetch(new Request(url('/health')));
    expect(await response.json()).toEqual({ status: 'ok', service: 'demo', version: '1.2.3' });
  });

  it('passes typed params, query and body to the handler', async () => {
    const response = await makeApi().api.fetch(post(`/things/${goodId}?dryRun=true`, JSON.stringify({ name: 'x', tags: [] })));
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ id: goodId, dryRun: 'true', name: 'x' });
  });

  it('names every bad field in a 400', async () => {
    const response = await makeApi().api.fetch(post('/things/42?dryRun=maybe', JSON.stringify({ tags: ['a', 'b', 'c'] })));
    expect(response.status).toBe(400);
    const error = await envelope(response);
    expect(error.code).toBe('validation_failed');
    expect(error.details.map((detail) => detail.path)).toEqual(['params.id']);
    const bodyOnly = await makeApi().api.fetch(post(`/things/${goodId}`, JSON.stringify({ name: 5, tags: ['a', 'b', 'c'] })));
    expect((await envelope(bodyOnly)).details.map((detail) => detail.path).sort()).toEqual(['body.name', 'body.tags']);
  });

  it('reports malformed JSON as 400 malformed_json', async () => {
    const response = await makeApi().api.fetch(post(`/things/${goodId}`, '{"name": '));
    expect(response.status).toBe(400);
    expect((await envelope(response)).code).toBe('malformed_json');
  });

  it('refuses a body over the limit with 413, declared or streamed', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(500), tags: [] });
    const response = await makeApi().api.fetch(post(`/things/${goodId}`, big));
    expect(response.status).toBe(413);
    expect((await envelope(response)).code).toBe('payload_too_large');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const streamed = new Request(url(`/things/${goodId}`), {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    expect((await makeApi().api.fetch(streamed)).status).toBe(413);
  });

  it('refuses a non-JSON content type with 415', async () => {
    const response = await makeApi().api.fetch(post(`/things/${goodId}`, 'name=x', { 'content-type': 'application/x-www-form-urlencoded' }));
    expect(response.status).toBe(415);
    expect((await envelope(response)).code).toBe('unsupported_media_type');
    const charset = await makeApi().api.fetch(
      post(`/things/${goodId}`, JSON.stringify({ name: 'x', tags: [] }), { 'content-type': 'application/json; charset=utf-8' }),
    );
    expect(charset.status).toBe(201);
  });

  it('takes no body at all when the body schema accepts undefined, and validates one that is sent', async () => {
    const { api } = makeApi();
    const finish = async (init: RequestInit) => {
      const response = await api.fetch(new Request(url('/finish'), { method: 'POST', ...init }));
      return [response.status, response.status === 200 ? ((await response.json()) as { note: string | null }).note : (await envelope(response)).code];
    };
    expect(await finish({})).toEqual([200, null]);
    expect(await finish({ body: '', headers: { 'content-type': 'application/json' } })).toEqual([200, null]);
    expect(await finish({ body: ' \n', headers: { 'content-type': 'text/plain' } })).toEqual([200, null]);
    expect(await finish({ body: JSON.stringify({ note: 'done' }), headers: { 'content-type': 'application/json' } })).toEqual([200, 'done']);
    expect(await finish({ body: JSON.stringify({ note: 'done' }), headers: { 'content-type': 'text/plain' } })).toEqual([415, 'unsupported_media_type']);
    expect(await finish({ body: JSON.stringify({ other: 1 }), headers: { 'content-type': 'application/json' } })).toEqual([400, 'validation_failed']);
    expect(await finish({ body: '{', headers: { 'content-type': 'application/json' } })).toEqual([400, 'malformed_json']);
    expect(await finish({ body: 'x'.repeat(201), headers: { 'content-type': 'application/json' } })).toEqual([413, 'payload_too_large']);
    // A required body stays required.
    const required = await api.fetch(new Request(url(`/things/${goodId}`), { method: 'POST', body: '', headers: { 'content-type': 'application/json' } }));
    expect((await envelope(required)).code).toBe('malformed_json');
  });

  it('404s unknown paths and 405s known paths with the wrong method', async () => {
    const missing = await makeApi().api.fetch(new Request(url('/nothing')));
    expect(missing.status).toBe(404);
    expect((await envelope(missing)).code).toBe('not_found');
    const wrongMethod = await makeApi().api.fetch(new Request(url('/me'), { method: 'DELETE' }));
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers HEAD on a GET route as the GET, without a body; HEAD on a POST-only route is 405', async () => {
    const { api } = makeApi();
    const head = await api.fetch(new Request(url('/maybe'), { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toContain('application/json');
    expect(head.headers.get('x-request-id')).toEqual(expect.any(String));
    expect(head.body).toBeNull();
    const unauthenticated = await api.fetch(new Request(url('/me'), { method: 'HEAD' }));
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body).toBeNull();
    const postOnly = await api.fetch(new Request(url('/publish'), { method: 'HEAD' }));
    expect(postOnly.status).toBe(405);
    expect(postOnly.headers.get('allow')).toBe('POST');
  });
});

describe('errors', () => {
  it('answers an unknown error with a bare 500 and logs the detail', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void lines.push(line));
    const response = await makeApi().api.fetch(new Request(url('/boom'), { headers: { 'x-request-id': 'req-77' } }));
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toMatch(/hunter2|at |stack/);
    expect(JSON.parse(text).error.code).toBe('internal');
    expect(lines.some((line) => line.includes('hunter2') && line.includes('req-77'))).toBe(true);
  });

  it('passes HttpErrors through', async () => {
    const response = await makeApi().api.fetch(new Request(url('/teapot')));
    expect(response.status).toBe(418);
    expect((await envelope(response)).code).toBe('teapot');
  });

  it('names a missing variable', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const response = await makeApi().api.fetch(new Request(url('/secret')));
    expect(response.status).toBe(500);
    const error = await envelope(response);
    expect(error.code).toBe('misconfigured');
    expect(error.message).toContain('"missing_thing" is not set');
  });
});

describe('authentication', () => {
  const token = (roles: ('user' | 'admin')[] = ['user']) => signAccessToken({ sub: userId, roles }, { secret });
  const bearer = (value: string, extra: Record<string, string> = {}) => ({ headers: { authorization: `Bearer ${value}`, ...extra } });

  it('needs a token and takes identity from it alone', async () => {
    const { api } = makeApi();
    const anonymous = await api.fetch(new Request(url('/me'), { headers: { 'x-user-id': userId, 'remote-user': 'ada' } }));
    expect(anonymous.status).toBe(401);
    expect((await envelope(anonymous)).code).toBe('missing_token');
    const signedIn = await api.fetch(new Request(url('/me'), bearer(token(), { 'x-user-id': 'someone-else' })));
    expect(await signedIn.json()).toEqual({ userId });
  });

  it('refuses a bad token with 401 invalid_token', async () => {
    const response = await makeApi().api.fetch(new Request(url('/me'), bearer(`${token()}x`)));
    expect(response.status).toBe(401);
    expect((await envelope(response)).code).toBe('invalid_token');
    expect(response.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('checks roles with 403', async () => {
    const { api } = makeApi();
    expect((await api.fetch(new Request(url('/admin'), bearer(token(['user']))))).status).toBe(403);
    expect((await api.fetch(new Request(url('/admin'), bearer(token(['admin']))))).status).toBe(200);
  });

  it('optional auth: anonymous is fine, a bad token is not', async () => {
    const { api } = makeApi();
    expect(await (await api.fetch(new Request(url('/maybe')))).json()).toEqual({ userId: null });
    expect((await api.fetch(new Request(url('/maybe'), bearer('junk')))).status).toBe(401);
  });

  it('reads the keys a route names in readAlong with the revocation check, for its handler', async () => {
    const { api, host } = makeApi();
    api.get('/along', defineRoute({ auth: 'required', readAlong: ['upkeep:done', 'upkeep:other'], responses: { 200: z.object({ seen: z.array(z.string().nullable()) }) } }, async ({ redisReadAlong }) => {
      const seen = ['upkeep:done', 'upkeep:other'].map((key) => redisReadAlong.valueOf(key));
      return json({ seen: seen.map((value) => (value instanceof Uint8Array ? new TextDecoder().decode(value) : (value ?? null))) });
    }));
    await host.redis.execute('SET', ['upkeep:done', 'yes']);
    const execute = vi.spyOn(host.redis, 'execute');
    expect(await (await api.fetch(new Request(url('/along'), bearer(token())))).json()).toEqual({ seen: ['yes', null] });
    expect(execute.mock.calls.map(([command, keys]) => [command, keys.length])).toEqual([['MGET', 3]]);
  });

  it('says clearly when auth_secret is too short', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const response = await makeApi({ auth_secret: 'short' }).api.fetch(new Request(url('/me'), bearer(token())));
    expect(response.status).toBe(500);
    expect((await envelope(response)).message).toContain('auth_secret');
  });
});

describe('CORS', () => {
  it('answers a preflight from a listed origin', async () => {
    const response = await makeApi().api.fetch(
      new Request(url('/me'), {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'Authorization, Content-Type' },
      }),
    );
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(response.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
  });

  it('refuses a preflight from another origin', async () => {
    const response = await makeApi().api.fetch(
      new Request(url('/me'), { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } }),
    );
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('adds the allow-origin header to real responses for listed origins only', async () => {
    const { api } = makeApi();
    const listed = await api.fetch(new Request(url('/health'), { headers: { origin: 'https://app.example' } }));
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(listed.headers.get('access-control-expose-headers')).toContain('x-request-id');
    const other = await api.fetch(new Request(url('/health'), { headers: { origin: 'https://evil.example' } }));
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows any origin with *', async () => {
    const response = await makeApi({ cors_origins: '*' }).api.fetch(new Request(url('/health'), { headers: { origin: 'https://x.example' } }));
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('request ids and events', () => {
  it('echoes x-request-id and uses it as the correlation id of published events', async () => {
    const { api, host } = makeApi();
    const response = await api.fetch(new Request(url('/publish'), { method: 'POST', headers: { 'x-request-id': 'trace-42' } }));
    expect(response.headers.get('x-request-id')).toBe('trace-42');
    const event = EventEnvelope.parse(JSON.parse(host.redis.published[0]!.payload));
    expect(host.redis.published[0]!.channel).toBe('demo-events');
    expect(event).toMatchObject({ type: 'demo.done', source: 'demo', subject: 'thing-1', data: { ok: true }, correlationId: 'trace-42' });
  });

  it('generates a request id when none is given', async () => {
    const response = await makeApi().api.fetch(new Request(url('/health')));
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('calling another service', () => {
  it('passes on the request id and the caller’s bearer token', async () => {
    const seen: Request[] = [];
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      seen.push(new Request(input as string, init));
      return new Response('{}', { status: 200 });
    });
    const { api } = makeApi();
    api.get('/proxy', defineRoute({ responses: { 200: z.unknown() } }, async ({ callService }) => callService('http://content-api.spin.internal/v1/content/books')));
    const token = signAccessToken({ sub: userId, roles: ['user'] }, { secret });
    await api.fetch(new Request(url('/proxy'), { headers: { authorization: `Bearer ${token}`, 'x-request-id': 'trace-7' } }));
    expect(seen[0]!.headers.get('x-request-id')).toBe('trace-7');
    expect(seen[0]!.headers.get('authorization')).toBe(`Bearer ${token}`);
  });
});

describe('request stages at log_level debug', () => {
  const Row = z.object({ id: z.uuid(), name: z.string() });
  function profiledApi(logLevel: string) {
    const sql = { query: async () => ({ rows: [{ id: goodId, name: 'x' }] }) };
    const host = inMemoryHost({ variables: { auth_secret: secret, log_level: logLevel, redis_address: 'redis://x', db_connection: 'postgres://x' }, sql });
    const api = createApiWithHost({ service: 'demo', base: '/v1/demo', version: '1.2.3' }, host);
    api.get('/things/:id', defineRoute({ auth: 'required', params: z.object({ id: z.uuid() }), responses: { 200: Row } }, async (ctx) =>
      json(await queryOne(ctx.db(), Row, 'SELECT id, name FROM things WHERE id = $1::text::uuid', [ctx.params.id])),
    ));
    return api;
  }
  const request = () => new Request(url(`/things/${goodId}`), { headers: { authorization: `Bearer ${signAccessToken({ sub: userId, roles: ['user'] }, { secret })}` } });

  it('follows the request line with the time of each stage the request went through', async () => {
    const lines: Record<string, unknown>[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>));
    const response = await profiledApi('debug').fetch(request());
    expect(response.status).toBe(200);
    expect(lines.map((line) => line.msg)).toEqual(['request', 'request stages']);
    const stages = lines[1]!;
    expect(stages).toMatchObject({ path: `/v1/demo/things/${goodId}`, requestId: expect.any(String) });
    for (const stage of ['totalMs', 'context', 'routing', 'jwt', 'revocation', 'params', 'handler', 'rows', 'otherMs', 'logMs']) {
      expect(stages[stage], stage).toEqual(expect.any(Number));
      expect(stages[stage] as number, stage).toBeGreaterThanOrEqual(0);
    }
    expect(stages).not.toHaveProperty('body');
    // The stages that do not overlap add up to no more than the whole.
    const parts = ['context', 'routing', 'jwt', 'revocation', 'params', 'handler'].reduce((sum, stage) => sum + (stages[stage] as number), 0);
    expect(parts).toBeLessThanOrEqual((stages.totalMs as number) + 0.05);
    expect(stages.rows as number).toBeLessThanOrEqual((stages.handler as number) + 0.01);
  });

  it('writes no stages line at info', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    expect((await profiledApi('info').fetch(request())).status).toBe(200);
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['request']);
  });
});
