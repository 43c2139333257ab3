/* fuzz.h - the libFuzzer entry point every fuzz/fuzz_*.c defines. */
#ifndef PS_FUZZ_H
#define PS_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* A property every input must keep: abort, so libFuzzer and replay report it. */
#define REQUIRE(c)                                                             \
    do {                                                                       \
        if (!(c))                                                              \
            abort();                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef PS_FUZZ_PSPACE
#include <stdio.h>
#include <unistd.h>

#include "pathspace.h"

/* A throwaway persistent space in a new directory under /tmp: no fsync,
 * no final checkpoint (the servers' targets). */
static inline ps_pspace *fuzz_pspace(const char *name)
{
    char dir[128];
    snprintf(dir, sizeof dir, "/tmp/ps_fuzz_%s_XXXXXX", name);
    REQUIRE(mkdtemp(dir));
    ps_pspace_opts po;
    ps_pspace_opts_init(&po);
    po.fsync = PS_FSYNC_NEVER;
    po.no_final_ckpt = 1;
    ps_pspace *sp;
    REQUIRE(ps_pspace_open(dir, &po, &sp, NULL, NULL) == PS_OK);
    return sp;
}
#endif
#endif
