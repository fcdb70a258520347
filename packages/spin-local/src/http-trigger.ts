/**
 * The HTTP trigger: a Node HTTP server that routes by the manifest's routes, adds Spin's request
 * headers, runs the component on an executor thread and streams its response back. Failures
 * become a 500 and a log line naming the component, route, error and stack.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChunkReader, HOST_READ_BYTES } from './chunk-reader.ts';
import type { ExecutorPool, StreamedBody } from './executor-pool.ts';
import type { GuestFailure, HttpRequestHead } from './executor-protocol.ts';
import type { HeaderList } from './guest/http.ts';
import { type TraceRecorder, traceNow } from './request-trace.ts';
import type { Logger } from './logger.ts';
import { type RouteTable, formatClientAddr, spinHeaders } from './routes.ts';

/** Bodies up to this size are read whole and handed over with the request; larger ones stream. */
const bufferedBodyLimit = 1024 * 1024;

export interface HttpTriggerOptions {
  routes: RouteTable;
  pool: ExecutorPool;
  logger: Logger;
  /** `/.well-known/spin/info`: Spin's `AppInfo` (crates/http/src/app_info.rs). */
  info: { name: string; version?: string | undefined };
  onActivity(delta: 1 | -1): void;
  /** The main thread's request-trace recorder (request-trace.ts), when tracing. */
  tracer?: TraceRecorder;
}

const encoder = new TextEncoder();
const wellKnownPrefix = '/.well-known/spin/';

/** What the `http` crate parses as an authority: optional userinfo, a name or [IP literal], optional port. */
const AUTHORITY = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:%]*@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::\d{0,5})?$/;
const decoder = new TextDecoder();

function headerListFrom(req: IncomingMessage, extra: [string, string][]): HeaderList {
  const list: HeaderList = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    // Spin copies every client header, `spin-*` ones included, then appends its own
    // (crates/trigger-http/src/headers.rs `prepare_request_headers`, wasi.rs `prepare_request`):
    // a client-sent `spin-client-addr` reaches the component before Spin's, so the trustworthy
    // value is the last one. The deployment's proxy strips client `spin-*` headers.
    list.push([(raw[i] as string).toLowerCase(), encoder.encode(raw[i + 1] as string)]);
  }
  for (const [name, value] of extra) list.push([name, encoder.encode(value)]);
  return list;
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? '0') > 0;
}

async function readWhole(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Lets the guest pull a large body piece by piece as Node receives it. */
function streamedBodyOf(req: IncomingMessage): StreamedBody {
  const reader = new ChunkReader(req);
  return { read: (maxBytes) => reader.read(maxBytes) };
}

export function describeFailure(component: string, route: string, request: string, failure: GuestFailure): string {
  const lines = [`component "${component}" failed on route "${route}" (${request}): ${failure.message}`];
  if (failure.stack) lines.push(failure.stack.split('\n').map((l) => `    ${l}`).join('\n'));
  if (failure.guestStderr.length > 0) lines.push(`  component stderr:\n${failure.guestStderr.map((l) => `    ${l}`).join('\n')}`);
  return lines.join('\n');
}

export function createHttpTrigger(options: HttpTriggerOptions): Server {
  const { routes, pool, logger } = options;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const receivedAt = options.tracer?.enabled ? traceNow() : undefined;
    const method = req.method ?? 'GET';
    const pathWithQuery = req.url ?? '/';
    const path = pathWithQuery.split('?')[0] ?? '/';
    const elapsed = () => `${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)} ms`;

    // Spin answers everything under /.well-known/spin/ itself, before routing: `health`, `info`,
    // and an empty 404 for the rest, even where a component's `/...` route would match
    // (crates/trigger-http/src/server.rs `handle`).
    if (path.startsWith(wellKnownPrefix)) {
      const name = path.slice(wellKnownPrefix.length);
      if (name === 'health') {
        // Spin always answers OK here; spin-local also says when it is replacing a thread whose
        // host bridge faulted, so a load balancer or test can see the runtime is degraded.
        const degraded = pool.degraded;
        if (degraded) res.writeHead(503, { 'content-type': 'text/plain' }).end(`degraded: ${degraded}`);
        else res.writeHead(200).end('OK');
      } else if (name === 'info') {
        // serde_json::to_vec_pretty of `AppInfo`: `version` is left out when the app has none.
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(options.info, null, 2));
      } else res.writeHead(404).end();
      logger.request(`${method} ${pathWithQuery} -> (spin) ${res.statusCode} ${elapsed()}`);
      return;
    }
    const match = routes.match(path);
    if (!match) {
      res.writeHead(404).end();
      logger.request(`${method} ${pathWithQuery} -> (no route) 404 ${elapsed()}`);
      return;
    }
    const component = match.entry.component;
    // Spin parses Host as an `http::uri::Authority` once a route matched, and fails the request
    // when it is missing or is not one (server.rs `set_req_uri`): hyper then closes the connection
    // without an answer. spin-local answers an empty 400 instead (a closed connection helps no
    // client; behind Traefik the client gets Traefik's 400 first). Never routing a request whose
    // Host would change the URL the guest sees is what matters: `Host: x/v1/users/me?` once made
    // the component read another path than the one routed.
    const authority = req.headers.host;
    if (authority === undefined || !AUTHORITY.test(authority)) {
      res.writeHead(400).end();
      logger.request(`${method} ${pathWithQuery} -> (bad Host ${JSON.stringify(authority ?? null)}) 400 ${elapsed()}`);
      return;
    }
    const clientAddr = formatClientAddr(req.socket.remoteAddress, req.socket.remotePort);
    const fullUrl = `http://${authority}${pathWithQuery}`;
    const head: HttpRequestHead = {
      method,
      pathWithQuery,
      scheme: 'http',
      authority,
      headers: headerListFrom(req, spinHeaders({ fullUrl, clientAddr, match })),
    };
    let body: Uint8Array | StreamedBody | undefined;
    if (hasBody(req)) {
      const length = Number(req.headers['content-length'] ?? NaN);
      body = Number.isFinite(length) && length <= bufferedBodyLimit ? await readWhole(req) : streamedBodyOf(req);
    }

    let status = 0;
    const bodyless = method === 'HEAD';
    // One line per request, when its response is complete (before the client can see it end).
    let logged = false;
    const logRequest = () => {
      if (logged) return;
      logged = true;
      logger.request(`${method} ${pathWithQuery} -> ${component} ${status} ${elapsed()}`);
    };
    let jobId: number | undefined;
    const failure = await pool.runHttp(component, head, body, {
      onQueued(id) {
        jobId = id;
        // When the last of the response was handed to the socket.
        if (options.tracer?.enabled) res.once('finish', () => options.tracer?.record('response-end', { job: id }));
      },
      onHead(code, headers) {
        status = code;
        const flat: string[] = [];
        for (const [name, value] of headers) flat.push(name, decoder.decode(value));
        try {
          res.writeHead(code, flat);
          options.tracer?.record('response-head', { job: jobId, status: code });
        } catch (error) {
          // Spin refuses such a response too: the client gets a 500, the operator the reason.
          logger.error(`component "${component}" returned an invalid response head (${method} ${pathWithQuery}): ${(error as Error).message}`);
          status = 500;
          res.writeHead(500).end();
        }
      },
      onChunk(bytes) {
        if (!bodyless && status !== 204 && status !== 304 && !res.writableEnded) res.write(bytes);
      },
      // Spin answers once the guest set the response and finished its body, and lets the guest go
      // on meanwhile (v4.0.2 crates/trigger-http/src/wasi.rs: the handler runs in a task of its own,
      // the response is returned when the outparam is set).
      onEnd() {
        if (res.writableEnded) return;
        logRequest();
        res.end();
      },
    }, receivedAt);
    if (failure) {
      // (An exception the engine caught and answered with its own 500 is not news after the answer.)
      const after = res.writableEnded && !failure.answered ? ' (after the response was sent)' : '';
      logger.error(describeFailure(component, match.rawRoute, `${method} ${pathWithQuery}${after}`, failure));
      if (res.writableEnded) {
        // The client has its whole answer already, as from Spin ("Component error after response started").
      } else if (failure.answered) res.end();
      else if (!res.headersSent) {
        // Spin's `internal_error(None, …)`: a bare 500 with an empty body (server.rs).
        status = 500;
        res.writeHead(500).end();
      } else res.destroy();
    }
    logRequest();
    if (!res.writableEnded && !res.destroyed) res.end();
  }

  // Idle keep-alive connections stay open a minute, as behind a proxy (Traefik keeps its own
  // pool): with Node's default of 5 s a client that reused a connection just as the server shut
  // it lost its request to ECONNRESET (seen under load, where a client's own 3–4 s limit slips).
  // A streamed request body is read up to HOST_READ_BYTES per host call: let Node buffer that much.
  return createServer({ maxHeaderSize: http1MaxBufSize(process.env), keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, highWaterMark: HOST_READ_BYTES }, (req, res) => {
    options.onActivity(1);
    handle(req, res)
      .catch((error: unknown) => {
        logger.error(`request ${req.method} ${req.url} failed in the host: ${error instanceof Error ? error.stack : String(error)}`);
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      })
      .finally(() => options.onActivity(-1));
  });
}

/** How long an idle keep-alive connection stays open (clients close theirs sooner). */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * How large a request head may be before the answer is an empty 431, as in Spin: hyper's HTTP/1
 * read buffer, `DEFAULT_MAX_BUFFER_SIZE` = 8192 + 4096 × 100 bytes unless `SPIN_HTTP1_MAX_BUF_SIZE`
 * (`spin up --http1-max-buf-size`, v4.0.2 crates/trigger-http/src/lib.rs and server.rs
 * `serve_connection`) sets another. Node's own default (16 KiB) refused heads Spin accepts.
 */
export function http1MaxBufSize(env: Record<string, string | undefined>): number {
  const configured = Number(env.SPIN_HTTP1_MAX_BUF_SIZE);
  return Number.isSafeInteger(configured) && configured > 0 ? configured : 8192 + 4096 * 100;
}

export function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
