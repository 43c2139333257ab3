#!/bin/sh
# demo.sh BUILD - the main job on a built-in default (see README).
set -e
B=${1:-build}
"$B/pathspace" version
PS_BENCH_QUICK=1 PS_BENCH_REPS=3 "$B/bench/bench_pool"
