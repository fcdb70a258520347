// The Spin binding: the kit's API and event consumer bound to Spin's host interfaces
// (`fermyon:spin/*` imports, which exist only inside a component). Only a component's entry —
// `src/index.ts` (HTTP) or `src/worker.ts` (Redis) — imports this; everything else imports
// `@authorworks/kit`, which runs anywhere.
import { createApiWithHost, type Api, type ApiOptions } from './api.ts';
import { catchUp } from './catch-up.ts';
import { Config } from './config.ts';
import { createEventConsumer as createEventConsumerWithHost, type EventConsumerOptions } from './events.ts';
import type { Host } from './host.ts';
import { createJobWorker as createJobWorkerWithHost, type JobWorkerOptions } from './jobs.ts';
import { createLogger } from './logging.ts';
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

/**
 * An event processor that also catches up from its channels' event logs after every message
 * (catch-up.ts): `export const inboundRedis = createCatchingUpConsumer({ ..., channels })`, with
 * `channels` those of its Redis triggers. Whatever it missed while down or failing is handled with
 * a later message, no admin call needed.
 */
export function createCatchingUpConsumer(options: Omit<EventConsumerOptions, 'host'> & { channels: readonly string[]; host?: Host }) {
  const { channels, host = spinHost, ...rest } = options;
  const consumer = createEventConsumer({ ...rest, host });
  return {
    async handleMessage(message: Uint8Array): Promise<void> {
      try {
        await consumer.handleMessage(message);
      } catch {
        // Logged by the consumer. Not rethrown: the event stays unmarked in the log, and the
        // catch-up below (or after the next message) tries it again.
      } finally {
        const config = new Config(host.variables);
        await catchUp({
          db: host.openPostgres(config.dbConnection),
          redis: host.openRedis(config.redisAddress),
          channels,
          handle: (payload) => consumer.handleMessage(payload),
          log: createLogger({ level: config.logLevel, fields: { component: options.consumer } }),
        });
      }
    },
  };
}

/** A job worker bound to the Spin host: `export const inboundRedis = createJobWorker({...})` (see jobs.ts). */
export function createJobWorker(options: Omit<JobWorkerOptions, 'host'> & { host?: Host }) {
  void warmUpSnapshot();
  return createJobWorkerWithHost({ ...options, host: options.host ?? spinHost });
}
