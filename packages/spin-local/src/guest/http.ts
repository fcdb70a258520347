/**
 * wasi:http/types and wasi:http/outgoing-handler (0.2.0) for guests. The incoming side is fed
 * from a request the host already parsed; the response is handed to a `ResponseTarget` as soon as
 * the guest sets it, and its body streams out through the target's sink. A response without a
 * body (204, 304, HEAD) is a response whose body the guest never writes — no stream required.
 */
import {
  type ByteSink,
  type ByteSource,
  BufferSink,
  BufferSource,
  InputStream,
  IoError,
  OutputStream,
  Pollable,
  emptySource,
  type StreamError,
} from './streams.ts';

export type HeaderList = [string, Uint8Array][];

export type Method = { tag: 'get' | 'head' | 'post' | 'put' | 'delete' | 'connect' | 'options' | 'trace' | 'patch' } | { tag: 'other'; val: string };
export type Scheme = { tag: 'HTTP' } | { tag: 'HTTPS' } | { tag: 'other'; val: string };
/** The subset of wasi:http's `error-code` this host produces. */
export type ErrorCode =
  | { tag: 'HTTP-request-denied' }
  | { tag: 'HTTP-request-URI-invalid' }
  | { tag: 'destination-not-found' }
  | { tag: 'connection-refused' }
  | { tag: 'HTTP-request-body-size'; val: bigint | undefined }
  | { tag: 'internal-error'; val: string | undefined };

const standardMethods = new Set(['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch']);

export function methodFromString(method: string): Method {
  const lower = method.toLowerCase();
  return standardMethods.has(lower) ? ({ tag: lower } as Method) : { tag: 'other', val: method };
}

export function methodToString(method: Method): string {
  return method.tag === 'other' ? method.val : method.tag.toUpperCase();
}

function immutable(): never {
  throw { tag: 'immutable' };
}

export class Fields {
  private list: HeaderList;
  private readonly frozen: boolean;

  constructor(list: HeaderList = [], frozen = false) {
    this.list = list;
    this.frozen = frozen;
  }

  static fromList(entries: HeaderList): Fields {
    return new Fields(entries.map(([name, value]) => [name.toLowerCase(), value.slice()]));
  }

  get(name: string): Uint8Array[] {
    const key = name.toLowerCase();
    return this.list.filter(([n]) => n === key).map(([, v]) => v);
  }

  has(name: string): boolean {
    const key = name.toLowerCase();
    return this.list.some(([n]) => n === key);
  }

  set(name: string, values: Uint8Array[]): void {
    if (this.frozen) immutable();
    const key = name.toLowerCase();
    this.list = [...this.list.filter(([n]) => n !== key), ...values.map((v): [string, Uint8Array] => [key, v.slice()])];
  }

  delete(name: string): void {
    if (this.frozen) immutable();
    const key = name.toLowerCase();
    this.list = this.list.filter(([n]) => n !== key);
  }

  append(name: string, value: Uint8Array): void {
    if (this.frozen) immutable();
    this.list.push([name.toLowerCase(), value.slice()]);
  }

  entries(): HeaderList {
    return this.list.map(([n, v]) => [n, v]);
  }

  clone(): Fields {
    return new Fields(this.entries());
  }

  /** The same entries, frozen: what `headers()` of a request or response hands out. */
  frozenCopy(): Fields {
    return new Fields(this.entries(), true);
  }
}

export class FutureTrailers {
  private taken = false;
  subscribe(): Pollable {
    return Pollable.ready();
  }
  get(): { tag: 'ok'; val: { tag: 'ok'; val: undefined } } | { tag: 'err'; val: undefined } {
    if (this.taken) return { tag: 'err', val: undefined };
    this.taken = true;
    return { tag: 'ok', val: { tag: 'ok', val: undefined } };
  }
}

export class IncomingBody {
  private streamTaken = false;
  constructor(private readonly source: ByteSource) {}

  stream(): InputStream {
    if (this.streamTaken) throw undefined;
    this.streamTaken = true;
    return new InputStream(this.source);
  }

  static finish(_body: IncomingBody): FutureTrailers {
    return new FutureTrailers();
  }
}

export interface IncomingRequestData {
  method: string;
  pathWithQuery: string;
  scheme: 'http' | 'https';
  authority: string;
  headers: HeaderList;
  body: ByteSource;
}

export class IncomingRequest {
  private consumed = false;
  private readonly headerFields: Fields;

  constructor(private readonly data: IncomingRequestData) {
    this.headerFields = new Fields(data.headers, true);
  }

  method(): Method {
    return methodFromString(this.data.method);
  }
  pathWithQuery(): string | undefined {
    return this.data.pathWithQuery;
  }
  scheme(): Scheme | undefined {
    return this.data.scheme === 'https' ? { tag: 'HTTPS' } : { tag: 'HTTP' };
  }
  authority(): string | undefined {
    return this.data.authority;
  }
  headers(): Fields {
    return this.headerFields.frozenCopy();
  }
  consume(): IncomingBody {
    if (this.consumed) throw undefined;
    this.consumed = true;
    return new IncomingBody(this.data.body);
  }
}

/** A body the guest writes; `onFinish` runs once when it is finished (or the instance ends). */
export class OutgoingBody {
  private writer: OutputStream | undefined;
  finished = false;

  constructor(
    private readonly sink: ByteSink,
    private readonly onFinish: () => void = () => {},
  ) {}

  write(): OutputStream {
    if (this.writer) throw undefined;
    this.writer = new OutputStream(this.sink);
    return this.writer;
  }

  static finish(body: OutgoingBody, _trailers: Fields | undefined): void {
    body.finish();
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.writer?.close();
    this.onFinish();
  }
}

/** Receives the guest's response: head first, then body bytes, then the end. */
export interface ResponseTarget {
  sink: ByteSink;
  head(status: number, headers: HeaderList): void;
  end(): void;
  fail(message: string): void;
}

export class OutgoingResponse {
  private status = 200;
  private readonly headerFields: Fields;
  private outgoingBody: OutgoingBody | undefined;
  /** Set when the response is handed to a ResponseOutparam. */
  target: ResponseTarget | undefined;
  /** Body bytes written before `response-outparam.set`, sent once it is set. */
  private early: Uint8Array[] = [];

  constructor(headers: Fields) {
    this.headerFields = headers;
  }

  statusCode(): number {
    return this.status;
  }
  setStatusCode(status: number): void {
    if (status < 100 || status > 999) throw undefined;
    this.status = status;
  }
  headers(): Fields {
    return this.headerFields;
  }
  body(): OutgoingBody {
    if (this.outgoingBody) throw undefined;
    // WASI lets a guest write the body before `response-outparam.set`; componentize-js 0.19's
    // engine does so for the 500 it sends after an uncaught exception. Those bytes wait here.
    const forward: ByteSink = {
      write: (bytes) => {
        if (this.target) this.target.sink.write(bytes);
        else this.early.push(bytes.slice());
      },
      flush: () => this.target?.sink.flush?.(),
    };
    this.outgoingBody = new OutgoingBody(forward, () => this.target?.end());
    return this.outgoingBody;
  }

  /** Called by ResponseOutparam.set. */
  deliver(target: ResponseTarget): void {
    this.target = target;
    target.head(this.status, this.headerFields.entries());
    for (const bytes of this.early) target.sink.write(bytes);
    this.early = [];
    if (this.outgoingBody?.finished) target.end();
  }

  /** After the guest returns: a response whose body was never opened has no body. */
  get bodyOpened(): boolean {
    return this.outgoingBody !== undefined;
  }
}

export class ResponseOutparam {
  response: OutgoingResponse | undefined;
  failure: unknown;
  constructor(readonly target: ResponseTarget) {}

  static set(param: ResponseOutparam, result: { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: unknown }): void {
    if (param.response || param.failure) throw new Error('response-outparam set twice');
    if (result.tag === 'ok') {
      param.response = result.val;
      result.val.deliver(param.target);
    } else {
      param.failure = result.val;
      param.target.fail(`component set an error response: ${JSON.stringify(result.val)}`);
    }
  }
}

export class RequestOptions {
  private connect: bigint | undefined;
  private firstByte: bigint | undefined;
  private betweenBytes: bigint | undefined;
  connectTimeout(): bigint | undefined {
    return this.connect;
  }
  setConnectTimeout(d: bigint | undefined): void {
    this.connect = d;
  }
  firstByteTimeout(): bigint | undefined {
    return this.firstByte;
  }
  setFirstByteTimeout(d: bigint | undefined): void {
    this.firstByte = d;
  }
  betweenBytesTimeout(): bigint | undefined {
    return this.betweenBytes;
  }
  setBetweenBytesTimeout(d: bigint | undefined): void {
    this.betweenBytes = d;
  }
}

/**
 * An outgoing request's body: held here until the request is handed to `handle`, then passed on
 * write by write to the exchange that streams it (or kept whole for a request sent in one piece).
 * A body whose request declares a Content-Length is held to it, as wasmtime-wasi-http (Spin's
 * host) does: a write past it fails, and so does finishing short of it (`HTTP-request-body-size`,
 * wasmtime's test program `http_outbound_request_content_length`) — the request is abandoned and
 * the server never sees a complete request. Without this, a body cut short (a client that went
 * away while its upload was being forwarded) would be sent as if whole, and the server would wait
 * for the rest.
 */
class OutgoingRequestBody implements ByteSink {
  private readonly held = new BufferSink();
  private exchange: OutboundExchange | undefined;
  finished = false;
  /** The request's Content-Length, when it has one. */
  declared: number | undefined;
  private written = 0;
  /** Why the request may not complete: its body broke its Content-Length. */
  sizeError: ErrorCode | undefined;

  write(bytes: Uint8Array): void {
    if (this.declared !== undefined && this.written + bytes.length > this.declared) {
      this.abandon(this.written + bytes.length);
      throw { tag: 'last-operation-failed', val: new IoError(`the body is longer than its Content-Length of ${this.declared} bytes`) } satisfies StreamError;
    }
    this.written += bytes.length;
    if (this.exchange) this.exchange.write(bytes);
    else this.held.write(bytes);
  }

  /** What was written before the request was handed over. */
  bytes(): Uint8Array {
    return this.held.bytes();
  }

  /** From now on bytes go to `exchange`, starting with those held. */
  streamTo(exchange: OutboundExchange): void {
    this.exchange = exchange;
    for (const chunk of this.held.chunks.splice(0)) exchange.write(chunk);
    if (this.sizeError) exchange.abort();
    else if (this.finished) exchange.end();
  }

  finish(): void {
    this.finished = true;
    if (this.declared !== undefined && this.written !== this.declared) {
      this.abandon(this.written);
      throw this.sizeError;
    }
    this.exchange?.end();
  }

  private abandon(size: number): void {
    this.sizeError ??= { tag: 'HTTP-request-body-size', val: BigInt(size) };
    this.exchange?.abort();
  }
}

export class OutgoingRequest {
  private methodValue: Method = { tag: 'get' };
  private path: string | undefined;
  private schemeValue: Scheme | undefined;
  private authorityValue: string | undefined;
  readonly bodySink = new OutgoingRequestBody();
  private outgoingBody: OutgoingBody | undefined;

  constructor(private readonly headerFields: Fields) {}

  body(): OutgoingBody {
    if (this.outgoingBody) throw undefined;
    const length = this.headerFields.get('content-length');
    const declared = length.length === 1 ? Number(new TextDecoder().decode(length[0])) : NaN;
    if (Number.isSafeInteger(declared) && declared >= 0) this.bodySink.declared = declared;
    this.outgoingBody = new OutgoingBody(this.bodySink, () => this.bodySink.finish());
    return this.outgoingBody;
  }
  method(): Method {
    return this.methodValue;
  }
  setMethod(method: Method): void {
    this.methodValue = method;
  }
  pathWithQuery(): string | undefined {
    return this.path;
  }
  setPathWithQuery(path: string | undefined): void {
    this.path = path;
  }
  scheme(): Scheme | undefined {
    return this.schemeValue;
  }
  setScheme(scheme: Scheme | undefined): void {
    this.schemeValue = scheme;
  }
  authority(): string | undefined {
    return this.authorityValue;
  }
  setAuthority(authority: string | undefined): void {
    this.authorityValue = authority;
  }
  headers(): Fields {
    return this.headerFields;
  }

  /** The request as plain data, for the host. */
  toData(): OutboundRequestData {
    const scheme = this.schemeValue?.tag === 'HTTPS' ? 'https' : this.schemeValue?.tag === 'other' ? this.schemeValue.val : 'http';
    return {
      method: methodToString(this.methodValue),
      scheme,
      authority: this.authorityValue ?? '',
      pathWithQuery: this.path ?? '/',
      headers: this.headerFields.entries(),
      body: this.bodySink.bytes(),
    };
  }
}

export interface OutboundRequestData {
  method: string;
  scheme: string;
  authority: string;
  pathWithQuery: string;
  headers: HeaderList;
  body: Uint8Array;
}

export interface OutboundResponseData {
  status: number;
  headers: HeaderList;
  body: Uint8Array;
}

/** An outbound request whose body streams to the host as the guest writes it. */
export interface OutboundExchange {
  /** Blocks until the host has taken the bytes (its socket's back-pressure reaches the guest). */
  write(bytes: Uint8Array): void;
  /** The body is complete. */
  end(): void;
  /** The request is abandoned: the server must not take it as complete. */
  abort(): void;
  /** Ends the body if the guest has not, then blocks for the response head; its body streams from `body`. */
  response(): { ok: { status: number; headers: HeaderList; body: ByteSource } } | { err: ErrorCode };
}

export class IncomingResponse {
  private consumed = false;
  private readonly data: { status: number; headers: HeaderList; body: ByteSource };
  constructor(data: OutboundResponseData | { status: number; headers: HeaderList; body: ByteSource }) {
    this.data = data.body instanceof Uint8Array ? { ...data, body: data.body.length > 0 ? new BufferSource(data.body) : emptySource } : (data as { status: number; headers: HeaderList; body: ByteSource });
  }
  status(): number {
    return this.data.status;
  }
  headers(): Fields {
    return new Fields(this.data.headers, true);
  }
  consume(): IncomingBody {
    if (this.consumed) throw undefined;
    this.consumed = true;
    return new IncomingBody(this.data.body);
  }
}

type FutureResult = { tag: 'ok'; val: IncomingResponse } | { tag: 'err'; val: ErrorCode };

/** Performs the request (blocking) the first time anyone asks whether it is ready. */
export class FutureIncomingResponse {
  private result: FutureResult | undefined;
  private taken = false;

  constructor(private readonly perform: () => FutureResult) {}

  private settle(): FutureResult {
    this.result ??= this.perform();
    return this.result;
  }

  subscribe(): Pollable {
    return new Pollable(undefined, { isReady: () => this.result !== undefined, block: () => void this.settle() });
  }

  get(): { tag: 'ok'; val: FutureResult } | { tag: 'err'; val: undefined } | undefined {
    if (this.taken) return { tag: 'err', val: undefined };
    const result = this.settle();
    this.taken = true;
    return { tag: 'ok', val: result };
  }
}

/** What the executor supplies for outbound requests: a policy check and a blocking sender. */
export interface OutboundHttp {
  /** Returns an error code when the request may not be made (Spin decides in `handle`). */
  check(request: OutboundRequestData): ErrorCode | undefined;
  send(request: OutboundRequestData): { ok: OutboundResponseData } | { err: ErrorCode };
  /** A streaming exchange for the request (its head; `body` empty), or undefined to `send` it whole. */
  open?(head: OutboundRequestData): OutboundExchange | undefined;
}

export function createOutgoingHandler(outbound: OutboundHttp) {
  return {
    handle(request: OutgoingRequest, _options: RequestOptions | undefined): FutureIncomingResponse {
      const data = request.toData();
      const denied = outbound.check(data);
      if (denied) throw denied;
      const exchange = outbound.open?.({ ...data, body: new Uint8Array(0) });
      if (exchange) {
        request.bodySink.streamTo(exchange);
        return new FutureIncomingResponse(() => {
          if (request.bodySink.sizeError) return { tag: 'err', val: request.bodySink.sizeError };
          const answer = exchange.response();
          if (request.bodySink.sizeError) return { tag: 'err', val: request.bodySink.sizeError };
          return 'ok' in answer ? { tag: 'ok', val: new IncomingResponse(answer.ok) } : { tag: 'err', val: answer.err };
        });
      }
      return new FutureIncomingResponse(() => {
        if (request.bodySink.sizeError) return { tag: 'err', val: request.bodySink.sizeError };
        const sent = outbound.send(request.toData());
        return 'ok' in sent ? { tag: 'ok', val: new IncomingResponse(sent.ok) } : { tag: 'err', val: sent.err };
      });
    },
  };
}

export function httpErrorCode(_error: unknown): ErrorCode | undefined {
  return undefined;
}
