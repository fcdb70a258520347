// messaging-worker: the messaging event processor, a Redis-triggered component on user-events,
// content-events, editor-events, storage-events and media-events (see spin.toml). It turns other
// services' events into notifications and keeps book conversations' members equal to the books'
// people (event-handlers.ts). Event ids already seen are skipped (idempotency 'postgres': the
// processed_events mark commits with the handler's writes); events of other types are ignored;
// messages that are not envelopes, or whose data does not match, are logged and dropped.
// After every message it also catches up from the channels' event logs (the kit's
// createCatchingUpConsumer, catch-up.ts): whatever it missed while down or failing is handled then.
import { createCatchingUpConsumer } from '@authorworks/kit/spin';
import { CONSUMED_CHANNELS, eventHandlers } from './event-handlers.ts';

export const inboundRedis = createCatchingUpConsumer({
  consumer: 'messaging-worker',
  idempotency: 'postgres',
  handlers: eventHandlers,
  channels: CONSUMED_CHANNELS,
});
