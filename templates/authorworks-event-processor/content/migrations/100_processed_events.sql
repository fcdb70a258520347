-- Event ids the processor has handled: the kit's `idempotency: 'postgres'` inserts one row per event
-- in the same transaction as the handler's writes (PROCESSED_EVENTS_SQL in @authorworks/kit).
-- Numbered from 100 so that `spin add` into a service whose own migrations start at 001 does not
-- collide with them.
CREATE TABLE IF NOT EXISTS processed_events (
  consumer text NOT NULL,
  event_id text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
