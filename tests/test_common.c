/* test_common.c - version, error names, LE helpers, checked arithmetic. */
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "cases.h"

void t_version(void)
{
    CHECK_EQ(ps_version(), PS_VERSION_NUMBER);
    CHECK(strcmp(ps_version_string(), PS_VERSION_STRING) == 0);
}

void t_strerror(void)
{
    for (int i = 0; i < PS_ERR_COUNT; i++) {
        const char *s = ps_strerror(i);
        CHECK(s && strcmp(s, "unknown error") != 0);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(s, ps_strerror(j)) != 0);
    }
    CHECK(strcmp(ps_strerror(-1), "unknown error") == 0);
    CHECK(strcmp(ps_strerror(PS_ERR_COUNT), "unknown error") == 0);
}

void t_le_helpers(void)
{
    uint8_t b[8];
    ps_write_le16(b, 0x1234);
    CHECK(b[0] == 0x34 && b[1] == 0x12);
    ps_write_le32(b, 0x89ABCDEFu);
    CHECK(b[0] == 0xEF && b[1] == 0xCD && b[2] == 0xAB && b[3] == 0x89);
    CHECK_EQ(ps_read_le32(b), 0x89ABCDEFu);
    ps_write_le64(b, 0x0102030405060708ull);
    CHECK(b[0] == 8 && b[7] == 1);
    CHECK(ps_read_le64(b) == 0x0102030405060708ull);
    CHECK_EQ(ps_read_le16(b + 1), 0x0607);
    /* unaligned */
    uint8_t u[9] = { 0 };
    ps_write_le64(u + 1, UINT64_MAX - 1);
    CHECK(ps_read_le64(u + 1) == UINT64_MAX - 1);
}

void t_size_bound(void)
{
    size_t out = 7;
    CHECK_OK(ps_size_bound(10, 4, 16, &out));
    CHECK_EQ(out, 56);
    CHECK_RC(ps_size_bound(SIZE_MAX / 2 + 1, 2, 0, &out), PS_E_OVERFLOW);
    CHECK_RC(ps_size_bound(1, SIZE_MAX, 1, &out), PS_E_OVERFLOW);
    CHECK_OK(ps_size_bound(0, SIZE_MAX, SIZE_MAX, &out));
    CHECK(out == SIZE_MAX);
    ps_bytes a = ps_bytes_of("ab", 2), b = ps_bytes_of("abc", 3);
    CHECK(ps_bytes_cmp(a, b) < 0 && ps_bytes_cmp(b, a) > 0 && ps_bytes_cmp(a, a) == 0);
    CHECK(ps_bytes_cmp(ps_bytes_of("b", 1), b) > 0);
    CHECK(ps_bytes_cmp(ps_bytes_of(NULL, 0), ps_bytes_of(NULL, 0)) == 0);
}

/* Option structs across versions: a shorter (older) struct keeps the
 * defaults for the fields it lacks; a longer (newer) one is taken when the
 * extra bytes are zero and refused when they are not; a struct whose size
 * was never set is refused. */
void t_opts_sizes(void)
{
    int codec, level;
    ps_snap_opts o;
    ps_snap_opts_init(&o);
    CHECK_EQ(o.size, sizeof o);
    o.codec = PS_CODEC_LZ4;
    CHECK_OK(ps_snap_resolve(&o, 1 << 20, &codec, &level));
    CHECK_EQ(codec, PS_CODEC_LZ4);
    o.size = (uint32_t)offsetof(ps_snap_opts, codec); /* a caller from before .codec */
    CHECK_OK(ps_snap_resolve(&o, 1 << 20, &codec, &level));
    CHECK_EQ(codec, PS_CODEC_ZSTD); /* the default, not the stale field */
    CHECK_EQ(level, 1);
    struct {
        ps_snap_opts o;
        uint64_t newer;
    } big;
    memset(&big, 0, sizeof big);
    ps_snap_opts_init(&big.o);
    big.o.size = sizeof big;
    CHECK_OK(ps_snap_resolve(&big.o, 0, &codec, &level));
    big.newer = 1;
    CHECK_RC(ps_snap_resolve(&big.o, 0, &codec, &level), PS_E_UNSUPPORTED);
    o.size = 0;
    CHECK_RC(ps_snap_resolve(&o, 0, &codec, &level), PS_E_INVAL);
    ps_store_opts so = { 0 };
    ps_store *st = NULL;
    ps_diag d = { 0 };
    CHECK_RC(ps_store_open("/nonexistent-dir", &so, 0, &st, &d), PS_E_INVAL);
    CHECK(strstr(d.msg, "size") != NULL);
    ps_pspace_opts po;
    ps_pspace_opts_init(&po);
    CHECK(po.size == sizeof po && po.keep == 2 && po.fsync == PS_FSYNC_ALWAYS);
    ps_paths_opts pa;
    ps_paths_opts_init(&pa);
    CHECK(pa.size == sizeof pa && pa.level == PS_PATHS_LEVEL_DEFAULT);
}

/* The harness itself (tests/cli_harness.sh drives it): with
 * PS_TEST_SELFTEST set, this case crashes, hangs, fails a REQUIRE or skips,
 * and the runner must report that case by name and still run the rest. */
void t_harness_selftest(void)
{
    const char *how = getenv("PS_TEST_SELFTEST");
    if (!how || !*how)
        return;
    if (!strcmp(how, "crash"))
        abort();
    if (!strcmp(how, "segv")) /* under ASan: its report, then exit 1 */
        raise(SIGSEGV);
    if (!strcmp(how, "hang"))
        for (;;)
            pause();
    if (!strcmp(how, "skip"))
        t_skip("asked to skip");
    if (!strcmp(how, "require")) {
        REQUIRE(how == NULL);
        printf("REQUIRE did not stop the case\n");
    }
}
