#!/bin/sh
# ceph.sh start DIR RGWPORT KEY SECRET BUCKET - a one-node Ceph cluster under
# DIR on loopback: a monitor, one OSD on memstore (512 MiB, in memory),
# radosgw on RGWPORT (Debian's ceph 16.2), a user with KEY and SECRET, and
# BUCKET. No cephx between the daemons: nothing leaves loopback; the S3
# requests are signed and checked as on any radosgw.
# ceph.sh rgw DIR: radosgw again (after a test stopped it).
# ceph.sh stop DIR: every daemon of DIR.
set -eu
cmd=$1 D=$2
C="$D/ceph.conf"
if [ "$cmd" = stop ]; then
    for f in "$D"/run/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
    exit 0
fi
if [ "$cmd" = rgw ]; then
    radosgw -c "$C" -n client.rgw
    exit 0
fi
RGW=$3 KEY=$4 SECRET=$5 BUCKET=$6
# a step that fails says which, with the daemons' last words
step=setup
trap 'rc=$?; [ $rc = 0 ] || { echo "ceph.sh: $step failed (exit $rc)" >&2;
      tail -n 3 "$D"/log/*.log "$D"/log/*.err 2>/dev/null >&2; }' EXIT
MON=$(python3 "$(dirname "$0")/freeport.py")
mkdir -p "$D/mon" "$D/osd" "$D/run" "$D/log" "$D/rgw"
FSID=$(python3 -c 'import uuid; print(uuid.uuid4())')
C="$D/ceph.conf"
cat >"$C" <<EOC
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MON
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
ms bind msgr2 = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
run dir = $D/run
log file = $D/log/\$name.log
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
keyring = $D/keyring
[mon]
mon data = $D/mon
mon cluster log file = $D/log/cluster.log
[osd]
osd data = $D/osd
osd objectstore = memstore
memstore device bytes = 536870912
osd max object name len = 256
osd max object namespace len = 64
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$RGW
rgw data = $D/rgw
EOC
step=monmaptool
monmaptool --create --add a "v1:127.0.0.1:$MON" --fsid "$FSID" "$D/monmap" >/dev/null
step="the monitor's mkfs"
ceph-mon -c "$C" --mkfs -i a --monmap "$D/monmap" 2>>"$D/log/mon.err"
step="the monitor"
ceph-mon -c "$C" -i a
# the monitor answers commands a moment after it starts: each is tried again
cephc() {
    n=0
    until ceph -c "$C" "$@" >/dev/null 2>>"$D/log/cli.err"; do
        n=$((n + 1))
        [ $n -gt 150 ] && { echo "ceph.sh: ceph $*: $(tail -1 "$D/log/cli.err")" >&2; exit 1; }
        sleep 0.2
    done
}
cephc osd create
step="the OSD's mkfs"
ceph-osd -c "$C" -i 0 --mkfs 2>"$D/log/osd-mkfs.err" >/dev/null
cephc osd crush add-bucket node host
cephc osd crush move node root=default
cephc osd crush add osd.0 1.0 host=node
step="the OSD"
ceph-osd -c "$C" -i 0 2>>"$D/log/osd.err"
step=radosgw
radosgw -c "$C" -n client.rgw
step="the user"
n=0
until radosgw-admin -c "$C" user create --uid=pathspace --display-name=pathspace \
    --access-key="$KEY" --secret-key="$SECRET" >/dev/null 2>>"$D/log/cli.err"; do
    n=$((n + 1))
    [ $n -gt 150 ] && { echo "ceph.sh: radosgw-admin: $(tail -1 "$D/log/cli.err")" >&2; exit 1; }
    sleep 0.2
done
E=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 # the empty body's SHA-256
i=0
until curl -sf -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "$KEY:$SECRET" \
    -H "x-amz-content-sha256: $E" -X PUT "http://127.0.0.1:$RGW/$BUCKET"; do
    i=$((i + 1))
    [ $i -gt 300 ] && { echo "ceph.sh: radosgw does not make $BUCKET" >&2; exit 1; }
    sleep 0.1
done
