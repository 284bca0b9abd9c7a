#!/usr/bin/env bash
# A one-node Ceph cluster serving S3 on loopback, for the remote tests: one monitor, one memstore OSD,
# one RADOS Gateway, authentication off, pool size 1. Everything lives under one directory; the
# daemons' PIDs are recorded there, and `stop` stops exactly those.
#   test/s3/ceph.sh install         apt-get the daemons if they are missing (root; ~5 minutes the first time)
#   test/s3/ceph.sh start DIR       start the cluster; prints the environment the tests read
#   test/s3/ceph.sh stop DIR        stop the daemons this script started in DIR, and remove DIR
set -euo pipefail

MON_PORT=${STORE_S3_MON_PORT:-16789}
MON_V2_PORT=${STORE_S3_MON_V2_PORT:-13300}
RGW_PORT=${STORE_S3_PORT:-17480}
ACCESS_KEY=storetestaccesskey
SECRET_KEY=storetestsecretkeystoretestsecretkey

install() {
  if command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null && command -v radosgw-admin >/dev/null; then return; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd ceph-common >/dev/null
}

start() {
  local dir=$1
  rm -rf "$dir"
  mkdir -p "$dir/run" "$dir/log" "$dir/mon" "$dir/osd0" "$dir/rgw"
  local fsid
  fsid=$(cat /proc/sys/kernel/random/uuid)
  cat >"$dir/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$MON_V2_PORT,v1:127.0.0.1:$MON_PORT]
mon initial members = a
ms bind ipv4 = true
ms bind ipv6 = false
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
mon max pg per osd = 1000
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd objectstore = memstore
memstore device bytes = ${STORE_S3_MEMSTORE_BYTES:-4294967296}
run dir = $dir/run
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
setuser match path = $dir
client mount timeout = 30
[mon]
mon data = $dir/mon
[osd]
osd data = $dir/osd\$id
osd journal = $dir/osd\$id/journal
[client.rgw.store]
ms mon client mode = crc
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $dir/rgw
rgw dns name = localhost
CONF
  local conf=(-c "$dir/ceph.conf")
  monmaptool --create --addv a "[v2:127.0.0.1:$MON_V2_PORT,v1:127.0.0.1:$MON_PORT]" --fsid "$fsid" "$dir/monmap" >/dev/null
  ceph-mon "${conf[@]}" --mkfs -i a --monmap "$dir/monmap" >/dev/null
  ceph-mon "${conf[@]}" -i a
  ceph "${conf[@]}" osd create >/dev/null
  ceph-osd "${conf[@]}" -i 0 --mkfs >/dev/null 2>&1
  ceph-osd "${conf[@]}" -i 0
  radosgw "${conf[@]}" -n client.rgw.store
  # The gateway answers once it has made its pools and joined the cluster.
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$RGW_PORT/" >/dev/null 2>&1; then break; fi
    sleep 0.5
  done
  curl -fsS "http://127.0.0.1:$RGW_PORT/" >/dev/null
  radosgw-admin "${conf[@]}" user create --uid=store-test --display-name=store-test \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null
  echo "STORE_TEST_S3_ENDPOINT=http://127.0.0.1:$RGW_PORT"
  echo "AWS_ACCESS_KEY_ID=$ACCESS_KEY"
  echo "AWS_SECRET_ACCESS_KEY=$SECRET_KEY"
}

stop() {
  local dir=$1
  for name in client.rgw.store osd.0 mon.a; do
    local pidfile="$dir/run/$name.pid"
    [ -f "$pidfile" ] || continue
    local pid
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}

case "${1:-}" in
  install) install ;;
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) echo "usage: $0 install | start DIR | stop DIR" >&2; exit 2 ;;
esac
