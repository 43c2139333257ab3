#!/bin/sh
# cli_python.sh - the Python package (python/): its pytest suite against
# servers the suite starts itself (python/tests/conftest.py), and an
# offline install with pip. pytest's outcome is counted case by case.
. tests/lib.sh "$@"

PY=${PS_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3 || true)

# A sanitizer build's library needs its runtime first in a Python process
# (make asan, make ubsan): preloaded, the Python tests run under it too.
san=$(san_preload "$B/libpathspace.so")
if [ -n "$san" ] && [ -z "${LD_PRELOAD:-}" ]; then
    export LD_PRELOAD="$san"
    export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" # Python's own
fi

# Each pytest case counts as one case here (the summary line adds them up).
pytest_all() {
    if [ -z "$PY" ] || ! "$PY" -c 'import pytest' 2>/dev/null; then
        echo "skip pytest: needs Python 3 with pytest (make deps installs python3-pytest)"
        nskip=$((nskip + 1))
        return
    fi
    PS_BUILD=$(cd "$B" && pwd) PS_DATA=$(cd "$D" 2>/dev/null && pwd || echo "$D") \
        timeout -k 5 "$TMO" "$PY" -m pytest -q -rs -p no:cacheprovider python/tests \
        >"$T/pytest.log" 2>&1
    rc=$?
    last=$(grep -E '[0-9]+ (passed|failed|skipped|error)' "$T/pytest.log" | tail -n 1)
    n() { echo " $last" | sed -n "s/.*[^0-9]\([0-9][0-9]*\) $1.*/\1/p" | head -n 1; }
    p=$(n passed); f=$(n failed); s=$(n skipped); e=$(n error)
    p=${p:-0}; f=$((${f:-0} + ${e:-0})); s=${s:-0}
    [ $rc -ne 0 ] && [ $f -eq 0 ] && f=1
    grep -E '^SKIPPED' "$T/pytest.log" | sed 's/^/skip /'
    echo "ok   pytest: $p cases passed${s:+, $s skipped}"
    if [ $f -ne 0 ]; then
        echo "FAIL pytest: $f case(s) (exit $rc)"
        sed 's/^/     /' "$T/pytest.log" | tail -n 60
    fi
    npass=$((npass + p)); nfail=$((nfail + f)); nskip=$((nskip + s))
}

# pip install --no-build-isolation, from a copy (the build leaves files)
pip_install() {
    [ -n "$PY" ] && "$PY" -m pip --version >/dev/null 2>&1 ||
        skip "needs pip (make deps installs python3-pip)"
    cp -r python "$T/src"
    rm -rf "$T/src/tests"
    "$PY" -m pip install -q --no-build-isolation --no-deps --no-index --target "$T/site" \
        "$T/src" >"$T/pip.log" 2>&1 || { cat "$T/pip.log"; fail "pip install failed"; }
    out=$(cd "$T" && PYTHONPATH="$T/site" PATHSPACE_LIB="$(cd "$OLDPWD" && pwd)/$B/libpathspace.so" \
        "$PY" -c 'import pathspace; s = pathspace.Space(["(a $x)"]); print(pathspace.__file__, list(s))')
    case $out in
    "$T/site/pathspace/__init__.py ['(a \$a)']") ;;
    *) fail "the installed package: $out" ;;
    esac
}

# The wheel (make wheel) in a fresh venv, offline: it installs, imports
# its own copy of the library before any other, and pathspace.MORK
# imports with no library at all; when none is found, the error says what
# to do.
wheel_venv() {
    [ -n "$PY" ] && "$PY" -c 'import venv, ensurepip' 2>/dev/null ||
        skip "needs Python's venv and ensurepip (make deps installs python3-venv)"
    make -s wheel BUILD="$B" >"$T/wheel.log" 2>&1 || { cat "$T/wheel.log"; fail "make wheel"; }
    whl=$(ls "$B"/dist/pathspace-*-py3-none-linux_*.whl)
    "$PY" -m venv "$T/v" || fail "venv"
    env -u PYTHONPATH -u PATHSPACE_LIB "$T/v/bin/pip" install -q --no-index "$whl" \
        >"$T/pip.log" 2>&1 || { cat "$T/pip.log"; fail "pip install of the wheel"; }
    site=$("$T/v/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    cd "$T"
    out=$(env -u PYTHONPATH -u PATHSPACE_LIB LD_LIBRARY_PATH= "$T/v/bin/python" -c '
import pathspace, pathspace._lib as l
s = pathspace.Space(["(a $x)", "(b c)"])
print(len(s), l._Lazy._lib._name)')
    [ "$out" = "2 $site/pathspace/libpathspace.so.0" ] || fail "the installed wheel: $out"
    # pathspace.bucket loads the wheel's libpathspace-net: a bucket that
    # cannot be reached is an Error that says so, not a missing library
    out=$(env -u PYTHONPATH -u PATHSPACE_LIB LD_LIBRARY_PATH= PATHSPACE_S3_ENDPOINT=http://127.0.0.1:1 \
        AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=s "$T/v/bin/python" -c '
import pathspace, pathspace._lib as l
from pathspace.bucket import stat
try:
    stat("s3://nobucket/x")
except pathspace.Error as e:
    print(l._LazyNet._lib._name, "|", e)')
    case $out in "$site/pathspace/libpathspace-net.so.0 | s3://nobucket/x: "*) ;;
        *) fail "pathspace.bucket from the wheel: $out" ;; esac
    # no library anywhere: MORK still imports; Space says what to do
    mv "$site/pathspace/libpathspace.so.0" "$T/hidden.so"
    env -u PYTHONPATH -u PATHSPACE_LIB "$T/v/bin/python" -c '
import pathspace
pathspace.MORK
try:
    pathspace.Space(["(a)"])
except pathspace.LibraryNotFound as e:
    assert "make wheel" in str(e) and "PATHSPACE_LIB" in str(e), e
    print("told")' >"$T/out" 2>&1 || fail "without the library: $(cat "$T/out")"
    grep -qx told "$T/out" || fail "without the library: $(cat "$T/out")"
    cd "$OLDPWD"
}

[ -z "$ONLY" ] && pytest_all
tcase pip_install pip_install
tcase wheel_venv wheel_venv
finish
