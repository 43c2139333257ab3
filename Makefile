# pathspace - plain Makefile. `make help` lists the targets.
#
# Out-of-tree objects: BUILD=dir (sanitizer builds use their own dirs, so
# switching between them never mixes objects).

CC       ?= cc
CLANG    ?= clang
PREFIX   ?= /usr/local
BUILD    ?= build
OPT      ?= -O2 -g
CFLAGS   ?= $(OPT)
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wvla -Wformat=2 -Wno-format-nonliteral -Wno-psabi
PS_CFLAGS := -std=c11 -D_GNU_SOURCE -fPIC -Iinclude -Isrc $(WARN) $(CFLAGS)
LDLIBS   := -lzstd -llz4 -lsodium -lcrypto -lb2 -lisal -lz -lxxhash -lpthread -lm

# Debian packages: build tools, the libraries the code links, and what the
# benchmarks (allocator rows) and fuzzers (clang's libFuzzer) use.
DEB_PKGS := gcc make pkg-config libc6-dev zlib1g-dev libisal-dev libxxhash-dev \
            libzstd-dev liblz4-dev libsodium-dev libssl-dev libb2-dev \
            libjemalloc-dev libmimalloc-dev clang libclang-rt-14-dev

# Only `make bench` needs these: Snappy (a codec row) and the peers the
# snapshot is measured against (bench_peers.cc, C++ for marisa).
BENCH_PKGS := libsnappy-dev liblmdb-dev libmarisa-dev libsqlite3-dev g++
BENCH_LIBS := -lsnappy -llmdb -lmarisa -lsqlite3
CXX      ?= c++

LIB_SRC  := $(wildcard src/*/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_SRC  := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/*.c)
FUZZ_TGT := $(wildcard fuzz/fuzz_*.c)
BENCHES  := $(patsubst bench/%.c,%,$(wildcard bench/bench_*.c)) \
            $(patsubst bench/%.cc,%,$(wildcard bench/bench_*.cc))

STATIC   := $(BUILD)/libpathspace.a
SHARED   := $(BUILD)/libpathspace.so
CLI      := $(BUILD)/pathspace
TESTBIN  := $(BUILD)/run_tests
REPLAY   := $(FUZZ_TGT:fuzz/%.c=$(BUILD)/replay_%)

.SECONDARY:
.PHONY: all lib deps bench-deps print-deps check test asan ubsan fuzz bench demo install uninstall clean help

all: $(STATIC) $(SHARED) $(CLI)
lib: $(STATIC) $(SHARED)

help:
	@echo "make            build libpathspace.a, libpathspace.so and the pathspace CLI"
	@echo "make demo       install deps, build, run the main job on built-in data"
	@echo "make check      install deps, build, run every test (ends 'N passed, N failed')"
	@echo "make asan|ubsan make check under AddressSanitizer / UBSan"
	@echo "make bench      build and run the benchmarks (tables, medians)"
	@echo "make fuzz       build libFuzzer targets with clang into $(BUILD)/fuzz/"
	@echo "make install    PREFIX=/usr/local: library, header, CLI, pathspace.pc"

deps:
	@sh tools/deps.sh $(DEB_PKGS)

print-deps:
	@echo $(DEB_PKGS)

$(BUILD)/%.o: %.c include/pathspace.h
	@mkdir -p $(dir $@)
	$(CC) $(PS_CFLAGS) -MMD -MP -c $< -o $@

-include $(LIB_OBJ:.o=.d)

$(STATIC): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SHARED): $(LIB_OBJ)
	$(CC) $(CFLAGS) -shared -Wl,-soname,libpathspace.so.0 -o $@ $^ $(LDLIBS)

$(CLI): $(CLI_SRC:%.c=$(BUILD)/%.o) $(STATIC)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# ---- tests: one runner binary, plus every fuzz target replayed on its corpus
$(TESTBIN): $(TEST_SRC:%.c=$(BUILD)/%.o) $(STATIC)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/replay_%: $(BUILD)/fuzz/%.o $(BUILD)/fuzz/replay.o $(STATIC)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

check test: deps $(TESTBIN) $(REPLAY) $(CLI)
	@sh tests/run.sh $(BUILD)

asan:
	$(MAKE) BUILD=build/asan OPT="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" check

ubsan:
	$(MAKE) BUILD=build/ubsan OPT="-O1 -g -fsanitize=undefined,float-divide-by-zero -fno-sanitize-recover=all" check

# ---- fuzz: libFuzzer builds (clang); run e.g. build/fuzz/fuzz_vec -max_total_time=60
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
              -std=c11 -D_GNU_SOURCE -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -Iinclude -Isrc
fuzz: deps
	@mkdir -p $(BUILD)/fuzz
	@for t in $(FUZZ_TGT); do n=$$(basename $$t .c); \
	  echo "CLANG $$n"; \
	  $(CLANG) $(FUZZ_FLAGS) -o $(BUILD)/fuzz/$$n $$t $(LIB_SRC) $(LDLIBS) || exit 1; done

# ---- benchmarks
$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/bench/common.o $(STATIC)
	$(CC) $(CFLAGS) -o $@ $^ $(BENCH_LIBS) $(LDLIBS)

$(BUILD)/bench/%: bench/%.cc $(BUILD)/bench/common.o $(STATIC) include/pathspace.h
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -Iinclude $(CFLAGS) -o $@ $< $(BUILD)/bench/common.o $(STATIC) $(BENCH_LIBS) $(LDLIBS)

bench-deps:
	@sh tools/deps.sh $(DEB_PKGS) $(BENCH_PKGS)

bench: bench-deps $(BENCHES:%=$(BUILD)/bench/%) $(CLI)
	@for b in $(BENCHES); do $(BUILD)/bench/$$b || exit 1; echo; done

# ---- the main job on a built-in default
demo: deps all
	@sh tools/demo.sh $(BUILD)

# ---- install
$(BUILD)/pathspace.pc: tools/pathspace.pc.in
	@mkdir -p $(BUILD)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(shell sed -n 's/^#define PS_VERSION_STRING "\(.*\)"/\1/p' include/pathspace.h)|' $< > $@

install: all $(BUILD)/pathspace.pc
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin
	install -m 644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED) $(DESTDIR)$(PREFIX)/lib/libpathspace.so.0
	ln -sf libpathspace.so.0 $(DESTDIR)$(PREFIX)/lib/libpathspace.so
	install -m 644 include/pathspace.h $(DESTDIR)$(PREFIX)/include/
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILD)/pathspace.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libpathspace.* $(DESTDIR)$(PREFIX)/include/pathspace.h \
	      $(DESTDIR)$(PREFIX)/bin/pathspace $(DESTDIR)$(PREFIX)/lib/pkgconfig/pathspace.pc

clean:
	rm -rf build

-include $(wildcard $(BUILD)/cli/*.d $(BUILD)/tests/*.d $(BUILD)/bench/*.d $(BUILD)/fuzz/*.d)
