#!/usr/bin/env bash
# A throwaway one-node Ceph cluster with its S3 gateway (RADOS Gateway, Debian bookworm's
# radosgw 16.2), all in one folder, for running the storage tests on a second S3 implementation
# (docs/decisions.md, Decision 13). Nothing is written outside the folder; no systemd, no disk:
# one monitor, one OSD whose object store is memory (memstore), one gateway on 127.0.0.1.
#
#   ceph-rgw.sh start DIR   starts it; writes DIR/env (MINIO_ENDPOINT, MINIO_ACCESS_KEY, MINIO_SECRET_KEY)
#   ceph-rgw.sh stop DIR    stops the daemons it started there and removes DIR
#
# The steps follow Ceph's manual deployment guide
# (https://docs.ceph.com/en/pacific/install/manual-deployment/) with memstore and one replica,
# as Ceph's own vstart.sh does for developers.
set -euo pipefail

ACCESS_KEY=AUTHORWORKSTEST
SECRET_KEY=authorworks-local-test-secret

free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }

start() {
  local D=$1
  for tool in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph-authtool ceph; do
    command -v "$tool" >/dev/null || { echo "ceph-rgw.sh: $tool is missing (apt-get install radosgw ceph-mon ceph-osd)" >&2; return 1; }
  done
  mkdir -p "$D"/{run,log,mon,osd,rgw}
  local fsid mon_port rgw_port osd_uuid
  fsid=$(cat /proc/sys/kernel/random/uuid)
  mon_port=$(free_port)
  rgw_port=$(free_port)
  cat >"$D/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
run dir = $D/run
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
log file = $D/log/\$name.log
keyring = $D/keyring
auth allow insecure global id reclaim = false
# One OSD: one copy of everything, few placement groups, no host to spread over.
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
# The monitor stops when its disk runs low (5 % by default); a test cluster should not.
mon data avail warn = 1
mon data avail crit = 0
mon data = $D/mon/\$cluster-\$id
osd data = $D/osd
osd objectstore = memstore
memstore device bytes = 4294967296
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $D/rgw
CONF
  local C=(-c "$D/ceph.conf")
  ceph-authtool --create-keyring "$D/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$D/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$D/keyring" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap osd 'allow *' --cap mgr 'allow profile osd' >/dev/null
  ceph-authtool "$D/keyring" --gen-key -n client.rgw --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$D/monmap" >/dev/null
  ceph-mon "${C[@]}" --mkfs -i a --monmap "$D/monmap" --keyring "$D/keyring"
  ceph-mon "${C[@]}" -i a
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  ceph "${C[@]}" osd new "$osd_uuid" >/dev/null
  ceph-osd "${C[@]}" -i 0 --mkfs --osd-uuid "$osd_uuid" 2>/dev/null
  ceph-osd "${C[@]}" -i 0 2>/dev/null
  radosgw "${C[@]}" -n client.rgw
  # The gateway answers once it has created its pools (about 10 s).
  local endpoint="http://127.0.0.1:$rgw_port"
  if ! ENDPOINT=$endpoint node -e '
    const until = Date.now() + 120_000;
    (async () => {
      while (Date.now() < until) {
        try { await fetch(process.env.ENDPOINT); return; } catch { await new Promise((r) => setTimeout(r, 500)); }
      }
      process.exit(1);
    })();'; then
    echo "ceph-rgw.sh: the gateway did not answer at $endpoint within 120 s; logs in $D/log" >&2
    tail -n 20 "$D"/log/*.log >&2
    return 1
  fi
  radosgw-admin "${C[@]}" user create --uid=authorworks --display-name=AuthorWorks --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null
  printf 'MINIO_ENDPOINT=%s\nMINIO_ACCESS_KEY=%s\nMINIO_SECRET_KEY=%s\n' "$endpoint" "$ACCESS_KEY" "$SECRET_KEY" >"$D/env"
}

stop() {
  local D=$1 pid
  # The gateway first, the monitor last: each stops cleanly while the ones it talks to are up.
  for name in client.rgw osd.0 mon.a; do
    [ -f "$D/run/$name.pid" ] || continue
    pid=$(cat "$D/run/$name.pid")
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$D"
}

case "${1:-}" in
  start) start "${2:?folder}" ;;
  stop) stop "${2:?folder}" ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
