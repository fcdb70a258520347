// The kit as components use it: the portable parts plus entry points bound to Spin's host.
// Node code (tests, CLIs) imports `@authorworks/kit/portable` or `@authorworks/kit/migrations`,
// which never load the `fermyon:spin/*` imports.
import { createApiWithHost, type Api, type ApiOptions } from './api.ts';
import { createEventConsumer as createEventConsumerWithHost, type EventConsumerOptions } from './events.ts';
import type { Host } from './host.ts';
import { spinHost } from './spin-host.ts';

export * from './portable.ts';
export { spinHost } from './spin-host.ts';

/** A service's HTTP API bound to the Spin host (or `host`, for tests). */
export function createApi(options: ApiOptions & { host?: Host }): Api {
  return createApiWithHost(options, options.host ?? spinHost);
}

/** A Redis-trigger consumer bound to the Spin host: `export const inboundRedis = createEventConsumer({...})`. */
export function createEventConsumer(options: Omit<EventConsumerOptions, 'host'> & { host?: Host }) {
  return createEventConsumerWithHost({ ...options, host: options.host ?? spinHost });
}
