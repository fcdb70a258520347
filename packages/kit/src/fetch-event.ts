/**
 * The fetch-event contract of componentize-js's `http` feature: a component registers one
 * `fetch` listener and answers each request through `respondWith`. Spin gives each request a
 * fresh instance, so the listener runs exactly once per instance.
 */
export interface FetchEvent {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}

declare function addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;

export type FetchHandler = (request: Request) => Promise<Response>;

/** Registers `handler` as the component's `wasi:http/incoming-handler`. */
export function serveHttp(handler: { fetch: FetchHandler } | FetchHandler): void {
  const fetch = typeof handler === 'function' ? handler : handler.fetch.bind(handler);
  addEventListener('fetch', (event) => event.respondWith(fetch(event.request)));
}
