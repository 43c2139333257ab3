#!/bin/sh
# s3rver.sh BUILD - the S3 server the replication tests run against:
# s3rver 3.7.1 from npm (docs/replication.md says what it does not check),
# installed once into BUILD/npm. Never fails the build: without npm or the
# registry, tests/cli_replica.sh reports its cases skipped and says why.
B=${1:-build}
bin="$B/npm/node_modules/.bin/s3rver"
[ -x "$bin" ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm \
            >/dev/null 2>&1
    fi
fi
command -v npm >/dev/null 2>&1 || { echo "s3rver: no npm; the replication tests will skip" >&2; exit 0; }
mkdir -p "$B/npm"
npm install --silent --no-audit --no-fund --prefix "$B/npm" s3rver@3.7.1 >"$B/npm/install.log" 2>&1 ||
    echo "s3rver: npm install failed (see $B/npm/install.log); the replication tests will skip" >&2
exit 0
