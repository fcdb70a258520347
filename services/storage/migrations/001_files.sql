-- Files, their versions (each one object in the bucket), grants and per-user quotas.
-- A version is `pending` from the moment its bytes are accepted (quota reserved, object key
-- chosen) until the object is verified; a pending version past `expires_at` is an upload that
-- never finished, and the sweep (sweep.ts) deletes its object and its row.
CREATE TABLE files (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id uuid NOT NULL,
  filename text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
  access text NOT NULL DEFAULT 'private' CHECK (access IN ('private', 'public')),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'available', 'deleted')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_owner_idx ON files (owner_id, created_at DESC, id DESC);

CREATE TABLE file_versions (
  file_id uuid NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  version integer NOT NULL CHECK (version >= 1),
  owner_id uuid NOT NULL,
  object_key text NOT NULL UNIQUE,
  size bigint NOT NULL CHECK (size >= 0),
  sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  content_type text NOT NULL,
  declared_type text,
  status text NOT NULL CHECK (status IN ('pending', 'available')),
  expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (file_id, version)
);
CREATE INDEX file_versions_pending_idx ON file_versions (expires_at) WHERE status = 'pending';
CREATE INDEX file_versions_owner_idx ON file_versions (owner_id);

CREATE TABLE grants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  file_id uuid NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  grantee_id uuid NOT NULL,
  permission text NOT NULL CHECK (permission IN ('read', 'write')),
  expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (file_id, grantee_id)
);
CREATE INDEX grants_grantee_idx ON grants (grantee_id);

-- Bytes held by each user: every version's size, pending ones included (a reservation). Changed
-- only by a conditional UPDATE in the transaction that adds or removes versions, so two
-- uploads racing for the last bytes cannot both pass.
CREATE TABLE quotas (
  owner_id uuid PRIMARY KEY,
  used_bytes bigint NOT NULL DEFAULT 0 CHECK (used_bytes >= 0)
);
