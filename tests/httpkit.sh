# httpkit.sh - starting a server with --http and asking it with curl, for
# the tests/cli_*.sh that speak HTTP (sourced after tests/lib.sh). Every
# server listens on ports the kernel picks and is killed when the case ends.
SPID=""
start_http() { # DIR [serve options]: file:// may use $T/f
    mkdir -p "$T/f"
    start_bare "$@" --http-files "$T/f"
}
start_bare() { # DIR [serve options]: no file:// (the default)
    dir=$1
    shift
    rm -f "$T/port" "$T/hport"
    "$P" serve "$dir" --port 0 --port-file "$T/port" --http 0 --http-port-file "$T/hport" \
        --quiet "$@" 2>>"$T/serve.log" &
    SPID=$!
    trap 'kill -9 $SPID 2>/dev/null || true; rm -rf "$T"' EXIT
    wait_file "$T/hport" $SPID "$T/serve.log"
    U="http://127.0.0.1:$(cat "$T/hport")"
}
stop_http() {
    kill -TERM $SPID
    wait $SPID || fail "serve exited $? after SIGTERM: $(cat "$T/serve.log")"
}
# get PATH / post PATH DATA: the body in $T/body, the status code in $CODE
get() {
    p=$1
    shift
    CODE=$(curl -s -o "$T/body" -w '%{http_code}' "$@" "$U$p" 2>/dev/null) || true
}
post() {
    p=$1
    shift
    CODE=$(curl -s -o "$T/body" -w '%{http_code}' -X POST --data-binary "$@" "$U$p") || true
}
body() { cat "$T/body"; }
expect() { # CODE [BODY]: the last request's
    [ "$CODE" = "$1" ] || fail "expected $1, got $CODE: $(body)"
    [ $# -lt 2 ] || [ "$(body)" = "$2" ] || fail "expected body '$2', got '$(body)'"
}
# waits until /status/EXPR says something other than a temporary status
settle() {
    i=0
    while :; do
        get "/status/$1"
        case $(body) in *Temporary*) ;; *) return 0 ;; esac
        i=$((i + 1))
        [ $i -gt 600 ] && fail "status of $1 stays $(body)"
        sleep 0.05
    done
}

