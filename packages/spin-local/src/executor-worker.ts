/**
 * An executor thread: runs component instances, one request (or Redis message) at a time, each on
 * a fresh instance, as Spin does. Core modules arrive compiled from the main thread (shared code,
 * no recompilation); instances are created synchronously and, while the thread is idle, one is
 * prepared ahead for the component used last. Host calls block on the host bridge.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HOST_READ_BYTES } from './chunk-reader.ts';
import { HostClient } from './host-bridge.ts';
import {
  type ErrorCode,
  type HeaderList,
  IncomingRequest,
  type IncomingRequestData,
  type OutboundExchange,
  type OutboundRequestData,
  type OutboundResponseData,
  ResponseOutparam,
  type ResponseTarget,
} from './guest/http.ts';
import { type GuestComponentConfig, InstanceHandles, createSpinImports } from './guest/spin-apis.ts';
import { MEMORY_IMPORT, type MemoryImage, MemoryPool } from './memory-images.ts';
import { BufferSink, BufferSource, type ByteSource, LineSink, emptySource } from './guest/streams.ts';
import { createWasiImports } from './guest/wasi-imports.ts';
import { internalComponentId, isAllowedOutbound, targetOf } from './outbound-hosts.ts';
import { type HttpTriggerSpec, RouteTable, chainedClientAddr, matchForComponent, spinHeaders } from './routes.ts';
import { CollectionPolicy } from './collection-policy.ts';
import { TraceRecorder, traceNow } from './request-trace.ts';
import type { CollectionReason, ExecutorJob, ExecutorMessage, GuestFailure } from './executor-protocol.ts';

export interface ExecutorComponent extends GuestComponentConfig {
  jsFile: string;
  modules: Record<string, WebAssembly.Module>;
  /** Modules that import their memory, with its initial image (memory-images.ts). */
  memoryImages: Record<string, MemoryImage>;
}

/** What a thread starts with; its components follow in a `load` message once compiled. */
export interface ExecutorInit {
  hostPort: MessagePort;
  signal: SharedArrayBuffer;
  httpTriggers: HttpTriggerSpec[];
  /** Instances prepared ahead, at most this many per thread. */
  maxPrepared: number;
  /** How long one host call may take before it fails and the thread is retired. */
  hostCallDeadlineMs?: number;
  /** Most bytes of finished instances' memories kept for reuse (memory-images.ts). */
  memoryPoolBytes?: number;
  /** After this long without a job the thread lets go of its pooled memories and prepared instances. */
  idleTrimMs?: number;
  /** Record a request timeline (request-trace.ts), as thread `executor-<slot>`. */
  trace?: { slot: number };
}

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance,
) => Record<string, unknown>;

interface HttpExports {
  incomingHandler?: { handle(request: IncomingRequest, outparam: ResponseOutparam): void };
}
interface RedisExports {
  inboundRedis?: { handleMessage(message: Uint8Array): void };
}

/** Per-instance state the imports close over; the job is attached when the instance is used. */
interface InstanceScope {
  component: ExecutorComponent;
  handles: InstanceHandles;
  stderrTail: string[];
  /** The core instances' exported memories, to report how large the guest grew. */
  memories: WebAssembly.Memory[];
  /** Memories from the pool, given back once the instance has run (never before). */
  pooled: { key: string; image: MemoryImage; memory: WebAssembly.Memory; reused: boolean }[];
}

interface PreparedInstance {
  scope: InstanceScope;
  exports: HttpExports & RedisExports;
}

const init = workerData as ExecutorInit;
const requireModule = createRequire(import.meta.url);
const port = parentPort;
if (!port) throw new Error('executor-worker must run in a worker thread');
const tracer = new TraceRecorder(init.trace !== undefined, `executor-${init.trace?.slot ?? 0}`);
/** The job this thread is running, for its trace events. */
let currentJob: number | undefined;
/** Hands the recorded events to the main thread (after a job's answer, or idle work). */
function postTrace(): void {
  if (tracer.enabled) post({ type: 'trace', events: tracer.take() });
}
// A thread whose bridge faulted keeps serving its current job's guest an error, and the pool
// replaces it once that job ends.
const host = new HostClient(init.hostPort, init.signal, {
  ...(init.hostCallDeadlineMs !== undefined ? { deadlineMs: init.hostCallDeadlineMs } : {}),
  onFault: (fault) => post({ type: 'degraded', ...fault }),
  ...(tracer.enabled ? { onCall: (op: string, startedAt: number, ms: number) => tracer.record('host-call', { t: performance.timeOrigin + startedAt, job: currentJob, op, ms }) } : {}),
});
const routes = new RouteTable(init.httpTriggers);
let components = new Map<string, ExecutorComponent>();
const instantiators = new Map<string, Instantiate>();
const prepared = new Map<string, PreparedInstance>();

function post(message: ExecutorMessage, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

/** jco's glue for a component, loaded the first time this thread runs it. */
function instantiatorOf(component: ExecutorComponent): Instantiate {
  let instantiate = instantiators.get(component.id);
  if (!instantiate) {
    instantiate = (requireModule(component.jsFile) as { instantiate: Instantiate }).instantiate;
    instantiators.set(component.id, instantiate);
  }
  return instantiate;
}

/** Each thread's memories of finished instances, reset for the next instance of their module. */
const memoryPool = new MemoryPool(init.memoryPoolBytes !== undefined ? { maxBytes: init.memoryPoolBytes } : {});

const moduleNameMaps = new Map<string, Map<WebAssembly.Module, string>>();
function moduleNames(component: ExecutorComponent): Map<WebAssembly.Module, string> {
  let names = moduleNameMaps.get(component.id);
  if (!names) {
    names = new Map(Object.entries(component.modules).map(([name, module]) => [module, name]));
    moduleNameMaps.set(component.id, names);
  }
  return names;
}

/** The instance has run and is dropped: its pooled memories serve the next instances. */
function retireInstance(instance: PreparedInstance): void {
  lastJobReusedMemory = instance.scope.pooled.length > 0 ? instance.scope.pooled.every((entry) => entry.reused) : undefined;
  instance.scope.handles.releaseAll(host);
  const pooled = new Set<WebAssembly.Memory>();
  for (const { key, image, memory } of instance.scope.pooled) {
    pooled.add(memory);
    droppedMemoryBytes += memoryPool.give(key, image, memory);
  }
  // A memory of its own (a module left as it was compiled) is garbage from now on.
  for (const memory of new Set(instance.scope.memories)) if (!pooled.has(memory)) droppedMemoryBytes += memory.buffer.byteLength;
  instance.scope.pooled = [];
}

function createInstance(component: ExecutorComponent): PreparedInstance {
  const instantiate = instantiatorOf(component);
  const scope: InstanceScope = { component, handles: new InstanceHandles(), stderrTail: [], memories: [], pooled: [] };
  const nameOf = moduleNames(component);
  const log = (stream: 'stdout' | 'stderr') => (line: string) => {
    if (line.trim() === '') return;
    if (stream === 'stderr') {
      scope.stderrTail.push(line);
      if (scope.stderrTail.length > 40) scope.stderrTail.shift();
    }
    post({ type: 'log', component: component.id, stream, line });
  };
  const imports = {
    ...createWasiImports({
      stdout: new LineSink(log('stdout')),
      stderr: new LineSink(log('stderr')),
      outbound: {
        check: (request) => checkOutbound(component, request),
        send: (request) => sendOutbound(request),
        open: (head) => openOutbound(head),
      },
    }),
    ...createSpinImports(component, host, scope.handles),
  };
  const exports = instantiate(
    (name) => {
      const module = component.modules[name];
      if (!module) throw new Error(`missing core module ${name}`);
      return module;
    },
    imports,
    (module, moduleImports) => {
      const name = nameOf.get(module);
      const image = name === undefined ? undefined : component.memoryImages[name];
      if (image) {
        const key = `${component.id}/${name}`;
        const { memory, reused } = memoryPool.take(key, image);
        scope.pooled.push({ key, image, memory, reused });
        moduleImports = { ...moduleImports, [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory } };
      }
      const instance = new WebAssembly.Instance(module, moduleImports);
      for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) scope.memories.push(value);
      return instance;
    },
  ) as HttpExports & RedisExports;
  return { scope, exports };
}

/** Whether the last job ran on an instance prepared ahead (reported to the pool for its stats). */
let lastJobWarm = false;
/** Whether the last job's instance started on a reused memory (undefined: not a rewritten module). */
let lastJobReusedMemory: boolean | undefined;
/** The linear memory of the last job's instance, in bytes. */
let lastJobMemory: number | undefined;

function takeInstance(componentId: string): PreparedInstance {
  const ready = prepared.get(componentId);
  lastJobWarm = ready !== undefined;
  if (ready) {
    prepared.delete(componentId);
    return ready;
  }
  const component = components.get(componentId);
  if (!component) throw new Error(`unknown component ${componentId}`);
  return createInstance(component);
}

/** Keeps an instance for the next job of its component, evicting the oldest beyond the limit. */
function keepPrepared(componentId: string, instance: PreparedInstance): void {
  while (prepared.size >= Math.max(1, init.maxPrepared)) {
    const oldest = prepared.keys().next().value;
    if (oldest === undefined) break;
    prepared.delete(oldest);
    post({ type: 'evicted', component: oldest });
  }
  prepared.set(componentId, instance);
  post({ type: 'prepared', component: componentId });
}

let prepareTimer: NodeJS.Immediate | undefined;
function prepareAhead(componentId: string): void {
  if (init.maxPrepared <= 0 || prepared.has(componentId)) return;
  clearImmediate(prepareTimer);
  prepareTimer = setImmediate(() => {
    const component = components.get(componentId);
    if (!component || prepared.has(componentId)) return;
    const started = traceNow();
    try {
      keepPrepared(componentId, createInstance(component));
    } catch {
      // A failing instantiation will be reported by the request that needs it.
    }
    tracer.record('prepare-ahead', { t: started, component: componentId, ms: traceNow() - started });
    postTrace();
  });
}

function failureOf(error: unknown, scope: InstanceScope | undefined): GuestFailure {
  const err = error instanceof Error ? error : new Error(typeof error === 'object' ? JSON.stringify(error) : String(error));
  // A trap says which memories the instance ran on: a reused one (memory images) or a new one,
  // and their sizes against the module's initial size — what an intermittent trap needs to be
  // told apart from a guest bug (one "memory access out of bounds" in a post-return was seen in CI).
  const memories =
    err instanceof WebAssembly.RuntimeError && scope && scope.pooled.length > 0
      ? ` [instance memories: ${scope.pooled.map((entry) => `${entry.reused ? 'reused' : 'new'} ${entry.memory.buffer.byteLength} bytes (initial ${entry.image.pages * 65536})`).join('; ')}]`
      : '';
  return { message: `${err.message}${memories}`, stack: err.stack ?? '', guestStderr: scope?.stderrTail.slice() ?? [] };
}

/** Runs one HTTP request on a fresh instance, synchronously; the target receives the response. */
function runHttp(componentId: string, request: IncomingRequestData, target: ResponseTarget): GuestFailure | undefined {
  let instance: PreparedInstance | undefined;
  try {
    instance = takeInstance(componentId);
    if (tracer.enabled) tracer.record('instance', { job: currentJob, component: componentId, prepared: lastJobWarm, memory: memoryState(instance.scope) });
    const handler = instance.exports.incomingHandler;
    if (!handler) throw new Error(`component ${componentId} does not export wasi:http/incoming-handler`);
    const outparam = new ResponseOutparam(target);
    handler.handle(new IncomingRequest(request), outparam);
    if (outparam.failure !== undefined) {
      throw new Error(`component set an error instead of a response: ${JSON.stringify(outparam.failure)}`);
    }
    if (!outparam.response) {
      throw new Error('component returned without setting a response (an uncaught exception in the handler?)');
    }
    // A response whose body was never opened, or opened and not finished, ends here.
    if (outparam.response) target.end();
    return reportedByGuest(instance.scope);
  } catch (error) {
    return failureOf(error, instance?.scope);
  } finally {
    if (instance) {
      lastJobMemory = memoryOf(instance.scope);
      retireInstance(instance);
    }
  }
}

const memoryOf = (scope: InstanceScope) => scope.memories.reduce((sum, memory) => sum + memory.buffer.byteLength, 0);
/** For the trace: whether the instance's memories were reused ones, new ones, or its own (no images). */
const memoryState = (scope: InstanceScope) => (scope.pooled.length === 0 ? 'own' : scope.pooled.every((entry) => entry.reused) ? 'reused' : 'new');

/**
 * componentize-js catches an exception thrown by the fetch handler itself, prints it to stderr
 * and answers 500; the host still owes the operator a log line naming component, route and error,
 * so it recognises the SDK's messages and lifts the error and its stack out of them.
 */
const guestErrorMarkers = [
  'Error while running request handler',
  'Exception while dispatching FetchEvent',
  'Exception while evaluating incoming request',
  // componentize-js 0.19, for an exception thrown by the fetch listener outside respondWith.
  'Exception in event listener for fetch',
];
function reportedByGuest(scope: InstanceScope): GuestFailure | undefined {
  const isMarker = (line: string) => guestErrorMarkers.some((marker) => line.includes(marker));
  const start = scope.stderrTail.findIndex(isMarker);
  if (start < 0) return undefined;
  const lines = scope.stderrTail
    .slice(start + 1)
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== ':' && line !== 'Stack:' && line !== 'Internal error.' && !isMarker(line));
  const stackLines = [...new Set(lines.filter((line) => /@.*:\d+(:\d+)?$/.test(line)))];
  // componentize-js 0.19 prints the throwing location (`file.js:1:3786`) on a line of its own.
  const isLocation = (line: string) => /^[^\s@]+:\d+:\d+$/.test(line);
  const first = lines.find((line) => !stackLines.includes(line) && !isLocation(line)) ?? 'unknown error';
  // SpiderMonkey prints `(new TypeError("message", "file.js", 12))` for an uncaught error value.
  const constructed = /^\(new (\w*Error)\("(.*)", ".*", \d+\)\)$/.exec(first);
  const message = constructed ? `${constructed[1]}: ${constructed[2]}` : first;
  return { message, stack: stackLines.map((line) => `at ${line}`).join('\n'), guestStderr: [], answered: true };
}

function runRedis(componentId: string, payload: Uint8Array): GuestFailure | undefined {
  let instance: PreparedInstance | undefined;
  try {
    instance = takeInstance(componentId);
    if (tracer.enabled) tracer.record('instance', { job: currentJob, component: componentId, prepared: lastJobWarm, memory: memoryState(instance.scope) });
    const handler = instance.exports.inboundRedis;
    if (!handler) throw new Error(`component ${componentId} does not export fermyon:spin/inbound-redis`);
    handler.handleMessage(payload);
    return undefined;
  } catch (error) {
    // A WIT `err` from the guest arrives as a thrown `{ payload }`.
    if (error && typeof error === 'object' && 'payload' in error) {
      return failureOf(new Error(`handle-message returned an error: ${JSON.stringify((error as { payload: unknown }).payload)}`), instance?.scope);
    }
    return failureOf(error, instance?.scope);
  } finally {
    if (instance) {
      lastJobMemory = memoryOf(instance.scope);
      retireInstance(instance);
    }
  }
}

const textEncoder = new TextEncoder();

function headerList(pairs: [string, string][]): HeaderList {
  return pairs.map(([n, v]) => [n, textEncoder.encode(v)]);
}

function checkOutbound(component: ExecutorComponent, request: OutboundRequestData): ErrorCode | undefined {
  const url = request.authority ? `${request.scheme}://${request.authority}${request.pathWithQuery}` : undefined;
  const target = url ? targetOf(url) : { scheme: request.scheme, host: 'self', port: undefined };
  if (!target) return { tag: 'HTTP-request-URI-invalid' };
  if (isAllowedOutbound(component.allowedOutboundHosts, target)) return undefined;
  const origin = url ? new URL(url).origin : 'self';
  post({
    type: 'log',
    component: component.id,
    stream: 'host',
    line: `A component tried to make an HTTP request to a non-allowed host '${origin}'. To allow requests, add 'allowed_outbound_hosts = ["${origin}"]' to the manifest component section.`,
  });
  return { tag: 'HTTP-request-denied' };
}

/** Internal requests (`<id>.spin.internal`, `self`) run nested in this thread; others go to the host. */
function sendOutbound(request: OutboundRequestData): { ok: OutboundResponseData } | { err: ErrorCode } {
  const host = request.authority.split(':')[0]?.toLowerCase() ?? '';
  const internalId = internalComponentId(host);
  if (internalId !== undefined || request.authority === '') {
    const path = request.pathWithQuery.split('?')[0] ?? '/';
    let componentId = internalId;
    let match;
    if (componentId === undefined) {
      match = routes.match(path);
      if (!match) return { ok: { status: 404, headers: [], body: new Uint8Array(0) } };
      componentId = match.entry.component;
    } else {
      const entry = routes.routeOfComponent(componentId);
      if (!entry || !components.has(componentId)) return { err: { tag: 'destination-not-found' } };
      match = matchForComponent(entry, path);
    }
    const authority = request.authority || 'self';
    const fullUrl = `${request.scheme}://${authority}${request.pathWithQuery}`;
    const headers: HeaderList = [
      // Copied, then Spin's own appended, as for a request from outside.
      ...request.headers,
      ...headerList(spinHeaders({ fullUrl, clientAddr: internalId !== undefined ? chainedClientAddr : '127.0.0.1:0', match })),
    ];
    const sink = new BufferSink();
    let status = 500;
    let responseHeaders: HeaderList = [];
    const failure = runHttp(
      componentId,
      { method: request.method, pathWithQuery: request.pathWithQuery, scheme: 'http', authority, headers, body: request.body.length ? new BufferSource(request.body) : emptySource },
      {
        sink,
        head: (s, h) => {
          status = s;
          responseHeaders = h;
        },
        end: () => {},
        fail: () => {},
      },
    );
    if (failure) {
      post({ type: 'guest-error', component: componentId, route: match.rawRoute, failure });
      return { ok: { status: 500, headers: [], body: new Uint8Array(0) } };
    }
    return { ok: { status, headers: responseHeaders, body: sink.bytes() } };
  }
  // Requests to other hosts stream through `openOutbound`.
  return { err: { tag: 'internal-error', val: `${request.authority} is not a component of this app` } };
}

/** Exchanges the current job opened; the host drops whatever of them is left when the job ends. */
let openExchanges: number[] = [];

/**
 * A request to another host streams both ways over the bridge: the body as the guest writes it
 * (`http.write` waits for the socket), the response body as the guest reads it (`http.read`), so
 * neither is ever held whole here or in the host. Internal requests run nested (`sendOutbound`).
 */
function openOutbound(head: OutboundRequestData): OutboundExchange | undefined {
  const hostName = head.authority.split(':')[0]?.toLowerCase() ?? '';
  if (head.authority === '' || internalComponentId(hostName) !== undefined) return undefined;
  const id = flushThen(() => hostCall<number>('http.start', head));
  openExchanges.push(id);
  // The guest writes a streamed body in small pieces (8 KiB from a ReadableStream); each host
  // call is a round trip, so pieces are gathered into calls of up to HOST_WRITE_BYTES.
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  const sendHeld = () => {
    if (heldBytes === 0) return;
    const bytes = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
    held = [];
    heldBytes = 0;
    flushThen(() => hostCall<void>('http.write', id, bytes));
  };
  let aborted = false;
  return {
    write: (bytes) => {
      if (aborted) return;
      // A copy: the guest's memory view is only valid during this call.
      held.push(bytes.slice());
      heldBytes += bytes.length;
      if (heldBytes >= HOST_WRITE_BYTES) sendHeld();
    },
    end: () => {
      if (aborted) return;
      sendHeld();
      flushThen(() => hostCall<void>('http.end', id));
    },
    abort: () => {
      if (aborted) return;
      aborted = true;
      held = [];
      heldBytes = 0;
      // The socket is destroyed mid-body: the server sees a request that never completed.
      host.notify('http.close', id);
    },
    response: () => {
      if (aborted) return { err: { tag: 'internal-error', val: 'the request was abandoned' } };
      sendHeld();
      const answer = flushThen(() => hostCall<{ ok: { status: number; headers: HeaderList } } | { err: ErrorCode }>('http.send', id));
      if ('err' in answer) return answer;
      const body: ByteSource = { pull: (maxBytes) => flushThen(() => hostCall<Uint8Array | null>('http.read', id, Math.max(maxBytes, HOST_READ_BYTES))) };
      return { ok: { ...answer.ok, body } };
    },
  };
}

function closeExchanges(): void {
  for (const id of openExchanges) host.notify('http.close', id);
  openExchanges = [];
}

/** Responses are coalesced into few messages; anything pending goes out before the guest blocks. */
let flushPending: (() => void) | undefined;
function flushThen<T>(call: () => T): T {
  flushPending?.();
  return call();
}
function hostCall<T>(op: string, ...args: unknown[]): T {
  return host.call<T>(op, ...args);
}

const streamThreshold = 64 * 1024;
/** The most one `http.write` host call carries of an outbound body the guest streams. */
const HOST_WRITE_BYTES = 256 * 1024;

/** Sends the response to the main thread: head and body in one message unless it is large or slow. */
class JobResponse implements ResponseTarget {
  private status: number | undefined;
  private headers: HeaderList = [];
  private headSent = false;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  ended = false;

  constructor(private readonly jobId: number) {}

  readonly sink = {
    write: (bytes: Uint8Array) => {
      this.chunks.push(bytes.slice());
      this.buffered += bytes.length;
      if (this.buffered >= streamThreshold) this.flush();
    },
  };

  head(status: number, headers: HeaderList): void {
    tracer.record('guest-head', { job: this.jobId, status });
    this.status = status;
    this.headers = headers;
  }

  /**
   * The guest finished the body: as in Spin, the client gets the rest of the response now, while
   * the guest may go on (work it left in `FetchEvent.waitUntil`) until `handle` returns.
   */
  end(): void {
    if (this.ended) return;
    tracer.record('guest-end', { job: this.jobId });
    this.ended = true;
    this.flush();
    if (this.headSent) post({ type: 'end', jobId: this.jobId });
  }

  fail(): void {
    // runHttp reports the error the guest set on the outparam.
  }

  /** Posts what is pending now (head first). */
  flush(): void {
    if (this.status === undefined) return;
    if (!this.headSent) {
      post({ type: 'head', jobId: this.jobId, status: this.status, headers: this.headers });
      this.headSent = true;
    }
    if (this.buffered > 0) {
      const bytes = Buffer.concat(this.chunks);
      this.chunks = [];
      this.buffered = 0;
      post({ type: 'chunk', jobId: this.jobId, bytes }, [bytes.buffer as ArrayBuffer]);
    }
  }

  /** The final message: whatever has not been sent yet, plus the outcome. */
  finish(failure: GuestFailure | undefined): void {
    const head = !this.headSent && this.status !== undefined ? { status: this.status, headers: this.headers } : undefined;
    const bytes = this.buffered > 0 ? Buffer.concat(this.chunks) : undefined;
    post({ type: 'done', jobId: this.jobId, head, bytes, failure, warm: lastJobWarm, guestMemoryBytes: lastJobMemory, reusedMemory: lastJobReusedMemory }, bytes ? [bytes.buffer as ArrayBuffer] : []);
  }
}

class StreamedBody implements ByteSource {
  constructor(private readonly jobId: number) {}
  pull(maxBytes: number): Uint8Array | null {
    return flushThen(() => hostCall<Uint8Array | null>('body.read', this.jobId, Math.max(maxBytes, HOST_READ_BYTES)));
  }
}

function handleJob(job: ExecutorJob): void {
  currentJob = job.jobId;
  tracer.record('job-start', { job: job.jobId, type: job.type, component: job.component });
  try {
    runJob(job);
  } finally {
    tracer.record('job-end', { job: job.jobId });
    currentJob = undefined;
    postTrace();
  }
}

function runJob(job: ExecutorJob): void {
  if (job.type === 'http') {
    const response = new JobResponse(job.jobId);
    flushPending = () => response.flush();
    const body: ByteSource = job.streamedBody ? new StreamedBody(job.jobId) : job.body && job.body.length > 0 ? new BufferSource(job.body) : emptySource;
    const failure = runHttp(job.component, { ...job.request, body }, response);
    closeExchanges();
    flushPending = undefined;
    response.finish(failure);
  } else if (job.type === 'prepare') {
    let failure: GuestFailure | undefined;
    try {
      // Only V8's compiled code is wanted: the instance itself (~20 MB) is dropped.
      if (!prepared.has(job.component)) retireInstance(createInstance(components.get(job.component) as ExecutorComponent));
    } catch (error) {
      failure = failureOf(error, undefined);
    }
    post({ type: 'done', jobId: job.jobId, failure });
    scheduleCollection(false);
    return;
  } else {
    flushPending = undefined;
    const failure = runRedis(job.component, job.payload);
    closeExchanges();
    post({ type: 'done', jobId: job.jobId, failure, warm: lastJobWarm, guestMemoryBytes: lastJobMemory, reusedMemory: lastJobReusedMemory });
  }
  // Prepare ahead only for a component this thread just served twice in a row: under mixed
  // traffic the next request is usually for another component, and an instance prepared for
  // the wrong one is ~15 ms of CPU and ~20 MB thrown away.
  if (job.component === previousComponent) prepareAhead(job.component);
  previousComponent = job.component;
  scheduleCollection();
}

let previousComponent: string | undefined;

/** Collect when the thread goes idle, and as collection-policy.ts says while it never does. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as (() => void) | undefined;
const collectionPolicy = new CollectionPolicy();
/** Bytes of linear memory let go (not pooled) since the last job ended. */
let droppedMemoryBytes = 0;
let idleCollection: NodeJS.Timeout | undefined;
function collectNow(reason: CollectionReason): void {
  const started = traceNow();
  collectionPolicy.collected();
  collectGarbage?.();
  post({ type: 'collected', reason });
  tracer.record('collect', { t: started, job: currentJob, reason, ms: traceNow() - started });
  // (During a job its events go with the job's.)
  if (currentJob === undefined) postTrace();
}
function scheduleCollection(countsAsJob = true): void {
  if (!collectGarbage) return;
  const dropped = droppedMemoryBytes;
  droppedMemoryBytes = 0;
  clearTimeout(idleCollection);
  const reason = collectionPolicy.afterJob(dropped, countsAsJob);
  if (reason) return collectNow(reason);
  idleCollection = setTimeout(() => collectNow('idle'), 50);
  idleCollection.unref();
}

/**
 * An idle thread keeps nothing for the next request: its pooled memories and prepared instances
 * (12–25 MiB each) go, and the next instance of each component pays for a new memory (~8–10 ms)
 * once. A platform left running between bursts of requests then holds only what it cannot make
 * again on demand.
 */
let idleTrim: NodeJS.Timeout | undefined;
function scheduleIdleTrim(): void {
  if (init.idleTrimMs === undefined) return;
  clearTimeout(idleTrim);
  idleTrim = setTimeout(() => {
    let bytes = memoryPool.clear();
    for (const [componentId, instance] of prepared) {
      prepared.delete(componentId);
      bytes += memoryOf(instance.scope);
      instance.scope.handles.releaseAll(host);
      post({ type: 'evicted', component: componentId });
    }
    previousComponent = undefined;
    tracer.record('idle-trim', { bytes });
    collectNow('idle');
    post({ type: 'trimmed', bytes });
  }, init.idleTrimMs);
  idleTrim.unref();
}

port.once('message', (load: { type: 'load'; components: ExecutorComponent[] }) => {
  components = new Map(load.components.map((c) => [c.id, c]));
  moduleNameMaps.clear();
  port.on('message', (job: ExecutorJob | { type: 'exit' }) => {
    // Only sent when profiling (SPIN_LOCAL_PROFILE_DIR): an exit of its own writes the profile.
    if (job.type === 'exit') process.exit(0);
    clearTimeout(idleTrim);
    handleJob(job);
    scheduleIdleTrim();
  });
  post({ type: 'ready' });
});
