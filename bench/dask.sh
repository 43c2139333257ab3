# dask.sh - sourced by the benchmarks that run Dask graphs: a scheduler and
# two single-threaded workers, each its own process on loopback, their pids
# in $T/*.pid (the caller's trap kills them) and the scheduler's address in
# $T/sched.json.
dask-scheduler --host 127.0.0.1 --port 0 --dashboard-address :0 --no-show \
    --scheduler-file "$T/sched.json" >"$T/sched.log" 2>&1 &
echo $! >"$T/sched.pid"
while [ ! -s "$T/sched.json" ]; do sleep 0.05; done
for w in 1 2; do
    dask-worker --scheduler-file "$T/sched.json" --nthreads 1 --no-nanny --host 127.0.0.1 \
        --dashboard-address :0 >"$T/w$w.log" 2>&1 &
    echo $! >"$T/w$w.pid"
done
