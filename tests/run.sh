#!/bin/sh
# run.sh BUILD - run the unit tests, replay every fuzz target on its corpus
# (plus seeded random inputs), and the CLI tests; print one closing line
# "total: N passed, N failed" and exit non-zero if anything failed.
B=${1:-build}
pass=0
fail=0

# Unit tests: the runner prints "N passed, N failed" as its last line.
out=$("$B/run_tests" ${PS_TEST_SEED:+--seed "$PS_TEST_SEED"} 2>&1)
rc=$?
printf '%s\n' "$out"
line=$(printf '%s\n' "$out" | tail -n 1)
p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
f=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -z "$p" ]; then p=0; f=1; echo "run_tests: no summary (exit $rc)"; fi
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
pass=$((pass + p)); fail=$((fail + f))

# Fuzz targets, replayed without clang (a crash or sanitizer report fails).
for r in "$B"/replay_*; do
    [ -x "$r" ] || continue
    name=${r##*/replay_}
    if "$r" "fuzz/corpus/$name" tests/golden 2>&1 | tail -n 1; then
        pass=$((pass + 1))
    else
        echo "FAIL replay $name"; fail=$((fail + 1))
    fi
done

# CLI tests (shell), if present.
for t in tests/cli_*.sh; do
    [ -f "$t" ] || continue
    if sh "$t" "$B" >"$B/${t##*/}.log" 2>&1; then
        echo "ok   ${t##*/}"; pass=$((pass + 1))
    else
        echo "FAIL ${t##*/}"; sed 's/^/     /' "$B/${t##*/}.log" | tail -n 20; fail=$((fail + 1))
    fi
done

echo "total: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
