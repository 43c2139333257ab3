/*
 * replay.c - runs a libFuzzer target without libFuzzer, so `make check`
 * exercises every fuzz target with plain gcc (after zstd's
 * regression_driver.c). Feeds it every file under the directories named on
 * the command line (missing ones are skipped), then PS_REPLAY_RANDOM
 * (default 2000) seeded random inputs. A crash or sanitizer report fails.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static long run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    size_t got = buf ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    if (buf)
        LLVMFuzzerTestOneInput(buf, got);
    free(buf);
    return 1;
}

static long run_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return run_file(dir);
    DIR *d = opendir(dir);
    long n = 0;
    struct dirent *e;
    char path[4096];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        n += run_dir(path);
    }
    if (d)
        closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    long files = 0;
    for (int i = 1; i < argc; i++)
        files += run_dir(argv[i]);
    const char *env = getenv("PS_REPLAY_RANDOM");
    long nrand = env ? atol(env) : 2000;
    uint64_t s = 0x243F6A8885A308D3ull;
    uint8_t *buf = malloc(4096);
    for (long k = 0; k < nrand && buf; k++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        size_t n = (size_t)(s >> 33) % 4096;
        for (size_t i = 0; i < n; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            buf[i] = (uint8_t)(s >> 56);
        }
        LLVMFuzzerTestOneInput(buf, n);
    }
    free(buf);
    printf("replay %s: %ld corpus files, %ld random inputs, no crash\n",
           argc > 1 ? argv[1] : "-", files, nrand);
    return 0;
}
