-- Notifications the event processor (src/worker.ts) makes from other services' events, the
-- preferences it honours, follows (for "a book by someone you follow was published"), and what it
-- remembers of invites to notify the right people when one is accepted.

CREATE TABLE notifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  type text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  link text,
  -- The event that caused it: one notification per person per event, however often it arrives.
  event_id text NOT NULL,
  read_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, event_id)
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id, created_at DESC, id DESC) WHERE read_at IS NULL;

-- A missing row means the defaults: in-app on, email off.
CREATE TABLE notification_preferences (
  user_id uuid NOT NULL,
  type text NOT NULL,
  in_app boolean NOT NULL,
  email boolean NOT NULL,
  PRIMARY KEY (user_id, type)
);

-- Notifications whose type the user wants by email, kept for a delivery that does not exist yet.
CREATE TABLE pending_emails (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  type text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  link text,
  event_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, event_id)
);

CREATE TABLE follows (
  follower_id uuid NOT NULL,
  followee_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (follower_id, followee_id),
  CHECK (follower_id <> followee_id)
);
CREATE INDEX follows_followee_idx ON follows (followee_id);

CREATE TABLE book_invites (
  invite_id uuid PRIMARY KEY,
  book_id uuid NOT NULL,
  book_title text NOT NULL,
  invited_by uuid NOT NULL
);
