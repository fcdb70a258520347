#!/usr/bin/env bash
# The storage service's tests and spin-local's object-storage tests on a second, independent S3
# implementation: Ceph's RADOS Gateway (Debian's radosgw), started here on free ports and reached
# through MINIO_ENDPOINT / MINIO_ACCESS_KEY / MINIO_SECRET_KEY as any real server would be
# (docs/decisions.md, Decision 13; services/storage/README.md). CI runs it (.ci/run); so can you:
#
#   tests/s3-second/run.sh [more vitest arguments]
#
# Installs radosgw, ceph-mon and ceph-osd from Debian's packages when missing (as root), builds
# what is stale, runs the tests with embedded PostgreSQL and Redis unless DB_CONNECTION /
# REDIS_ADDRESS say otherwise, and stops the cluster whatever the outcome. Exits as vitest does.
set -euo pipefail
cd "$(dirname "$0")/../.."
PNPM="npx --yes pnpm@10.34.8"

if ! command -v radosgw >/dev/null || ! command -v ceph-osd >/dev/null || ! command -v ceph-mon >/dev/null; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "tests/s3-second: radosgw, ceph-mon and ceph-osd are not installed and cannot be here (not root or no apt-get):" >&2
    echo "  apt-get install --no-install-recommends radosgw ceph-mon ceph-osd" >&2
    exit 1
  fi
  echo "tests/s3-second: installing radosgw, ceph-mon and ceph-osd from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd >/dev/null
fi

$PNPM build --quiet

CLUSTER="$(mktemp -d)"
trap 'tests/s3-second/ceph-rgw.sh stop "$CLUSTER"' EXIT
started=$SECONDS
tests/s3-second/ceph-rgw.sh start "$CLUSTER"
set -a
. "$CLUSTER/env"
set +a
echo "tests/s3-second: Ceph RADOS Gateway $(radosgw --version | awk '{print $3}') at $MINIO_ENDPOINT (up in $((SECONDS - started)) s)"

# The filters pick the storage service's files and, of spin-local's, object-storage.test.ts.
$PNPM exec vitest run --project service-storage --project spin-local services/storage packages/spin-local/src/object-storage.test.ts "$@"
