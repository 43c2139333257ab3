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
#endif
