/**
 * The fetch-event contract of componentize-js's `http` feature: a component registers one
 * `fetch` listener and answers each request through `respondWith`. Spin gives each request a
 * fresh instance, so the listener runs exactly once per instance.
 */
export interface FetchEvent {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
  /**
   * Keeps the instance running until `promise` settles, without holding the response back: Spin
   * answers the client once the response's body is finished while the handler goes on
   * (crates/trigger-http/src/wasi.rs). Only while the event is active (before `respondWith`'s
   * promise settles).
   */
  waitUntil(promise: Promise<unknown>): void;
}

/** Where a request's work after its answer goes (the request's `FetchEvent`, on Spin). */
export interface AfterResponse {
  waitUntil(promise: Promise<unknown>): void;
}

declare function addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;

export type FetchHandler = (request: Request, after?: AfterResponse) => Promise<Response>;

/** Registers `handler` as the component's `wasi:http/incoming-handler`. */
export function serveHttp(handler: { fetch: FetchHandler } | FetchHandler): void {
  const fetch = typeof handler === 'function' ? handler : handler.fetch.bind(handler);
  addEventListener('fetch', (event) => event.respondWith(fetch(event.request, event)));
}
