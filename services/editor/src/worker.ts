// editor-worker: the editor's event processor, a Redis-triggered component on content-events (see
// spin.toml). A chapter or book deleted in the content service loses its live documents here
// (event-handlers.ts). Event ids already seen are skipped (idempotency 'postgres': the
// processed_events mark commits with the deletion); events of other types are ignored; messages
// that are not envelopes, or whose data does not match, are logged and dropped.
// After every message it also catches up from the channel's event log (the kit's
// createCatchingUpConsumer, catch-up.ts): a deletion it missed while down or failing is handled
// then, with no admin call.
import { createCatchingUpConsumer } from '@authorworks/kit/spin';
import { CONSUMED_CHANNELS, eventHandlers } from './event-handlers.ts';

export const inboundRedis = createCatchingUpConsumer({
  consumer: 'editor-worker',
  idempotency: 'postgres',
  handlers: eventHandlers,
  channels: CONSUMED_CHANNELS,
});
