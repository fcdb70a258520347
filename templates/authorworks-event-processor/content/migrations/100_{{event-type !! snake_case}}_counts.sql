-- How many {{event-type}} events each subject has had, and the latest one.
CREATE TABLE {{event-type | snake_case}}_counts (
  subject text PRIMARY KEY,
  count int8 NOT NULL,
  last_event_id text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
