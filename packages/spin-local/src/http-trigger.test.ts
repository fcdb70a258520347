import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fileURLToPath } from 'node:url';
import { type TestApp, startApp } from './harness.ts';
import { callProbe, startFixtureApp } from '../test/probe-app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startFixtureApp();
});
afterAll(async () => {
  await app?.close();
});

type Echo = { method: string; url: string; path: string; headers: Record<string, string>; body: string };

/** Sends `head` as it is (Node's fetch would refuse or rewrite a bad Host) and returns the status line. */
function rawStatusLine(head: string): Promise<string> {
  const { port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(`${head}\r\n\r\n`));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) {
        socket.destroy();
        resolve(answer.split('\r\n')[0]!);
      }
    });
    socket.on('error', reject);
    socket.on('end', () => resolve(answer.split('\r\n')[0] ?? ''));
  });
}

describe('HTTP trigger', () => {
  // Spin parses Host as an authority and fails the request otherwise (server.rs `set_req_uri`,
  // v4.0.2): a Host that would move the path the guest reads never reaches a component.
  it.each(['x/probe/echo?', 'a b', '[::1', ''])('refuses Host %j with 400 before any component runs', async (host) => {
    const before = app.logs.text('request').split('\n').filter((line) => line.includes('-> probe')).length;
    expect(await rawStatusLine(`GET /probe/health HTTP/1.1\r\nHost: ${host}\r\nConnection: close`)).toBe('HTTP/1.1 400 Bad Request');
    expect(app.logs.text('request').split('\n').filter((line) => line.includes('-> probe')).length).toBe(before);
  });

  it('refuses a request without Host (HTTP/1.0) as Spin does', async () => {
    expect(await rawStatusLine('GET /probe/health HTTP/1.0')).toMatch(/^HTTP\/1\.[01] 400 Bad Request$/);
  });

  it('gives every request a fresh instance: nothing a request leaves in the guest is there for the next', async () => {
    const before = { ...app.app.runtimeStats().instances };
    for (let i = 0; i < 12; i++) {
      const response = await app.fetch('/probe/state');
      expect(await response.json()).toEqual({ requestsSeen: 1, leftBehind: 1 });
    }
    // The instances started on memories earlier requests used (memory-images.ts), reset to the
    // module's image: cheaper than new ones, and still nothing of those requests visible.
    const after = app.app.runtimeStats().instances;
    expect(after.memoryReused - before.memoryReused).toBeGreaterThan(6);
  });

  it('routes by the manifest and sets the spin-* request headers', async () => {
    const response = await app.fetch('/probe/nested/echo?q=1', { headers: { 'x-custom': 'yes' } });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect(echo.url).toBe(`${app.url}/probe/nested/echo?q=1`);
    expect(echo.path).toBe('/probe/nested/echo');
    expect(echo.headers['spin-full-url']).toBe(`${app.url}/probe/nested/echo?q=1`);
    expect(echo.headers['spin-path-info']).toBe('/nested/echo');
    expect(echo.headers['spin-matched-route']).toBe('/probe/...');
    expect(echo.headers['spin-raw-component-route']).toBe('/probe/...');
    expect(echo.headers['spin-component-route']).toBe('/probe');
    expect(echo.headers['spin-base-path']).toBe('/');
    expect(echo.headers['spin-client-addr']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(echo.headers['x-custom']).toBe('yes');
  });

  // Spin copies the client's headers and then appends its own (v4.0.2 crates/trigger-http/src/
  // headers.rs `prepare_request_headers`, wasi.rs `prepare_request`, which `extend`s — appends to —
  // the header map): a forged value reaches the component first, Spin's real one last.
  it('passes client-sent spin-* headers through, with Spin\'s own value appended last', async () => {
    const echo = (await (await app.fetch('/probe/echo', { headers: { 'spin-client-addr': '1.2.3.4:80', 'spin-full-url': 'http://forged/' } })).json()) as Echo;
    expect(echo.headers['spin-client-addr']).toMatch(/^1\.2\.3\.4:80, 127\.0\.0\.1:\d+$/);
    expect(echo.headers['spin-full-url']).toBe(`http://forged/, ${app.url}/probe/echo`);
  });

  it('answers 404 where no route matches, and never exposes a private component', async () => {
    expect((await app.fetch('/nowhere')).status).toBe(404);
    expect((await app.fetch('/hidden/echo')).status).toBe(404);
    expect((await app.fetch('/')).status).toBe(404);
  });

  // Spin's HTTP/1 head limit is hyper's read buffer (417,792 bytes by default; crates/trigger-http/
  // src/server.rs `serve_connection` only changes it for --http1-max-buf-size): a 20 KB header
  // reaches the component, a head past the buffer is an empty 431.
  it('takes request heads up to hyper\'s buffer size and answers an empty 431 past it', async () => {
    const big = 'x'.repeat(20 * 1024);
    const echo = (await (await app.fetch('/probe/echo', { headers: { 'x-big': big } })).json()) as Echo;
    expect(echo.headers['x-big']).toBe(big);
    const tooLarge = await app.fetch('/probe/echo', { headers: { 'x-huge': 'y'.repeat(8192 + 4096 * 100) } });
    expect(tooLarge.status).toBe(431);
    expect(await tooLarge.text()).toBe('');
  });

  // crates/trigger-http/src/server.rs `handle` and crates/http/src/app_info.rs (`AppInfo`).
  it('serves /.well-known/spin/health and /.well-known/spin/info as Spin does', async () => {
    const health = await app.fetch('/.well-known/spin/health');
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('OK');
    const info = await app.fetch('/.well-known/spin/info');
    expect(info.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(await info.text())).toEqual({ name: 'spin-local-fixtures', version: '0.1.0' });
  });

  it('hands request bodies to the component', async () => {
    const echo = (await (await app.fetch('/probe/echo', { method: 'POST', body: 'hello body' })).json()) as Echo;
    expect(echo).toMatchObject({ method: 'POST', body: 'hello body' });
  });

  it('streams a large request body in', async () => {
    const bytes = new Uint8Array(1200 * 1024).map((_, i) => (i * 7) % 256);
    let sum = 0;
    for (const b of bytes) sum = (sum + b) % 65521;
    const result = (await (await app.fetch('/probe/upload', { method: 'POST', body: bytes })).json()) as { length: number; sum: number };
    expect(result).toEqual({ length: bytes.length, sum });
  });

  it('accepts a chunked request body of unknown length', async () => {
    const chunks = ['one,', 'two,', 'three'];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const response = await app.fetch('/probe/echo', { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(((await response.json()) as Echo).body).toBe('one,two,three');
  });

  it('streams a large response body out', async () => {
    const response = await app.fetch('/probe/stream?chunks=64&size=4096');
    const text = await response.text();
    expect(text.length).toBe(64 * 4096);
    expect(text.slice(4096 * 9, 4096 * 9 + 3)).toBe('999');
  });

  it.each([204, 304])('answers %i with no body, and keeps serving', async (code) => {
    const response = await app.fetch(`/probe/status?code=${code}`);
    expect(response.status).toBe(code);
    expect(response.headers.get('x-probe')).toBe('status');
    expect(await response.text()).toBe('');
    expect((await app.fetch('/probe/health')).status).toBe(200);
  });

  it('answers HEAD without a body', async () => {
    const response = await app.fetch('/probe/status?code=200&body=abc', { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it.each([
    ['throw', 'probe exploded on purpose'],
    ['reject', 'probe rejected on purpose'],
  ])('turns an exception (%s) into a 500 and a log line naming component, route, error and stack', async (action, message) => {
    const response = await app.fetch(`/probe/${action}`);
    expect(response.status).toBe(500);
    const errors = app.logs.text('error');
    expect(errors).toContain(`component "probe" failed on route "/probe/..." (GET /probe/${action})`);
    expect(errors).toContain(message);
    expect(errors).toMatch(new RegExp(`at ${action}@probe-http\\.js:\\d+`));
    expect((await app.fetch('/probe/health')).status).toBe(200);
  });

  it('turns an exception thrown outside respondWith into a 500 with a log line', async () => {
    const response = await app.fetch('/probe/sync-throw');
    expect(response.status).toBe(500);
    // componentize-js 0.19 catches the exception and answers the 500 itself, with its own text;
    // the host passes the guest's answer on as Spin does (an empty 500 is only for a trap).
    expect(await response.text()).toMatch(/^ERROR: no fetch-event handler triggered/);
    expect(app.logs.text('error')).toContain('component "probe" failed on route "/probe/..." (GET /probe/sync-throw): Error: probe threw outside respondWith');
  });

  it('sends the response once the guest finished its body, while work it left in waitUntil goes on, as Spin does', async () => {
    const started = performance.now();
    // A client of the server itself (the harness's `fetch` would wait for the guest to finish).
    const response = await fetch(new URL('/probe/after-response?ms=600', app.url));
    expect(response.status).toBe(200);
    await response.text();
    const answeredAfter = performance.now() - started;
    // The whole answer arrived before the guest's later work ran…
    expect(app.logs.text('guest')).not.toContain('after-response: done after 600 ms');
    expect(answeredAfter).toBeLessThan(600);
    // …which still ran to its end on the same instance; the request's line is the response's.
    await vi.waitFor(() => expect(app.logs.text('guest')).toContain('after-response: done after 600 ms'), { timeout: 10_000, interval: 50 });
    const line = /GET \/probe\/after-response\?ms=600 -> probe 200 (\d+\.\d) ms/.exec(app.logs.text('request'));
    expect(Number(line?.[1])).toBeLessThan(600);
    expect(app.logs.text('error')).not.toContain('after-response');
  });

  it("the harness's fetch resolves once the guest's work after its answer is done", async () => {
    await app.fetch('/probe/after-response?ms=300');
    expect(app.logs.text('guest')).toContain('after-response: done after 300 ms');
  });

  it('logs one line per request: method, path, component, status, duration', async () => {
    await app.fetch('/probe/health?log=1');
    expect(app.logs.text('request')).toMatch(/GET \/probe\/health\?log=1 -> probe 200 \d+\.\d ms/);
  });

  it('serves concurrent requests, each on its own instance', async () => {
    const results = await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const echo = (await (await app.fetch(`/probe/echo?i=${i}`, { method: 'POST', body: `body-${i}` })).json()) as Echo;
        return [echo.url.endsWith(`?i=${i}`), echo.body === `body-${i}`];
      }),
    );
    expect(results.flat().every(Boolean)).toBe(true);
  });
});

describe('HTTP trigger routing details (test/fixtures/routing.toml)', () => {
  let routing: TestApp;
  beforeAll(async () => {
    routing = await startApp({ manifest: fileURLToPath(new URL('../test/fixtures/routing.toml', import.meta.url)) });
  });
  afterAll(async () => {
    await routing?.close();
  });

  it('answers every other /.well-known/spin/ path with an empty 404, even under a /... route', async () => {
    const response = await routing.fetch('/.well-known/spin/echo');
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('');
    expect((await routing.fetch('/.well-known/other/echo')).status).toBe(200);
  });

  it('names path-match headers after the upper-cased wildcard with - for _, and keeps values raw', async () => {
    const echo = (await (await routing.fetch('/items/a%20b/parts/C%2FD/echo')).json()) as Echo;
    expect(echo.headers['spin-path-match-item-id']).toBe('a%20b');
    expect(echo.headers['spin-path-match-partname']).toBe('C%2FD');
    expect(echo.headers['spin-path-info']).toBe('/echo');
  });

  it('routes a trailing /* like /...', async () => {
    const echo = (await (await routing.fetch('/star/x/echo')).json()) as Echo;
    expect([echo.headers['spin-matched-route'], echo.headers['spin-component-route'], echo.headers['spin-path-info']]).toEqual(['/star/*', '/star/*', '/x/echo']);
  });

  it('gives a duplicated route to its last declaration and logs the loser as Spin does', async () => {
    const answer = (await (await routing.fetch('/dup?action=variable&name=who')).json()) as { ok: string };
    expect(answer).toEqual({ ok: 'second' });
    const errors = routing.logs.text('error');
    expect(errors).toContain('The following component routes are duplicates and will never be used:');
    expect(errors).toContain('  first: /dup (duplicate of second)');
  });

  it('serves the manifest\'s name and version as /.well-known/spin/info', async () => {
    expect(await (await routing.fetch('/.well-known/spin/info')).json()).toEqual({ name: 'spin-local-routing', version: '2.3.4' });
  });
});

describe('outbound HTTP', () => {
  let upstream: ReturnType<typeof createServer>;
  let upstreamUrl: string;
  beforeAll(async () => {
    upstream = createServer((req, res) => res.writeHead(201, { 'x-upstream': 'yes' }).end(`upstream saw ${req.method} ${req.url}`));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => upstream.close(() => r())));

  type Fetched = { status?: number; body?: string; headers?: Record<string, string>; error?: string };

  it('reaches an allowed host', async () => {
    const result = await callProbe<Fetched>(app, 'fetch', { url: `${upstreamUrl}/hello?x=1`, method: 'POST', body: 'b' });
    expect(result).toMatchObject({ status: 201, body: 'upstream saw POST /hello?x=1' });
    expect(result.headers?.['x-upstream']).toBe('yes');
  });

  it('denies a host not in allowed_outbound_hosts, as Spin does', async () => {
    const result = await callProbe<Fetched>(app, 'fetch', { url: 'https://example.com/' });
    expect(result.error).toBeDefined();
    expect(result.status).toBeUndefined();
    expect(app.logs.text('guest')).toContain("non-allowed host 'https://example.com'");
  });

  it('denies everything to a component without allowed_outbound_hosts', async () => {
    const result = await callProbe<Fetched>(app, 'fetch', { url: `${upstreamUrl}/` }, '/locked');
    expect(result.error).toBeDefined();
  });

  it('serves http://<component>.spin.internal in-process, private components included', async () => {
    const result = await callProbe<Fetched>(app, 'fetch', { url: 'http://hidden.spin.internal/anything/echo?via=internal' });
    expect(result.status).toBe(200);
    const echo = JSON.parse(result.body ?? '{}') as Echo;
    expect(echo.url).toBe('http://hidden.spin.internal/anything/echo?via=internal');
    expect(echo.headers['spin-path-info']).toBe('/anything/echo');
  });

  it('frees each nested request\u2019s instance while the outer request goes on', async () => {
    // 12 nested requests, each growing its instance by 16 MiB. jco's glue left a microtask per
    // instance whose closure held the instance's memory until the outer request ended
    // (transpile-cache.ts drops it): RSS +452 MiB, 11 live memories in a heap snapshot of the
    // thread at the 8th nested request; without it +110–166 MiB (V8 frees a dead memory's pages
    // some time after collecting it), 3 live memories.
    const droppedCollections = () => app.app.runtimeStats().instances.collections.dropped;
    const collectionsBefore = droppedCollections();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 10);
    const result = await callProbe<{ statuses: number[] }>(app, 'fetchMany', { url: 'http://hidden.spin.internal/anything/allocate?mib=16', count: 12 }).finally(() => clearInterval(sampler));
    expect(result.statuses).toEqual(Array(12).fill(200));
    console.log(`12 nested requests of 16 MiB each: process RSS +${((rssPeak - rssBefore) / 1048576).toFixed(0)} MiB`);
    expect(rssPeak - rssBefore).toBeLessThan(256 * 1048576);
    // The nested instances run in the outer request's thread and retire there; their memories
    // (grown past what the pool keeps, ~300 MiB in all) make the thread collect as soon as the
    // job ends (collection-policy.ts: 64 MiB let go). Until 2026-12-05 this counted every
    // collection and passed on an idle one that the warm-up instances' timers happened to start.
    await vi.waitFor(() => expect(droppedCollections()).toBeGreaterThan(collectionsBefore), { timeout: 5_000 });
  });

  it('denies spin.internal calls the manifest does not allow', async () => {
    const result = await callProbe<Fetched>(app, 'fetch', { url: 'http://probe.spin.internal/probe/health' }, '/locked');
    expect(result.error).toBeDefined();
  });
});
