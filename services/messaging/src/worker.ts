// messaging-worker: the messaging event processor, a Redis-triggered component on user-events,
// content-events, editor-events, storage-events and media-events (see spin.toml). It turns other
// services' events into notifications and keeps book conversations' members equal to the books'
// people (event-handlers.ts). Event ids already seen are skipped (idempotency 'postgres': the
// processed_events mark commits with the handler's writes); events of other types are ignored;
// messages that are not envelopes, or whose data does not match, are logged and dropped.
// After every message it also catches up from the channels' event logs (catch-up.ts): whatever
// it missed while down or failing is handled then.
import { Config, createLogger } from '@authorworks/kit';
import { createEventConsumer, spinHost } from '@authorworks/kit/spin';
import { catchUp } from './catch-up.ts';
import { CONSUMED_CHANNELS, eventHandlers } from './event-handlers.ts';

const consumer = createEventConsumer({
  consumer: 'messaging-worker',
  idempotency: 'postgres',
  handlers: eventHandlers,
});

export const inboundRedis = {
  async handleMessage(message: Uint8Array): Promise<void> {
    try {
      await consumer.handleMessage(message);
    } catch {
      // Logged by the consumer. Not rethrown: the event stays unmarked in the log, and the
      // catch-up below (or after the next message) tries it again.
    } finally {
      const config = new Config(spinHost.variables);
      await catchUp({
        db: spinHost.openPostgres(config.dbConnection),
        redis: spinHost.openRedis(config.redisAddress),
        channels: CONSUMED_CHANNELS,
        handle: (payload) => consumer.handleMessage(payload),
        log: createLogger({ level: config.logLevel, fields: { component: 'messaging-worker' } }),
      });
    }
  },
};
