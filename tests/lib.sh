# lib.sh - the common start of every tests/cli_*.sh, sourced as `. tests/lib.sh "$@"`.
#
# Gives B (build dir, $1), P (the CLI), D (the real data in ../shared/data),
# E (the project's own examples), T (a temp dir removed on exit), and:
#   tcase NAME FUNCTION   run one case; its output is shown only if it fails
#   fail MESSAGE          fail the case
#   skip REASON           skip the case, saying why
#   need_data FILE...     skip unless these real files are in $D
#   gen_file N SEED OUT   N generated atoms as MeTTa text
#   wait_file F PID LOG   wait for a started server's port file
#   wait_gone PID         wait for a process to end
#   finish                print "N passed, N failed, N skipped"; exit 1 on a failure
#
# Each case runs as its own process (the script again, with --only NAME)
# under `timeout`, with `set -eu`: a failing command fails that case alone, a
# hang is killed after PS_TEST_TIMEOUT seconds (default 300), and the other
# cases still run.
B=${1:-build}
P="$B/pathspace"
D=${PS_DATA:-../shared/data}
E=examples
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ONLY=""
[ "${2:-}" = "--only" ] && ONLY=${3:-}
TMO=${PS_TEST_TIMEOUT:-300}
npass=0
nfail=0
nskip=0
set +e

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "$*"; exit 77; }
need_data() {
    for f in "$@"; do
        [ -r "$D/$f" ] || skip "needs $D/$f, which is not here (real data sits beside a checkout in ../shared)"
    done
}
# free_port: a port for a server that must know it before it starts
# (tools/freeport.py: below the ephemeral range, which clients draw from)
free_port() { python3 tools/freeport.py; }
gen_file() { "$P" gen --atoms "$1" --seed "$2" -o "$3"; }
# 1 when the build under test runs under a sanitizer (make asan/ubsan): big
# workloads shrink there, what they check stays
sanitized() { LD_PRELOAD= ldd "$B/pathspace" 2>/dev/null | grep -qE 'libasan|libubsan|libtsan|libclang_rt'; }
# san_preload FILE: the sanitizer runtimes FILE links (GCC's libasan or
# libubsan, LLVM's libclang_rt.asan), as LD_PRELOAD takes them ("a:b:"); a
# program not built with them (Python) needs them loaded first
san_preload() { LD_PRELOAD= ldd "$1" 2>/dev/null | awk '/libasan|libubsan|libclang_rt/ { printf "%s:", $3 }'; }
# wait_file FILE PID LOG: until a server (PID, logging to LOG) wrote FILE,
# its port; fails if it dies or takes 10 s
wait_file() {
    i=0
    while [ ! -s "$1" ]; do
        i=$((i + 1))
        [ $i -gt 200 ] && fail "the server did not start: $(cat "$3")"
        kill -0 "$2" 2>/dev/null || fail "the server died: $(cat "$3")"
        sleep 0.05
    done
}

# wait_gone PID: until the process is gone; fails after 20 s
wait_gone() {
    i=0
    while kill -0 "$1" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt 400 ] && fail "process $1 did not stop"
        sleep 0.05
    done
}

tcase() {
    if [ -n "$ONLY" ]; then
        if [ "$1" = "$ONLY" ]; then
            set -eu
            "$2"
            exit 0
        fi
        return 0
    fi
    log="$T/case-$1.log"
    timeout -k 5 "$TMO" sh "$0" "$B" --only "$1" >"$log" 2>&1
    rc=$?
    case $rc in
    0) echo "ok   $1"; npass=$((npass + 1)) ;;
    77) echo "skip $1: $(tail -n 1 "$log")"; nskip=$((nskip + 1)) ;;
    124 | 137) echo "FAIL $1: timed out after $TMO s"; nfail=$((nfail + 1)) ;;
    *) echo "FAIL $1 (exit $rc)"; sed 's/^/     /' "$log" | tail -n 25; nfail=$((nfail + 1)) ;;
    esac
}

finish() {
    [ -n "$ONLY" ] && { echo "no case named $ONLY"; exit 2; }
    echo "$npass passed, $nfail failed, $nskip skipped"
    [ "$nfail" -eq 0 ]
}
