#!/bin/sh
# The test harness fails well: a case that crashes, hangs or fails a
# REQUIRE is reported by name, the cases after it still run, and the
# summary line is still printed; a skip says why. Both for the unit-test
# runner (each case in a child) and for these shell cases (lib.sh).
. tests/lib.sh "$@"

unit_runner() {
    R="$B/run_tests"
    PS_TEST_SELFTEST=crash "$R" harness > "$T/o" 2>&1 && fail "a crash passed"
    grep -q "^FAIL harness_selftest: crashed: signal 6" "$T/o" || fail "crash: $(cat "$T/o")"
    grep -q "^0 passed, 1 failed, 0 skipped$" "$T/o" || fail "crash summary: $(cat "$T/o")"
    PS_TEST_SELFTEST=segv "$R" harness > "$T/o" 2>&1 && fail "a segfault passed"
    grep -q "^FAIL harness_selftest" "$T/o" || fail "segv: $(cat "$T/o")"
    grep -q "^0 passed, 1 failed, 0 skipped$" "$T/o" || fail "segv summary: $(cat "$T/o")"
    PS_TEST_SELFTEST=hang PS_TEST_TIMEOUT=1 "$R" harness > "$T/o" 2>&1 && fail "a hang passed"
    grep -q "^FAIL harness_selftest: timed out after 1 s" "$T/o" || fail "hang: $(cat "$T/o")"
    PS_TEST_SELFTEST=require "$R" harness > "$T/o" 2>&1 && fail "a failed REQUIRE passed"
    grep -q "REQUIRE did not stop" "$T/o" && fail "REQUIRE went on"
    grep -q "^FAIL harness_selftest" "$T/o" || fail "require: $(cat "$T/o")"
    PS_TEST_SELFTEST=skip "$R" harness > "$T/o" 2>&1 || fail "a skip failed"
    grep -q "^skip harness_selftest: asked to skip" "$T/o" || fail "skip: $(cat "$T/o")"
    grep -q "^0 passed, 0 failed, 1 skipped$" "$T/o" || fail "skip summary"
    # a crash in the middle: the cases after it still run
    PS_TEST_SELFTEST=crash "$R" s > "$T/o" 2>&1 || true
    grep -q "^ok   strerror" "$T/o" && grep -q "^ok   opts_sizes" "$T/o" || fail "later cases"
}

shell_cases() {
    cat > "$T/t.sh" <<'EOS'
. tests/lib.sh "$@"
c_ok() { true; }
c_fail() { false; echo "set -e did not stop the case"; }
c_hang() { sleep 30; }
c_skip() { skip "nothing to do"; }
tcase c_ok c_ok
tcase c_fail c_fail
tcase c_hang c_hang
tcase c_skip c_skip
tcase c_after c_ok
finish
EOS
    PS_TEST_TIMEOUT=1 sh "$T/t.sh" "$B" > "$T/o" 2>&1 && fail "failures passed"
    grep -q "^FAIL c_fail" "$T/o" || fail "c_fail: $(cat "$T/o")"
    grep -q "did not stop" "$T/o" && fail "set -e"
    grep -q "^FAIL c_hang: timed out after 1 s" "$T/o" || fail "c_hang: $(cat "$T/o")"
    grep -q "^skip c_skip: nothing to do" "$T/o" || fail "c_skip"
    grep -q "^ok   c_after" "$T/o" || fail "c_after"
    grep -q "^2 passed, 2 failed, 1 skipped$" "$T/o" || fail "summary: $(cat "$T/o")"
}

tcase unit_runner unit_runner
tcase shell_cases shell_cases
finish
