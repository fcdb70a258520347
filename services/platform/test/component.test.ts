// The platform component on spin-local beside one service (user), as in the composed app: every
// path no service routes gets the error envelope, a service's own routes still win, and the
// reference page and its assets are served from the component itself.
import { request } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ErrorEnvelope } from '@authorworks/domain';
import { type TestApp, startApp } from '@authorworks/spin-local';
import { assertSpinComponent } from '@authorworks/toolchain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MANIFEST = fileURLToPath(new URL('../../../spin-all.toml', import.meta.url));
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

let app: TestApp;

beforeAll(async () => {
  app = await startApp({
    manifest: MANIFEST,
    components: ['platform-api', 'user-api'],
    env: { SPIN_VARIABLE_AUTH_SECRET: 'platform-test-secret-platform-test-secret-0123', SPIN_VARIABLE_LOG_LEVEL: 'warn' },
  });
});

afterAll(async () => {
  await app?.close();
});

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request sent exactly as written: fetch would resolve `//v1/…` as another host, and refuses some methods. */
function send(method: string, path: string, headers: Record<string, string> = {}): Promise<RawReply> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: hostname, port, method, path, headers }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') }));
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

function envelopeOf(reply: RawReply): ErrorEnvelope['error'] {
  expect(reply.headers['content-type']).toBe('application/json');
  expect(reply.headers['x-request-id']).toMatch(REQUEST_ID);
  return ErrorEnvelope.parse(JSON.parse(reply.body)).error;
}

describe('platform-api component', () => {
  it('is a Wasm component exporting wasi:http/incoming-handler', async () => {
    const wasm = await readFile(new URL('../dist/platform-api.wasm', import.meta.url));
    await expect(assertSpinComponent('platform-api', wasm, 'spin-http')).resolves.toBeUndefined();
  });
});

describe('a path no component routes', () => {
  it.each(['/', '/v1', '/v1/', '//v1/users/me', '/V1/USERS/ME', '/v1/nothing', '/v1/nothing/health', '/docs/nothing', '/favicon.ico'])(
    'GET %s is a 404 in the error envelope',
    async (path) => {
      const reply = await send('GET', path);
      expect(reply.status).toBe(404);
      expect(envelopeOf(reply)).toMatchObject({ code: 'not_found', details: [] });
    },
  );

  it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND', 'PURGE'])('%s on an unrouted path is a 404 in the envelope', async (method) => {
    const reply = await send(method, '/v1/nothing');
    expect(reply.status).toBe(404);
    expect(envelopeOf(reply).code).toBe('not_found');
  });

  it('HEAD is answered as GET without a body', async () => {
    const reply = await send('HEAD', '/v1/nothing');
    expect(reply.status).toBe(404);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.headers['x-request-id']).toMatch(REQUEST_ID);
    expect(reply.body).toBe('');
  });

  it('keeps the caller’s request id', async () => {
    const reply = await send('GET', '/nowhere', { 'x-request-id': 'trace-42' });
    expect(reply.headers['x-request-id']).toBe('trace-42');
  });

  it('a method the page does not take is a 405 naming GET and HEAD', async () => {
    const reply = await send('POST', '/docs');
    expect(reply.status).toBe(405);
    expect(envelopeOf(reply).code).toBe('method_not_allowed');
    expect(reply.headers.allow).toBe('GET, HEAD');
  });
});

describe('a service route', () => {
  it('wins over the catch-all: /v1/users/health is the user service’s', async () => {
    const reply = await send('GET', '/v1/users/health');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 'ok', service: 'user' });
  });

  it('wins on the service’s base path too: /v1/users is the user service’s admin list (401 without a token)', async () => {
    const reply = await send('GET', '/v1/users');
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toContain('Bearer');
  });
});

describe('the error pages for Traefik', () => {
  it.each([
    [500, 'internal'],
    [502, 'bad_gateway'],
    [504, 'gateway_timeout'],
    [431, 'headers_too_large'],
    [404, 'not_found'],
  ])('GET /errors/%i is the envelope for that status (%s)', async (status, code) => {
    // Traefik sends the original request's headers with the page request: its request id is kept.
    // It sends the page under the original status (its own 200 is ignored), so a direct call is no 5xx.
    const reply = await send('GET', `/errors/${status}`, { 'x-request-id': 'original-request' });
    expect(reply.status).toBe(200);
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(envelopeOf(reply)).toMatchObject({ code, details: [] });
    expect(reply.headers['x-request-id']).toBe('original-request');
  });

  it.each(['/errors/200', '/errors/299', '/errors/abc', '/errors/5000'])('%s is not an error page (400)', async (path) => {
    const reply = await send('GET', path);
    expect(reply.status).toBe(400);
    expect(envelopeOf(reply).code).toBe('validation_failed');
  });
});

describe('the kit’s own routes at the root', () => {
  it('GET /ready is ready: the platform maps no database or Redis, so it checks none', async () => {
    const reply = await send('GET', '/ready');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ status: 'ready', service: 'platform', checks: {} });
  });

  it('GET /openapi.json documents the platform’s own routes', async () => {
    const reply = await send('GET', '/openapi.json');
    expect(reply.status).toBe(200);
    expect(Object.keys(JSON.parse(reply.body).paths)).toEqual(expect.arrayContaining(['/docs', '/docs/assets/{file}', '/errors/{status}']));
  });
});

describe('the API reference page', () => {
  const swaggerUiDist = (file: string) => readFile(createRequire(import.meta.url).resolve(`swagger-ui-dist/${file}`), 'utf8');

  it('GET /docs is the page, naming every API and its assets under /docs/assets, under a same-origin policy', async () => {
    const reply = await send('GET', '/docs');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.headers['cache-control']).toBe('no-cache');
    expect(reply.headers['content-security-policy']).toContain("script-src 'self'");
    expect(reply.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(reply.body).toContain('data-apis="/v1/users /v1/content /v1/storage /v1/editor /v1/messaging /v1/graphics /v1/audio /v1/video"');
    // Nothing from another origin: every src and href is a path on this one.
    const links = [...reply.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(links).toHaveLength(4);
    for (const link of links) expect(link).toMatch(/^\/docs\/assets\/[a-z-]+\.[0-9a-f]{8}\.(js|css)$/);
  });

  it('HEAD /docs has the page’s headers and no body', async () => {
    const reply = await send('HEAD', '/docs');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.body).toBe('');
  });

  it('serves each asset with its content type, cached for a year, byte for byte as the registry ships Swagger UI', async () => {
    const page = await send('GET', '/docs');
    const assetPath = (name: string, extension: string) => page.body.match(new RegExp(`/docs/assets/${name}\\.[0-9a-f]{8}\\.${extension}`))![0];
    const expected: [string, string, string, string | undefined][] = [
      ['swagger-ui-bundle', 'js', 'text/javascript; charset=utf-8', await swaggerUiDist('swagger-ui-bundle.js')],
      ['swagger-ui', 'css', 'text/css; charset=utf-8', await swaggerUiDist('swagger-ui.css')],
      ['reference', 'js', 'text/javascript; charset=utf-8', undefined],
      ['reference', 'css', 'text/css; charset=utf-8', undefined],
    ];
    for (const [name, extension, contentType, body] of expected) {
      const reply = await send('GET', assetPath(name, extension));
      expect(reply.status, name).toBe(200);
      expect(reply.headers['content-type'], name).toBe(contentType);
      expect(reply.headers['cache-control'], name).toBe('public, max-age=31536000, immutable');
      expect(reply.headers['x-content-type-options'], name).toBe('nosniff');
      if (body !== undefined) expect(reply.body === body, `${name}.${extension} differs from swagger-ui-dist's file`).toBe(true);
    }
  });

  it('an asset name without the current digest is a 404 in the envelope', async () => {
    const reply = await send('GET', '/docs/assets/swagger-ui-bundle.js');
    expect(reply.status).toBe(404);
    expect(envelopeOf(reply).code).toBe('not_found');
  });
});
