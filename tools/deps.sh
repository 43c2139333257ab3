#!/bin/sh
# deps.sh PKG... - install the Debian packages pathspace needs, if missing.
# As root: apt-get update + install (non-interactive). Otherwise: print the
# exact command and fail, so nothing half-builds. On a system without dpkg
# it says what to provide and lets the build go on.
set -u
if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps: not a Debian system; make sure these (or their equivalents) are installed: $*" >&2
    exit 0
fi
missing=""
for p in "$@"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
    case "$st" in *" installed") ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null
    exit $?
fi
echo "deps: missing Debian packages. Run:" >&2
echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
exit 1
