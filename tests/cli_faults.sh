#!/bin/sh
# Beyond kill -9, as SQLite tests: an I/O error injected at every write,
# fsync, truncate, rename and unlink of the log, the checkpoints and the
# store (tests/faults/faultfs.c, preloaded), and a power loss at each of
# those points that drops every byte and directory entry not yet made
# durable. After each trial the space must reopen with no option and hold
# every acknowledged change (tests/faults/driver.c). Prints the number of
# injection points and trials.
. tests/lib.sh "$@"

FS="$B/libfaultfs.so"
DRV="$B/faultdrv"
N=${PS_FAULT_ATOMS:-60}

# the sanitizer builds' runtime must come first in the preload list; there
# every trial costs ten times as much, so the workload is smaller
san=$(san_preload "$DRV")
[ -z "$san" ] || N=${PS_FAULT_ATOMS:-25}

# trial KIND K: one run failing at point K, then the check
trial() {
    rm -rf "$T/sp" "$T/sp.faultbak"
    mkdir -p "$T/sp"
    PS_FAULT_ROOT="$T/sp" PS_FAULT_AT=$2 PS_FAULT_KIND=$1 PS_FAULT_ERRNO=${3:-eio} \
        LD_PRELOAD="$san$FS" "$DRV" run "$T/sp" $N >"$T/acks" 2>"$T/run.err"
    rc=$?
    case $1:$rc in
    eio:0 | eio:3 | crash:77) ;;
    crash:0) [ "$2" -gt "$points" ] || { echo "point $2: the power loss never came"; return 1; } ;;
    *) echo "$1 at point $2: the run exited $rc: $(cat "$T/run.err")"; return 1 ;;
    esac
    if ! "$DRV" check "$T/sp" "$T/acks" 2>"$T/check.err"; then
        echo "$1 at point $2 ($(wc -l <"$T/acks") acknowledged): $(head -n 3 "$T/check.err")"
        return 1
    fi
}

# counting the points of a clean run
count_points() {
    rm -rf "$T/sp"
    mkdir -p "$T/sp"
    PS_FAULT_ROOT="$T/sp" PS_FAULT_COUNT="$T/count" LD_PRELOAD="$san$FS" \
        "$DRV" run "$T/sp" $N >"$T/acks" || fail "the clean run failed"
    points=$(cat "$T/count")
    [ "$points" -gt 30 ] || fail "only $points injection points: is the library preloaded?"
}

every_point() { # KIND [ERRNO]
    count_points
    bad=0
    k=1
    while [ $k -le $points ]; do
        trial "$1" $k "${2:-}" || bad=$((bad + 1))
        [ $bad -lt 5 ] || break
        k=$((k + 1))
    done
    echo "$1${2:+ ($2)}: $points injection points, $((k - 1)) trials, $bad failed"
    [ $bad -eq 0 ] || fail "$bad trials lost acknowledged changes or did not reopen"
}

# the harness bites: a space that acknowledges before it syncs
# (PS_FAULT_NOSYNC) loses changes to a power loss, and the check says so
bites() {
    count_points
    lost=0
    for k in 20 40 60 80; do
        PS_FAULT_NOSYNC=1 trial crash $k >/dev/null || lost=$((lost + 1))
    done
    [ $lost -gt 0 ] || fail "no power loss hurt a space that never syncs"
}

eio() { every_point eio; }
enospc() { every_point eio enospc; }
power_loss() { every_point crash; }

tcase bites bites
tcase eio eio
tcase enospc enospc
tcase power_loss power_loss
finish
