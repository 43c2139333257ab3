# lib.sh - the common start of every tests/cli_*.sh, sourced as `. tests/lib.sh "$@"`:
# B (build dir, $1), P (the CLI), D (shared data), T (a temp dir removed on exit), fail.
B=${1:-build}
P="$B/pathspace"
D=../shared/data
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
