#!/bin/sh
# fresh-clone.sh - what a new user gets: the repository cloned alone into an
# empty temporary directory (no ../shared beside it), then the README's two
# commands there. It checks the committed HEAD, not the working tree.
set -eu
root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q --no-hardlinks "$root" "$tmp/pathspace"
cd "$tmp/pathspace"
[ ! -e ../shared ] || { echo "fresh-clone: ../shared exists beside the clone" >&2; exit 1; }
echo "fresh-clone: $(git log -1 --format='%h %s') in $tmp/pathspace, no ../shared"
# a make started here must not join the jobserver of a make that called us
unset MAKEFLAGS MFLAGS MAKELEVEL
make check
# CI's clone shows that the demo runs; its 10M-atom scale is for people
PS_DEMO_ATOMS=${PS_DEMO_ATOMS:-1000000} make demo
echo "fresh-clone: make check and make demo pass on a fresh clone"
