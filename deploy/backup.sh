#!/bin/sh
# Backs up AuthorWorks on the home server: one pg_dump per service database (plus the roles), then
# a mirror of the MinIO bucket. Run from the repository folder on the server, with the stack up:
#   sh deploy/backup.sh [target-folder]        (default: backups/<UTC date and time>)
# Postgres goes first: every file record in the dump then has its object in the later mirror
# (objects written after the dump are at worst orphans, never missing).
# Restore: docs/deploy.md, "Backups".
set -eu

target="${1:-backups/$(date -u +%Y-%m-%dT%H%M%SZ)}"
mkdir -p "$target/postgres" "$target/minio"

databases="$(docker compose exec -T postgres psql -U postgres -d postgres -Atc \
  "SELECT datname FROM pg_database WHERE datname LIKE 'authorworks\_%' ORDER BY 1")"
for database in $databases; do
  echo "backup: postgres $database"
  docker compose exec -T postgres pg_dump -U postgres --format=custom "$database" > "$target/postgres/$database.dump"
done
# Roles (the authorworks role and its password hash), needed before restoring into a new server.
docker compose exec -T postgres pg_dumpall -U postgres --roles-only > "$target/postgres/roles.sql"

echo "backup: minio bucket"
# The minio-init service has the root credentials and the backend network; reuse its definition.
docker compose run --rm --no-deps -T -v "$(cd "$target/minio" && pwd):/backup" --entrypoint sh minio-init -c \
  'mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null &&
   mc mirror --overwrite --remove --quiet "local/$MINIO_BUCKET" "/backup/$MINIO_BUCKET"'

echo "backup: done in $target"
