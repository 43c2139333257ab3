#!/bin/sh
# Safe to install and link: the library exports exactly the API of
# pathspace.h; a program with its own wal_open or act_parse links and runs;
# `make install` lays out the real name, the soname and dev links, the
# header, the CLI, the man page and a pathspace.pc with which a program
# builds by pkg-config alone, shared and static; the header compiles clean
# as C11 and C++ under gcc and clang; the Makefile honours CPPFLAGS,
# LDFLAGS, DESTDIR, PREFIX and BUILD; the man page agrees with --help.
. tests/lib.sh "$@"
CC=${PS_CC:-cc}
CF=${PS_CFLAGS:--O2}
LDF=${PS_LDFLAGS:-}
VERSION=$(sed -n 's/^#define PS_VERSION_STRING "\(.*\)"/\1/p' include/pathspace.h)
MAJOR=${VERSION%%.*}
# a make that is not a child of the make running these tests
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ${PS_MAKE:-make} -s "$@"; }

# The names the header declares with MARK (PS_API: both libraries;
# PS_NET_API: libpathspace-net only), one per line, sorted.
api_names() {
    tr '\n' ' ' < include/pathspace.h | sed 's/;/;\n/g' | grep "$1 " |
        sed -n "s/.*$1[^(]*[ *]\(ps_[a-z0-9_]*\) *(.*/\1/p" | LC_ALL=C sort -u
}

# LIB.so exports exactly the names in file API, and LIB.a defines them and
# nothing else but ps__ names.
exports_exactly() {
    lib=$1 api=$2
    nm -D --defined-only "$B/$lib.so.$VERSION" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' |
        LC_ALL=C sort -u > "$T/so"
    if ! cmp -s "$api" "$T/so"; then
        echo "exported but not in the header:"; LC_ALL=C comm -13 "$api" "$T/so"
        echo "in the header but not exported:"; LC_ALL=C comm -23 "$api" "$T/so"
        fail "$lib.so exports something other than its part of the header"
    fi
    nm -g --defined-only "$B/$lib.a" | awk 'NF == 3 {print $3}' | LC_ALL=C sort -u > "$T/a"
    # (and what a sanitizer build's instrumentation defines, as clang's ASan does)
    LC_ALL=C comm -13 "$api" "$T/a" | grep -Ev '^(ps__|_+asan_|__ubsan_|__sanitizer_)' > "$T/a.extra" || true
    [ ! -s "$T/a.extra" ] || fail "global symbols in $lib.a outside the API and ps__: $(cat "$T/a.extra")"
    [ -z "$(LC_ALL=C comm -23 "$api" "$T/a")" ] || fail "$lib.a lacks API functions"
}

symbols() {
    api_names PS_API > "$T/api"
    api_names PS_NET_API > "$T/net"
    [ "$(wc -l < "$T/api")" -gt 100 ] || fail "too few API names parsed: $(wc -l < "$T/api")"
    [ "$(wc -l < "$T/net")" -gt 20 ] || fail "too few net API names parsed: $(wc -l < "$T/net")"
    grep -v '^ps_[a-z]' "$T/api" "$T/net" && fail "an API name without the ps_ prefix"
    exports_exactly libpathspace "$T/api"
    LC_ALL=C sort -u "$T/api" "$T/net" > "$T/all"
    exports_exactly libpathspace-net "$T/all"
}

# The core loads no HTTP or TLS library; the net library is the core plus
# the servers, and a program built against it serves a space over HTTP.
two_libraries() {
    ldd "$B/libpathspace.so.$VERSION" > "$T/core.ldd"
    if grep -Eq 'microhttpd|gnutls|nettle|gmp|p11-kit' "$T/core.ldd"; then
        fail "the core library loads a server's dependency: $(cat "$T/core.ldd")"
    fi
    ldd "$B/libpathspace-net.so.$VERSION" | grep -q libmicrohttpd || fail "net lacks libmicrohttpd"
    cat > "$T/srv.c" <<'EOF'
#include <stdio.h>
#include <pathspace.h>
int main(int argc, char **argv)
{
    ps_pspace *p;
    ps_served *sv;
    ps_http *h;
    ps_diag d = { 0 };
    ps_http_opts o;
    (void)argc;
    ps_http_opts_init(&o);
    if (ps_pspace_open(argv[1], NULL, &p, NULL, &d) || ps_served_new(p, &sv, &d) ||
        ps_http_start(sv, &o, &h, &d))
        return printf("%s\n", d.msg), 1;
    printf("%d\n", ps_http_port(h) > 0);
    ps_served_stop(sv);
    int rc = ps_served_wait(sv, &d);
    ps_http_stop(h);
    ps_served_free(sv);
    return rc || ps_pspace_close(p, &d);
}
EOF
    $CC $CF -Iinclude "$T/srv.c" -L"$B" -lpathspace-net -Wl,-rpath,"$PWD/$B" $LDF -o "$T/srv" ||
        fail "a program of the net library"
    [ "$("$T/srv" "$T/srv_space")" = 1 ] || fail "served over HTTP: $("$T/srv" "$T/srv_space")"
    ldd "$T/srv" | grep -q "libpathspace-net.so.$MAJOR" || fail "not linked to libpathspace-net"
    if $CC $CF -Iinclude "$T/srv.c" -L"$B" -lpathspace $LDF -o "$T/srv_core" 2>/dev/null; then
        fail "the core library links a server"
    fi
}

# No file of src/http includes src/net or the reverse, and the folders of
# src/ call each other without a cycle (tools/layers.sh).
layers() {
    sh tools/layers.sh "$B" > "$T/edges" 2> "$T/why" || fail "layers: $(cat "$T/why")"
    grep -q '^http serve$' "$T/edges" && grep -q '^net serve$' "$T/edges" ||
        fail "the front ends do not stand on serve/: $(cat "$T/edges")"
    if grep -Eq '^(common|mem|expr|trie|snap|mork|store|query|import|serve|sort|gen) (net|http|listen)$' \
        "$T/edges"; then
        fail "the core calls the servers: $(grep -E ' (net|http|listen)$' "$T/edges")"
    fi
}

# A program that defines names the library uses inside (before they were
# renamed): it must link, statically and dynamically, and the library must
# still call its own.
clash() {
    cat > "$T/clash.c" <<'EOF'
#include <stdio.h>
#include <pathspace.h>
int wal_open(void) { return 42; }
int act_parse(void) { return 42; }
int snap_compress(void) { return 42; }
int ps_workers_new(void) { return 42; }
int diag_set(void) { return 42; }
int main(int argc, char **argv)
{
    ps_pspace *p;
    ps_pspace_opts o;
    ps_diag d = { 0 };
    (void)argc;
    ps_pspace_opts_init(&o);
    int rc = ps_pspace_open(argv[1], &o, &p, NULL, &d);
    if (rc) {
        printf("open: %s %s\n", ps_strerror(rc), d.msg);
        return 1;
    }
    ps_buf a = { 0 };
    ps_atom_parse("(x)", 3, &a, NULL);
    rc = ps_pspace_add(p, ps_buf_bytes(&a), NULL);
    ps_buf_free(&a);
    rc = rc ? rc : ps_pspace_close(p, &d);
    printf("%d %d\n", rc, wal_open() + act_parse() + snap_compress() + ps_workers_new() + diag_set());
    return rc;
}
EOF
    LIBS=$(mk print-core-libs)
    $CC $CF -Iinclude "$T/clash.c" "$B/libpathspace.a" $LIBS $LDF -o "$T/clash_static" ||
        fail "static link with clashing names"
    $CC $CF -Iinclude "$T/clash.c" -L"$B" -lpathspace -Wl,-rpath,"$PWD/$B" $LDF -o "$T/clash_shared" ||
        fail "shared link with clashing names"
    [ "$("$T/clash_static" "$T/s1")" = "0 210" ] || fail "static: $("$T/clash_static" "$T/s1")"
    [ "$("$T/clash_shared" "$T/s2")" = "0 210" ] || fail "shared: $("$T/clash_shared" "$T/s2")"
}

install_pkgconfig() {
    I="$T/prefix"
    # into a live prefix (no DESTDIR) install runs ldconfig, so that a
    # program linked against it starts at once (a stand-in records it here)
    printf '#!/bin/sh\necho ran >"%s/ldconfig.ran"\n' "$T" >"$T/ldconfig"
    chmod +x "$T/ldconfig"
    mk install BUILD="$B" PREFIX="$I" LDCONFIG="$T/ldconfig" >/dev/null
    [ -f "$T/ldconfig.ran" ] || fail "install into a live prefix ran no ldconfig"
    for f in lib/libpathspace.a "lib/libpathspace.so.$VERSION" lib/libpathspace-net.a \
             "lib/libpathspace-net.so.$VERSION" include/pathspace.h bin/pathspace \
             share/man/man1/pathspace.1 lib/pkgconfig/pathspace.pc lib/pkgconfig/pathspace-net.pc \
             lib/pkgconfig/pathspace-net-static.pc; do
        [ -f "$I/$f" ] || fail "not installed: $f"
    done
    [ "$(readlink "$I/lib/libpathspace.so.$MAJOR")" = "libpathspace.so.$VERSION" ] || fail "soname link"
    [ "$(readlink "$I/lib/libpathspace.so")" = "libpathspace.so.$MAJOR" ] || fail "dev link"
    readelf -d "$I/lib/libpathspace.so.$VERSION" | grep -q "SONAME.*\[libpathspace.so.$MAJOR\]" ||
        fail "SONAME"
    export PKG_CONFIG_PATH="$I/lib/pkgconfig"
    [ "$(pkg-config --modversion pathspace)" = "$VERSION" ] || fail "pkg-config version"
    pkg-config --libs pathspace | grep -q -- "-L$I/lib -lpathspace" || fail "pkg-config --libs"
    pkg-config --libs pathspace-net | grep -q -- "-L$I/lib -lpathspace-net" ||
        fail "pkg-config --libs pathspace-net"
    [ "$(readlink "$I/lib/libpathspace-net.so")" = "libpathspace-net.so.$MAJOR" ] || fail "net dev link"
    # shared: by pkg-config alone
    $CC $CF examples/hello.c $(pkg-config --cflags --libs pathspace) -Wl,-rpath,"$I/lib" $LDF \
        -o "$T/hello_shared" || fail "build against the installed .so"
    ldd "$T/hello_shared" | grep -q "libpathspace.so.$MAJOR => $I/lib" || fail "not linked to the .so"
    "$T/hello_shared" "$T" > "$T/out" || fail "hello (shared): $(cat "$T/out")"
    # static, with the .so installed beside the .a, by pkg-config alone
    $CC $CF examples/hello.c $(pkg-config --cflags --libs pathspace-static) $LDF \
        -o "$T/hello_static" || fail "static build from pkg-config pathspace-static alone"
    if ldd "$T/hello_static" | grep -q pathspace; then fail "static build uses the .so"; fi
    "$T/hello_static" "$T" > "$T/out2" || fail "hello (static)"
    cmp "$T/out" "$T/out2" || fail "static and shared differ"
    grep -q '^(parent Bob Ann) yes$' "$T/out" && grep -q '^(parent Ann Tom) no$' "$T/out" &&
        grep -q 'grandparent.* yes$' "$T/out" && grep -q '^3 atoms in ' "$T/out" || fail "hello: $(cat "$T/out")"
    # uninstall removes what install put there
    mk uninstall BUILD="$B" PREFIX="$I" >/dev/null
    [ -z "$(find "$I" -type f -o -type l)" ] || fail "uninstall left: $(find "$I" -type f -o -type l)"
}

destdir() {
    rm -f "$T/ldconfig.ran"
    printf '#!/bin/sh\necho ran >"%s/ldconfig.ran"\n' "$T" >"$T/ldconfig"
    chmod +x "$T/ldconfig"
    mk install BUILD="$B" PREFIX=/opt/ps DESTDIR="$T/stage" LDCONFIG="$T/ldconfig" >/dev/null
    [ ! -f "$T/ldconfig.ran" ] || fail "a DESTDIR (staged) install ran ldconfig"
    grep -q "^Libs: \${libdir}/libpathspace.a " "$T/stage/opt/ps/lib/pkgconfig/pathspace-static.pc" ||
        fail "pathspace-static.pc"
    [ -f "$T/stage/opt/ps/lib/libpathspace.so.$VERSION" ] || fail "DESTDIR: library"
    [ -f "$T/stage/opt/ps/bin/pathspace" ] || fail "DESTDIR: CLI"
    grep -q '^prefix=/opt/ps$' "$T/stage/opt/ps/lib/pkgconfig/pathspace.pc" || fail "pc prefix"
    grep -q '^libdir=/opt/ps/lib$' "$T/stage/opt/ps/lib/pkgconfig/pathspace.pc" || fail "pc libdir"
    grep -q "^Requires.private: .*libzstd" "$T/stage/opt/ps/lib/pkgconfig/pathspace.pc" || fail "pc private"
    [ ! -e /opt/ps ] || [ -n "$(ls /opt/ps 2>/dev/null)" ] || true
}

# The header's first example, as printed there, compiled and run: it loads
# examples/family.metta, adds, queries and saves (a header whose example
# no longer builds, or no longer does what it says, fails here).
header_example() {
    mkdir -p "$T/ex"
    cp examples/family.metta "$T/ex/"
    sed -n '/^ \* A first program/,/^ \* The API, in the order/p' include/pathspace.h |
        sed -n 's/^ \*   //p' > "$T/ex/body"
    [ "$(wc -l < "$T/ex/body")" -ge 10 ] || fail "the header's example not found"
    {
        printf '#include <stdio.h>\n#include <pathspace.h>\nint main(void)\n{\n'
        cat "$T/ex/body"
        printf 'return d.code;\n}\n'
    } > "$T/ex/ex.c"
    $CC $CF -std=c11 -Wall -Wextra -Werror -Iinclude "$T/ex/ex.c" "$B/libpathspace.a" \
        $(mk print-core-libs) $LDF \
        -o "$T/ex/ex" || fail "the header's example does not build"
    (cd "$T/ex" && ./ex) || fail "the header's example failed ($?)"
    n=$("$P" count "$T/ex/family.metta")
    [ "$("$P" count "$T/ex/kb.snap")" = $((n + 1)) ] ||
        fail "kb.snap holds $("$P" count "$T/ex/kb.snap"), not $n + 1"
}

# The header compiles without a warning as C11 and C++17, under gcc and
# clang, and a vector defined with PS_VEC_DEFINE but barely used draws no
# -Wunused-function.
header() {
    cat > "$T/h.c" <<'EOF'
#include <pathspace.h>
PS_VEC_DEFINE(u32v, uint32_t)
PS_VEC_DEFINE(blobv, ps_bytes)
int main(void)
{
    u32v v;
    u32v_init(&v);
    int rc = u32v_push(&v, 7);
    u32v_free(&v);
    return rc;
}
EOF
    cp "$T/h.c" "$T/h.cc"
    for c in gcc clang; do
        command -v $c >/dev/null || fail "$c is not installed (make deps)"
        $c -std=c11 -Wall -Wextra -Wpedantic -Wunused-function -Werror -Iinclude -c "$T/h.c" \
            -o "$T/h.o" || fail "$c: the header warns"
    done
    for c in g++ clang++; do
        command -v $c >/dev/null || fail "$c is not installed (make deps)"
        $c -std=c++17 -Wall -Wextra -Werror -Iinclude -c "$T/h.cc" -o "$T/h.o" ||
            fail "$c: the header does not compile as C++"
    done
}

makefile_vars() {
    mk -n BUILD="$T/b" CPPFLAGS=-DPS_CPP_MARK LDFLAGS=-Wl,-O1 all > "$T/n" 2>&1 || fail "make -n"
    grep -- ' -c ' "$T/n" > "$T/compiles"
    [ -s "$T/compiles" ] || fail "no compile commands"
    if grep -v -- '-DPS_CPP_MARK' "$T/compiles"; then fail "a compile without CPPFLAGS"; fi
    grep -- '-shared' "$T/n" | grep -q -- '-Wl,-O1' || fail "the .so link without LDFLAGS"
    grep -- '-o '"$T/b"'/pathspace ' "$T/n" | grep -q -- '-Wl,-O1' || fail "the CLI link without LDFLAGS"
    grep -q -- "-o $T/b/src/" "$T/compiles" || fail "objects outside BUILD"
    # the Debian packages come first, before any compiler runs, even under -j
    mk -n -j8 BUILD="$T/b" all > "$T/j" 2>&1
    first_cc=$(grep -n -- ' -c ' "$T/j" | head -n 1 | cut -d: -f1)
    deps=$(grep -n 'tools/deps.sh' "$T/j" | head -n 1 | cut -d: -f1)
    [ -n "$deps" ] && [ "$deps" -lt "$first_cc" ] || fail "deps after compilation: $(head -n 5 "$T/j")"
    # clean removes BUILD and nothing else
    mkdir -p "$T/x/src"
    touch "$T/x/src/a.o"
    mk BUILD="$T/x" clean
    [ ! -e "$T/x" ] || fail "make BUILD=x clean left x"
    [ -x "$B/pathspace" ] || fail "make BUILD=x clean touched $B"
}

# Every command of `pathspace --help` has a section in the man page, and
# every option each command's --help names is in its section, and the other
# way round.
man_page() {
    M=docs/pathspace.1
    MANWIDTH=80 man --warnings -l $M > "$T/man.txt" 2> "$T/man.err" || fail "man cannot render it"
    [ ! -s "$T/man.err" ] || fail "man warns: $(cat "$T/man.err")"
    grep -q "pathspace $VERSION" $M || fail "man page version is not $VERSION"
    for c in $("$P" --help | sed -n 's/^  \([a-z]*\) .*/\1/p'); do
        grep -q "^\.SS \"pathspace $c[ \"]" $M || fail "no section for $c"
        [ "$c" = version ] && continue
        # the section: from its .SS to the next .SS or .SH
        awk -v c="$c" '/^\.S[SH] /{on = ($0 ~ "^\\.SS \"pathspace " c "[ \"]")} on' $M |
            sed 's/\\-/-/g' > "$T/sec"
        "$P" $c --help > "$T/help"
        for o in $(grep -oE -- '--[a-z][a-z-]+' "$T/help" | grep -v -- '^--help$' | sort -u); do
            grep -q -- "$o" "$T/sec" || fail "man: $c lacks $o"
        done
        for o in $(grep -oE -- '--[a-z][a-z-]+' "$T/sec" | sort -u); do
            grep -q -- "$o" "$T/help" || fail "man: $c has $o, which '$c --help' does not"
        done
    done
}

# Bash completion and the systemd unit, as make install puts them: the
# completion offers commands and each command's own options; the unit
# passes systemd-analyze verify (with this build's binary in ExecStart)
completion_unit() {
    mk install BUILD="$B" PREFIX=/usr/local DESTDIR="$T/stage" LDCONFIG=true >/dev/null
    C="$T/stage/usr/local/share/bash-completion/completions/pathspace"
    U="$T/stage/usr/local/lib/systemd/system/pathspace@.service"
    [ -f "$C" ] && [ -f "$U" ] || fail "not installed: $(find "$T/stage" -name 'pathspace*')"
    command -v bash >/dev/null || skip "needs bash"
    out=$(PATH="$(cd "$B" && pwd):$PATH" bash -c '. "$1"
        COMP_WORDS=(pathspace qu); COMP_CWORD=1; _pathspace; echo "${COMPREPLY[*]}"
        COMP_WORDS=(pathspace serve --htt); COMP_CWORD=2; _pathspace; echo "${COMPREPLY[*]}"
        COMP_WORDS=(pathspace client co); COMP_CWORD=2; _pathspace; echo "${COMPREPLY[*]}"
        COMP_WORDS=(pathspace convert --to s); COMP_CWORD=3; _pathspace; echo "${COMPREPLY[*]}"' _ "$C")
    printf '%s\n' "$out" | sed -n 1p | grep -qx query || fail "commands: $out"
    printf '%s\n' "$out" | sed -n 2p | grep -q -- "--http-files" || fail "serve's options: $out"
    printf '%s\n' "$out" | sed -n 3p | grep -qx "contains count" || fail "client's commands: $out"
    printf '%s\n' "$out" | sed -n 4p | grep -qx snap || fail "formats: $out"
    command -v systemd-analyze >/dev/null || skip "needs systemd-analyze"
    sed "s|/usr/local/bin|$(cd "$B" && pwd)|" "$U" > "$T/pathspace@demo.service"
    SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$T/pathspace@demo.service" > "$T/v" 2>&1 ||
        fail "systemd-analyze verify: $(cat "$T/v")"
    [ ! -s "$T/v" ] || fail "systemd-analyze warns: $(cat "$T/v")"
}

# A packager's first look: the MIT licence, and a changelog from 0.1.0 to
# this version, which the Python package states too
licence_history() {
    grep -q '^MIT License$' LICENSE && grep -q 'Permission is hereby granted, free of charge' LICENSE ||
        fail "LICENSE is not the MIT licence"
    grep -q "^## $VERSION " CHANGELOG.md || fail "CHANGELOG.md has no $VERSION"
    grep -q '^## 0.1.0 ' CHANGELOG.md || fail "CHANGELOG.md does not start at 0.1.0"
    grep -q "^version = \"$VERSION\"" python/pyproject.toml && grep -q 'license = {text = "MIT"}' python/pyproject.toml ||
        fail "python/pyproject.toml: version or licence"
}

tcase symbols symbols
tcase two_libraries two_libraries
tcase layers layers
tcase clash clash
tcase install_pkgconfig install_pkgconfig
tcase destdir destdir
tcase header header
tcase header_example header_example
tcase makefile_vars makefile_vars
tcase man_page man_page
tcase completion_unit completion_unit
tcase licence_history licence_history
finish
