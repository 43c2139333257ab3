# pathspace - plain Makefile. `make help` lists the targets.
#
# Honours the usual variables: CC, CFLAGS, CPPFLAGS, LDFLAGS, DESTDIR,
# PREFIX (and BINDIR, LIBDIR, INCLUDEDIR, MANDIR, PKGCONFIGDIR), and BUILD,
# the directory every output goes to (sanitizer builds use their own, so
# switching between them never mixes objects; `make BUILD=x clean` removes x).

CC       ?= cc
CLANG    ?= clang
CXX      ?= c++
PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
LIBDIR   ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR   ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
LDCONFIG ?= ldconfig
BUILD    ?= build
OPT      ?= -O2 -g
CFLAGS   ?= $(OPT)
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wvla -Wformat=2 -Wno-format-nonliteral -Wno-psabi
PS_CPPFLAGS := -D_GNU_SOURCE -Iinclude -Isrc $(CPPFLAGS)
PS_CFLAGS := -std=c11 -fPIC $(WARN) $(CFLAGS)
# The library exports only what pathspace.h marks PS_API. Its assert()s
# check invariants where corruption would start; they cost about 4% of an
# upload (bench: docs/architecture.md), so a release build leaves them out
# and the sanitizer builds and the fuzzers keep them (DEBUG=1 keeps them
# in any build).
ASSERTS  := $(if $(DEBUG),,-DNDEBUG)
LIB_CFLAGS := $(PS_CFLAGS) -fvisibility=hidden $(ASSERTS)
# Two libraries (docs/architecture.md): the core, which listens on nothing,
# and libpathspace-net, the core plus the servers and the client.
CORE_LIBS := -lzstd -llz4 -lsodium -lcrypto -lb2 -lisal -lz -lxxhash -lyajl -lpthread -lm
NET_LIBS := -lmicrohttpd -lcurl
LDLIBS   := $(NET_LIBS) $(CORE_LIBS)

# The version, from the one place it is written: include/pathspace.h.
VERSION  := $(shell sed -n 's/^\#define PS_VERSION_STRING "\(.*\)"/\1/p' include/pathspace.h)
MAJOR    := $(firstword $(subst ., ,$(VERSION)))

# Debian packages: build tools, the libraries the code links, and what the
# tests use (clang for the header check, libFuzzer for `make fuzz`, SWI-Prolog
# as the queries' independent oracle, curl and Python's pytest, pip and wheel
# for the HTTP API and the Python package; nodejs for npm's s3rver, the S3
# server the replication tests run against; Dask's scheduler and workers for
# the sharded queries). libunistring-dev: pkg-config
# --static names -lunistring for libmicrohttpd (through GnuTLS).
DEB_PKGS := gcc make pkg-config libc6-dev binutils git zlib1g-dev libisal-dev libxxhash-dev libyajl-dev \
            libmicrohttpd-dev libcurl4-openssl-dev libunistring-dev curl python3 python3-pytest python3-setuptools \
            python3-pip python3-wheel python3-venv libedit-dev \
            libzstd-dev liblz4-dev libsodium-dev libssl-dev libb2-dev \
            libjemalloc-dev libmimalloc-dev clang libclang-rt-14-dev g++ man-db \
            swi-prolog-nox nodejs python3-dask python3-distributed

# Only `make bench` needs these: Snappy (a codec row), the peers the
# snapshot is measured against (bench_peers.cc, C++ for marisa) and the
# dynamic sets the space is measured against (bench_sets.cc: Judy, LMDB),
# Redis, the server's peer (bench_server.c), and the JSON parsers yajl was
# chosen over (bench_json.c).
BENCH_PKGS := libsnappy-dev liblmdb-dev libmarisa-dev libsqlite3-dev libjudy-dev g++ \
              redis-server redis-tools libjansson-dev libcurl4-openssl-dev python3-networkx
BENCH_LIBS := -lsnappy -llmdb -lmarisa -lsqlite3 -lJudy -ljansson -lcurl

LIB_SRC  := $(wildcard src/*/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
NET_SRC  := $(wildcard src/net/*.c src/http/*.c src/listen/*.c src/replica/*.c)
CORE_OBJ := $(filter-out $(NET_SRC:%.c=$(BUILD)/%.o),$(LIB_OBJ))
CLI_SRC  := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/*.c)
FUZZ_TGT := $(wildcard fuzz/fuzz_*.c)
BENCHES  := $(patsubst bench/%.c,%,$(wildcard bench/bench_*.c)) \
            $(patsubst bench/%.cc,%,$(wildcard bench/bench_*.cc))

STATIC   := $(BUILD)/libpathspace.a
SONAME   := libpathspace.so.$(MAJOR)
REALNAME := libpathspace.so.$(VERSION)
SHARED   := $(BUILD)/$(REALNAME)
NET_STATIC := $(BUILD)/libpathspace-net.a
NET_SONAME := libpathspace-net.so.$(MAJOR)
NET_REALNAME := libpathspace-net.so.$(VERSION)
NET_SHARED := $(BUILD)/$(NET_REALNAME)
CLI      := $(BUILD)/pathspace
TESTBIN  := $(BUILD)/run_tests
REPLAY   := $(FUZZ_TGT:fuzz/%.c=$(BUILD)/replay_%)
PC       := $(BUILD)/pathspace.pc $(BUILD)/pathspace-net.pc
# Order-only: the Debian packages are in place before anything compiles,
# whatever -j does.
DEPS_OK  := $(BUILD)/.deps-ok

# Every core, unless the command line says (make -jN, or -j1).
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 1)
endif

.SECONDARY:
.PHONY: check-ceph all lib deps bench-deps print-deps print-core-libs check test asan ubsan tsan fuzz bench demo install golden reseal \
        uninstall clean help wheel

all: $(STATIC) $(SHARED) $(NET_STATIC) $(NET_SHARED) $(CLI) $(PC)
lib: $(STATIC) $(SHARED) $(NET_STATIC) $(NET_SHARED)

help:
	@echo "make            build libpathspace (.a, .so), libpathspace-net (.a, .so) and the CLI"
	@echo "make demo       install deps, build, run the main job on built-in data"
	@echo "make check      install deps, build, run every test (ends 'N passed, N failed, N skipped')"
	@echo "make asan|ubsan|tsan  make check under AddressSanitizer / UBSan / TSan"
	@echo "make check-ceph the replication tests against Ceph's radosgw (one-node cluster)"
	@echo "make bench      build and run the benchmarks (tables, medians)"
	@echo "make fuzz       build libFuzzer targets with clang into $(BUILD)/fuzz/"
	@echo "make install    PREFIX=/usr/local DESTDIR=: library, header, CLI, man page, pathspace.pc"
	@echo "make wheel      the Python package with the library inside, in $(BUILD)/dist/"

deps: $(DEPS_OK)
$(DEPS_OK): Makefile tools/deps.sh
	@sh tools/deps.sh $(DEB_PKGS)
	@mkdir -p $(BUILD) && touch $@

print-deps:
	@echo $(DEB_PKGS)

# what a program linking libpathspace.a needs after it (the install tests)
print-core-libs:
	@echo $(CORE_LIBS)

$(BUILD)/src/%.o: src/%.c include/pathspace.h | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(PS_CPPFLAGS) $(LIB_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%.o: %.c include/pathspace.h | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(PS_CPPFLAGS) $(PS_CFLAGS) -MMD -MP -c $< -o $@

-include $(LIB_OBJ:.o=.d)

$(STATIC): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The net library carries the core too (as zstd's programs carry lib/): a
# program links one of the two.
$(NET_STATIC): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The real name carries the full version; the soname link is what programs
# load, the dev link what `-lpathspace` finds. --as-needed: the core's
# DT_NEEDED lists only what it calls (no HTTP, no TLS).
$(SHARED): $(CORE_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined \
	    -Wl,--as-needed -o $@ $^ $(CORE_LIBS)
	ln -sf $(REALNAME) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libpathspace.so

$(NET_SHARED): $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(NET_SONAME) -Wl,--no-undefined \
	    -Wl,--as-needed -o $@ $^ $(LDLIBS)
	ln -sf $(NET_REALNAME) $(BUILD)/$(NET_SONAME)
	ln -sf $(NET_SONAME) $(BUILD)/libpathspace-net.so

# the CLI alone links libedit (the shell's line editing and history)
$(CLI): $(CLI_SRC:%.c=$(BUILD)/%.o) $(NET_STATIC)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -ledit

# ---- tests: one runner binary, plus every fuzz target replayed on its corpus
$(TESTBIN): $(TEST_SRC:%.c=$(BUILD)/%.o) $(NET_STATIC)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/replay_%: $(BUILD)/fuzz/%.o $(BUILD)/fuzz/replay.o $(NET_STATIC)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# tests/cli_hostile.sh's inputs come from this
$(BUILD)/hostile: $(BUILD)/tests/hostile/gen.o $(STATIC)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)

# tests/cli_faults.sh: the workload, and I/O faults and power loss preloaded
$(BUILD)/faultdrv: $(BUILD)/tests/faults/driver.o $(STATIC)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)

$(BUILD)/libfaultfs.so: tests/faults/faultfs.c | $(DEPS_OK)
	$(CC) -O1 -g -shared -fPIC -Wall -Wextra -Wno-format-truncation -o $@ $< -ldl

# The harness gets what the install and header tests need to rebuild
# programs the way this build does.
check test: $(TESTBIN) $(REPLAY) $(CLI) $(SHARED) $(NET_SHARED) $(PC) $(BUILD)/hostile $(BUILD)/faultdrv \
            $(BUILD)/libfaultfs.so
	@sh tools/s3rver.sh $(BUILD)
	@PS_CC="$(CC)" PS_CFLAGS="$(CFLAGS)" PS_LDFLAGS="$(LDFLAGS)" PS_MAKE="$(MAKE)" \
	    sh tests/run.sh $(BUILD)

# The replication tests against Ceph's radosgw on a one-node cluster (a
# monitor, one OSD on memstore, radosgw; tools/ceph.sh), instead of s3rver.
# Not in `make check`: a cluster per case costs about 20 s (docs/replication.md).
CEPH_PKGS := radosgw ceph-mon ceph-osd ceph-common
check-ceph: $(CLI) $(SHARED)
	@sh tools/deps.sh $(CEPH_PKGS)
	@PS_S3=ceph sh tests/cli_replica.sh $(BUILD)

# AddressSanitizer from LLVM 19 (Debian 12's clang-19): its runtime locks its
# allocator around fork(). GCC 12's libasan does not, so a checkpoint's child
# (forked while a replication thread was inside malloc) could wait forever on
# a lock nobody in the child holds; it did, in CI, under the replication and
# Dask tests. The runtime is linked as a shared library, as GCC's is, so the
# Python tests can preload it.
ASAN_CC   ?= clang-19
ASAN_PKGS := clang-19 libclang-rt-19-dev
asan:
	@sh tools/deps.sh $(DEB_PKGS) $(ASAN_PKGS)
	$(MAKE) BUILD=build/asan DEBUG=1 CC=$(ASAN_CC) \
	    OPT="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -shared-libasan" \
	    LDFLAGS="-Wl,-rpath,$$(dirname "$$($(ASAN_CC) -print-file-name=libclang_rt.asan-$$(uname -m).so)")" check

ubsan:
	$(MAKE) BUILD=build/ubsan DEBUG=1 OPT="-O1 -g -fsanitize=undefined,float-divide-by-zero -fno-sanitize-recover=all" check

# The threaded parts (snapshot and .paths compressors and loaders, query
# threads, the persistent space's workers, the server and its clients) under
# ThreadSanitizer. Not the
# whole check: libb2's BLAKE2bp runs on OpenMP, whose uninstrumented runtime
# TSan reports falsely; the hostile-input scripts run under ulimit -v, which
# TSan's shadow memory cannot live in; and TSan's own runtime faults in the
# deepest query case (70K nested levels, in MutexSet::Add).
TSAN_CASES := snap_ paths_ query_threads query_join_ pspace_ net_ http_
tsan:
	$(MAKE) BUILD=build/tsan DEBUG=1 OPT="-O1 -g -fsanitize=thread" build/tsan/run_tests
	@fail=0; for c in $(TSAN_CASES); do build/tsan/run_tests $$c || fail=1; done; exit $$fail

# ---- fuzz: libFuzzer builds (clang); run e.g. build/fuzz/fuzz_vec -max_total_time=60
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
              -std=c11 -D_GNU_SOURCE -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -Iinclude -Isrc
fuzz: $(DEPS_OK)
	@mkdir -p $(BUILD)/fuzz
	@for t in $(FUZZ_TGT); do n=$$(basename $$t .c); \
	  echo "CLANG $$n"; \
	  $(CLANG) $(FUZZ_FLAGS) -o $(BUILD)/fuzz/$$n $$t $(LIB_SRC) $(LDLIBS) || exit 1; done

# ---- benchmarks
# bench_query measures beside the tests' brute-force matcher and Prolog oracle
$(BUILD)/bench/bench_query: $(BUILD)/bench/bench_query.o $(BUILD)/bench/common.o \
                            $(BUILD)/tests/brute.o $(BUILD)/tests/prolog.o $(NET_STATIC)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# bench_server counts every malloc of its process (the tests' counter)
$(BUILD)/bench/bench_server: $(BUILD)/bench/bench_server.o $(BUILD)/bench/common.o \
                             $(BUILD)/tests/malloc_count.o $(NET_STATIC)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/bench/common.o $(NET_STATIC)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(BENCH_LIBS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.cc $(BUILD)/bench/common.o $(NET_STATIC) include/pathspace.h
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -Iinclude $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< \
	    $(BUILD)/bench/common.o $(NET_STATIC) $(BENCH_LIBS) $(LDLIBS)

bench-deps:
	@sh tools/deps.sh $(DEB_PKGS) $(BENCH_PKGS)

bench: bench-deps $(BENCHES:%=$(BUILD)/bench/%) $(CLI)
	@for b in $(BENCHES); do $(BUILD)/bench/$$b || exit 1; echo; done
	@sh bench/replica.sh $(BUILD)
	@echo; sh bench/bucket.sh $(BUILD)
	@echo; sh bench/shards.sh $(BUILD)

# ---- golden files of our own formats (run once; the output is committed)
$(BUILD)/golden: tools/golden.c $(STATIC) include/pathspace.h
	$(CC) $(PS_CPPFLAGS) $(PS_CFLAGS) $(LDFLAGS) -o $@ $< $(STATIC) $(CORE_LIBS)

golden: $(BUILD)/golden
	$(BUILD)/golden

# ---- fuzz corpora: checksums made right, so the replay reaches the parsers
$(BUILD)/reseal: tools/reseal.c $(STATIC) include/pathspace.h
	$(CC) $(PS_CPPFLAGS) $(PS_CFLAGS) $(LDFLAGS) -o $@ $< $(STATIC) $(CORE_LIBS)

reseal: $(BUILD)/reseal
	$(BUILD)/reseal snap fuzz/corpus/fuzz_snap/*
	$(BUILD)/reseal paths fuzz/corpus/fuzz_paths/*

# ---- the Python package as a wheel that carries the library: pip installs
# it offline, in any venv (tools/wheel.sh; python/README.md)
WHEEL := $(BUILD)/dist/pathspace-$(VERSION)-py3-none-linux_$(shell uname -m).whl
wheel: $(WHEEL)
$(WHEEL): $(SHARED) $(NET_SHARED) $(wildcard python/pathspace/*.py) python/pyproject.toml \
          python/setup.py tools/wheel.sh
	@sh tools/wheel.sh $(BUILD) $(SHARED) $(NET_SHARED)

# ---- the main job on built-in data
# the build quiet (its errors still show), so the demo's lines come first
demo: | $(DEPS_OK)
	@echo "building (make -s all) ..."
	@$(MAKE) -s --no-print-directory all
	@sh tools/demo.sh $(BUILD)

# ---- install
# pathspace.pc is written for the PREFIX/LIBDIR of the command that makes
# it: `make install` writes its own, so a prefix given there is the one it says.
PC_FILES := pathspace.pc pathspace-static.pc pathspace-net.pc pathspace-net-static.pc
PC_SUBST = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|'
$(BUILD)/%.pc: tools/%.pc.in include/pathspace.h
	@mkdir -p $(BUILD)
	$(PC_SUBST) $< > $@

install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(INCLUDEDIR) \
	    $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(STATIC) $(NET_STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/$(REALNAME)
	ln -sf $(REALNAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libpathspace.so
	install -m 755 $(NET_SHARED) $(DESTDIR)$(LIBDIR)/$(NET_REALNAME)
	ln -sf $(NET_REALNAME) $(DESTDIR)$(LIBDIR)/$(NET_SONAME)
	ln -sf $(NET_SONAME) $(DESTDIR)$(LIBDIR)/libpathspace-net.so
	install -m 644 include/pathspace.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 755 $(CLI) $(DESTDIR)$(BINDIR)/
	install -m 644 docs/pathspace.1 $(DESTDIR)$(MANDIR)/man1/
	install -d $(DESTDIR)$(COMPLETIONDIR) $(DESTDIR)$(SYSTEMDDIR)
	install -m 644 tools/pathspace.bash-completion $(DESTDIR)$(COMPLETIONDIR)/pathspace
	sed 's|@BINDIR@|$(BINDIR)|' tools/pathspace@.service.in > $(DESTDIR)$(SYSTEMDDIR)/pathspace@.service
	chmod 644 $(DESTDIR)$(SYSTEMDDIR)/pathspace@.service
	for pc in $(PC_FILES); do $(PC_SUBST) tools/$$pc.in > $(DESTDIR)$(PKGCONFIGDIR)/$$pc; \
	    chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/$$pc; done
	@# into the live system (no DESTDIR): the loader learns of the new library
	@# now, so a program built against it starts at once
	@if [ -z "$(DESTDIR)" ] && command -v $(LDCONFIG) >/dev/null 2>&1; then \
	    echo "$(LDCONFIG)"; $(LDCONFIG) || echo "($(LDCONFIG) failed: run it as root)"; fi

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libpathspace.a $(DESTDIR)$(LIBDIR)/$(REALNAME) \
	      $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libpathspace.so \
	      $(DESTDIR)$(LIBDIR)/libpathspace-net.a $(DESTDIR)$(LIBDIR)/$(NET_REALNAME) \
	      $(DESTDIR)$(LIBDIR)/$(NET_SONAME) $(DESTDIR)$(LIBDIR)/libpathspace-net.so \
	      $(DESTDIR)$(INCLUDEDIR)/pathspace.h $(DESTDIR)$(BINDIR)/pathspace \
	      $(DESTDIR)$(MANDIR)/man1/pathspace.1 $(PC_FILES:%=$(DESTDIR)$(PKGCONFIGDIR)/%) \
	      $(DESTDIR)$(COMPLETIONDIR)/pathspace $(DESTDIR)$(SYSTEMDDIR)/pathspace@.service

clean:
	rm -rf $(BUILD)

-include $(wildcard $(BUILD)/cli/*.d $(BUILD)/tests/*.d $(BUILD)/bench/*.d $(BUILD)/fuzz/*.d)
