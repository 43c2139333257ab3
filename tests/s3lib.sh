# s3lib.sh - an S3 server on loopback for the tests that need one
# (sourced after tests/lib.sh): s3rver from npm by default, or Ceph's
# radosgw on a one-node cluster with PS_S3=ceph (make check-ceph). Its
# bucket is pskb. A test's cleanup stops it: kill $S3PID, and
# tools/ceph.sh stop "$T/ceph" when that exists.

# The S3 server: s3rver (npm) by default; PS_S3=ceph runs every case against
# Ceph's radosgw on a one-node cluster instead (make check-ceph).
KIND=${PS_S3:-s3rver}
S3=${PS_S3RVER:-$B/npm/node_modules/.bin/s3rver}
if [ "$KIND" = ceph ]; then
    export AWS_ACCESS_KEY_ID=PSTESTKEY AWS_SECRET_ACCESS_KEY=PSTESTSECRET AWS_REGION=us-east-1
else
    export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
fi
unset AWS_SESSION_TOKEN AWS_PROFILE

s3_ready() {
    i=0
    until curl -s -o /dev/null "$PATHSPACE_S3_ENDPOINT/"; do
        i=$((i + 1))
        [ $i -gt 200 ] && fail "the S3 server did not start: $(cat "$T/s3.log" 2>/dev/null)"
        sleep 0.05
    done
}

# s3_start [PORT]: the S3 server with bucket pskb, on PORT (or a free one);
# again after s3_stop: the same bucket, its objects kept
s3_start() {
    S3PORT=${1:-$(free_port)}
    export PATHSPACE_S3_ENDPOINT="http://127.0.0.1:$S3PORT"
    if [ "$KIND" = ceph ]; then
        command -v radosgw >/dev/null || skip "needs radosgw, ceph-mon and ceph-osd (make check-ceph installs them)"
        if [ -d "$T/ceph" ]; then
            sh tools/ceph.sh rgw "$T/ceph"
        else # a cluster that does not come up is made again, twice at most
            n=0
            until sh tools/ceph.sh start "$T/ceph" "$S3PORT" "$AWS_ACCESS_KEY_ID" \
                "$AWS_SECRET_ACCESS_KEY" pskb >>"$T/s3.log" 2>&1; do
                n=$((n + 1))
                [ $n -gt 2 ] && fail "ceph: $(cat "$T/s3.log")"
                sh tools/ceph.sh stop "$T/ceph"
                rm -rf "$T/ceph"
                S3PORT=$(free_port)
                export PATHSPACE_S3_ENDPOINT="http://127.0.0.1:$S3PORT"
            done
        fi
        s3_ready
        return
    fi
    [ -x "$S3" ] || skip "needs s3rver (tools/s3rver.sh installs it from npm)"
    mkdir -p "$T/s3"
    "$S3" -d "$T/s3" -a 127.0.0.1 -p "$S3PORT" --configure-bucket pskb --silent >>"$T/s3.log" 2>&1 &
    S3PID=$!
    s3_ready
}
s3_stop() {
    if [ "$KIND" = ceph ]; then
        kill "$(cat "$T/ceph/run/client.rgw.pid")" 2>/dev/null
        i=0
        while curl -s -o /dev/null "$PATHSPACE_S3_ENDPOINT/" && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.05; done
        return 0
    fi
    kill "$S3PID" 2>/dev/null; wait "$S3PID" 2>/dev/null || true
}

# signed requests as the tests' user: s3req METHOD KEY [FILE]
s3req() {
    curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
        -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X "$1" ${3:+--data-binary @"$3"} \
        "$PATHSPACE_S3_ENDPOINT/pskb/$2"
}
# the keys under a prefix, one a line (ListObjectsV2)
s3keys() { # (the prefix's slashes escaped: a signed query is canonical)
    s3req GET "?list-type=2&prefix=$(printf %s "$1" | sed 's|/|%2F|g')" | grep -o '<Key>[^<]*</Key>' | sed 's/<Key>\(.*\)<\/Key>/\1/'
}

