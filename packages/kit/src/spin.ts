// The Spin binding: the kit's API and event consumer bound to Spin's host interfaces
// (`fermyon:spin/*` imports, which exist only inside a component). Only a component's entry —
// `src/index.ts` (HTTP) or `src/worker.ts` (Redis) — imports this; everything else imports
// `@authorworks/kit`, which runs anywhere.
import { createApiWithHost, type Api, type ApiOptions } from './api.ts';
import { createEventConsumer as createEventConsumerWithHost, type EventConsumerOptions } from './events.ts';
import type { Host } from './host.ts';
import { createJobWorker as createJobWorkerWithHost, type JobWorkerOptions } from './jobs.ts';
import { serveHttp as serveFetchEvents, type FetchHandler } from './fetch-event.ts';
import { warmUpSnapshot } from './snapshot-warm-up.ts';
import { spinHost } from './spin-host.ts';

export { type FetchEvent, type FetchHandler } from './fetch-event.ts';
export { spinHost } from './spin-host.ts';

/**
 * Registers `handler` as the component's `wasi:http/incoming-handler`. Called from the entry's
 * top level, so it runs at build time: it also compiles the request path's pure code into the
 * component's snapshot (snapshot-warm-up.ts), which every request would otherwise compile anew.
 */
export function serveHttp(handler: Api | { fetch: FetchHandler } | FetchHandler): void {
  void warmUpSnapshot('options' in handler ? handler : undefined);
  serveFetchEvents(handler);
}

/** A service's HTTP API bound to the Spin host (or `host`, for tests). */
export function createApi(options: ApiOptions & { host?: Host }): Api {
  return createApiWithHost(options, options.host ?? spinHost);
}

/** A Redis-trigger consumer bound to the Spin host: `export const inboundRedis = createEventConsumer({...})`. */
export function createEventConsumer(options: Omit<EventConsumerOptions, 'host'> & { host?: Host }) {
  void warmUpSnapshot();
  return createEventConsumerWithHost({ ...options, host: options.host ?? spinHost });
}

/** A job worker bound to the Spin host: `export const inboundRedis = createJobWorker({...})` (see jobs.ts). */
export function createJobWorker(options: Omit<JobWorkerOptions, 'host'> & { host?: Host }) {
  void warmUpSnapshot();
  return createJobWorkerWithHost({ ...options, host: options.host ?? spinHost });
}
