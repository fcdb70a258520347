-- Accounts, their profile fields, refresh tokens and preferences (database authorworks_users).
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Lower-cased by the service, so uniqueness is case-insensitive.
  email text NOT NULL,
  username text NOT NULL,
  display_name text NOT NULL,
  -- NULL for accounts provisioned through Authelia, which never log in with a password here.
  password_hash text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  roles text[] NOT NULL DEFAULT ARRAY['user']::text[],
  bio text NOT NULL DEFAULT '',
  avatar_file_id uuid,
  website text,
  location text NOT NULL DEFAULT '',
  -- The Authelia user name (Remote-User) this account is linked to, if any.
  authelia_username text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz,
  CONSTRAINT users_email_key UNIQUE (email),
  CONSTRAINT users_username_key UNIQUE (username),
  CONSTRAINT users_authelia_username_key UNIQUE (authelia_username)
);
CREATE INDEX users_created_at_idx ON users (created_at DESC, id DESC);
CREATE INDEX users_status_idx ON users (status);

-- One row per issued refresh token. Tokens of one login (one device) share a family; using a
-- token marks it used and issues the next; presenting a used token again revokes the family.
CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  family_id uuid NOT NULL,
  -- SHA-256 (hex) of the token: a database leak does not hand out sessions.
  token_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz,
  CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE preferences (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key text NOT NULL,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);
