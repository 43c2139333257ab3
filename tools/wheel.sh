#!/bin/sh
# wheel.sh BUILD SHARED NET_SHARED - the Python package as a wheel that
# carries libpathspace, and libpathspace-net for pathspace.bucket
# (BUILD/dist/pathspace-*.whl). Built from a copy in
# BUILD/python, offline: no build isolation (it would fetch setuptools
# from PyPI), Debian's setuptools and wheel instead.
set -eu
B=$1
so=$2
net=$3
rm -rf "$B/python" "$B/dist"
mkdir -p "$B/python" "$B/dist"
cp -r python/pathspace python/pyproject.toml python/setup.py python/README.md "$B/python/"
cp LICENSE "$B/python/" 2>/dev/null || true
rm -rf "$B/python/pathspace/__pycache__"
cp "$so" "$B/python/pathspace/libpathspace.so.0"
cp "$net" "$B/python/pathspace/libpathspace-net.so.0"
strip --strip-unneeded "$B/python/pathspace/libpathspace.so.0" \
    "$B/python/pathspace/libpathspace-net.so.0"
PY=${PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3
"$PY" -m pip wheel -q --no-build-isolation --no-deps --no-index -w "$B/dist" "$B/python" \
    >"$B/dist/pip.log" 2>&1 || { cat "$B/dist/pip.log"; exit 1; }
rm -rf "$B/python/build" "$B/python"/*.egg-info
ls "$B"/dist/*.whl
