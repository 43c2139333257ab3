#!/bin/sh
# run.sh BUILD - every test: the unit tests, every fuzz target replayed on
# its corpus (plus seeded random inputs), and the CLI tests. Each part ends
# with its own "N passed, N failed, N skipped" line; this script adds them
# up into one closing line,
#   total: N passed, N failed, N skipped
# and exits non-zero if anything failed. A part that dies without its
# summary counts as one failure, so nothing is hidden.
B=${1:-build}
pass=0
fail=0
skip=0

# add OUTPUT RC NAME: adds the summary line of one part's output
add() {
    line=$(printf '%s\n' "$1" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    if [ -z "$line" ]; then
        echo "FAIL $3: no summary (exit $2)"
        fail=$((fail + 1))
        return
    fi
    p=$(echo "$line" | sed 's/^\([0-9]*\) passed.*/\1/')
    f=$(echo "$line" | sed 's/.* \([0-9]*\) failed.*/\1/')
    s=$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
    [ "$2" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
}

# Unit tests (each case in a child with a time limit).
out=$("$B/run_tests" ${PS_TEST_SEED:+--seed "$PS_TEST_SEED"} 2>&1)
rc=$?
printf '%s\n' "$out"
add "$out" $rc run_tests

# Fuzz targets, replayed without clang (a crash or sanitizer report fails).
for r in "$B"/replay_*; do
    [ -x "$r" ] || continue
    name=${r##*/replay_}
    if out=$("$r" "fuzz/corpus/$name" tests/golden 2>&1); then
        printf '%s\n' "$out" | tail -n 1
        pass=$((pass + 1))
    else
        printf '%s\n' "$out" | tail -n 20
        echo "FAIL replay $name"
        fail=$((fail + 1))
    fi
done

# CLI tests (shell): each prints its cases and a summary line. They spend
# most of their time waiting on servers they start, so PS_TEST_JOBS of them
# (one per CPU) run at once; each one's output is kept and printed in order.
jobs=${PS_TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
out_dir=$(mktemp -d)
trap 'rm -rf "$out_dir"' EXIT
# the longest first, so that the last to finish is a short one
ls -S tests/cli_*.sh | while read -r t; do
    case $t in tests/cli_replica.sh|tests/cli_dask.sh|tests/cli_server.sh|tests/cli_harness.sh)
        echo "0 $t" ;; *) echo "1 $t" ;; esac
done | sort -s -k1,1 | cut -d' ' -f2 |
    B="$B" D="$out_dir" xargs -P "$jobs" -I{} sh -c 'n=${1##*/}; sh "$1" "$B" >"$D/$n.out" 2>&1; echo $? >"$D/$n.rc"' sh {}
for t in tests/cli_*.sh; do
    [ -f "$t" ] || continue
    n=${t##*/}
    echo "== $n"
    out=$(cat "$out_dir/$n.out" 2>/dev/null)
    rc=$(cat "$out_dir/$n.rc" 2>/dev/null || echo 1)
    printf '%s\n' "$out" | sed 's/^/   /'
    add "$out" "$rc" "$n"
done

echo "total: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
