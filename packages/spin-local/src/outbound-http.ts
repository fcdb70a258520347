/**
 * Outbound HTTP to other hosts, streamed: the guest's body goes out write by write (each write
 * answered once the socket takes it), and the response body is read chunk by chunk as the guest
 * asks, so a 50 MiB object passes through without being held anywhere. Spin (wasmtime-wasi-http)
 * streams the same way. The executor's side is `openOutbound` in executor-worker.ts.
 */
import { type ClientRequest, type IncomingMessage, type RequestOptions, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ChunkReader, HOST_READ_BYTES } from './chunk-reader.ts';
import type { ErrorCode, HeaderList, OutboundRequestData } from './guest/http.ts';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

interface Exchange {
  request: ClientRequest;
  response: Promise<IncomingMessage>;
  reader: ChunkReader | undefined;
  /** The response, once its head arrived. */
  incoming?: IncomingMessage;
  ended: boolean;
}

export function outboundErrorOf(error: unknown): ErrorCode {
  const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  if (code === 'ECONNREFUSED') return { tag: 'connection-refused' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { tag: 'destination-not-found' };
  return { tag: 'internal-error', val: error instanceof Error ? error.message : String(error) };
}

/** Host handlers `http.start|write|end|send|read|close`. */
export function outboundHttpHandlers() {
  const exchanges = new Map<number, Exchange>();
  let nextId = 1;
  const exchangeOf = (id: number): Exchange => {
    const exchange = exchanges.get(id);
    if (!exchange) throw new Error(`no outbound request ${id}`);
    return exchange;
  };
  const end = (exchange: Exchange) => {
    if (exchange.ended) return;
    exchange.ended = true;
    exchange.request.end();
  };

  return {
    'http.start': (head: OutboundRequestData): number => {
      const url = new URL(`${head.scheme}://${head.authority}${head.pathWithQuery}`);
      const headers: Record<string, string[]> = {};
      for (const [name, value] of head.headers) (headers[name] ??= []).push(decoder.decode(value));
      // The guest reads the response up to HOST_READ_BYTES per host call: let Node buffer that
      // much (Node 20 takes `highWaterMark` here; its type definitions do not list it yet).
      const options: RequestOptions & { highWaterMark: number } = { method: head.method, headers, setHost: !headers.host, highWaterMark: HOST_READ_BYTES };
      const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options);
      const response = new Promise<IncomingMessage>((resolve, reject) => {
        request.once('response', resolve);
        request.once('error', reject);
      });
      // Rejections are read by `http.send`; a request dropped earlier must not crash the host.
      response.catch(() => {});
      const id = nextId++;
      exchanges.set(id, { request, response, reader: undefined, ended: false });
      return id;
    },
    'http.write': async (id: number, bytes: Uint8Array): Promise<void> => {
      const { request } = exchangeOf(id);
      if (request.destroyed) return;
      if (request.write(bytes)) return;
      // Wait for the socket to take it (or the request to end); the listeners go with the wait.
      await new Promise<void>((resolve) => {
        const done = () => {
          request.off('drain', done);
          request.off('close', done);
          resolve();
        };
        request.on('drain', done);
        request.on('close', done);
      });
    },
    'http.end': (id: number): void => end(exchangeOf(id)),
    'http.send': async (id: number): Promise<{ ok: { status: number; headers: HeaderList } } | { err: ErrorCode }> => {
      const exchange = exchangeOf(id);
      end(exchange);
      try {
        const response = await exchange.response;
        exchange.incoming = response;
        const headers: HeaderList = [];
        for (let i = 0; i < response.rawHeaders.length; i += 2) headers.push([response.rawHeaders[i]!.toLowerCase(), encoder.encode(response.rawHeaders[i + 1]!)]);
        return { ok: { status: response.statusCode ?? 500, headers } };
      } catch (error) {
        return { err: outboundErrorOf(error) };
      }
    },
    'http.read': async (id: number, maxBytes: number): Promise<Uint8Array | null> => {
      const exchange = exchangeOf(id);
      exchange.reader ??= new ChunkReader(await exchange.response);
      return exchange.reader.read(maxBytes);
    },
    'http.close': (id: number): void => {
      const exchange = exchanges.get(id);
      if (!exchange) return;
      exchanges.delete(id);
      // A response that arrived whole (an empty one, as S3 answers a PUT or a DELETE, or a body
      // read to its end) leaves its connection in the agent's pool for the next request, as Spin
      // v4 pools outbound connections across instances (spin#3229, #3240); a request or response
      // cut short is destroyed, so the server never takes a half-sent request for a whole one.
      if (exchange.ended && exchange.incoming?.complete) {
        exchange.incoming.resume();
        return;
      }
      exchange.request.destroy();
    },
  };
}
