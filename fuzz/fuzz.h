/* fuzz.h - the libFuzzer entry point every fuzz/fuzz_*.c defines. */
#ifndef PS_FUZZ_H
#define PS_FUZZ_H
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#endif
