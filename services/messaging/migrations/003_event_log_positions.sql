-- How far the event processor has read each channel's event log (the kit's event-log.ts): after
-- every message it handles what the log holds beyond this position, so events whose pub/sub
-- message it missed (down, restarting, or failing) are handled late rather than never.
CREATE TABLE event_log_positions (
  channel text PRIMARY KEY,
  ms bigint NOT NULL,
  seq bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
