/*
 * bench_vec.c - compact vector push rates against the raw-array limit, the
 * growth policies against each other, a naive realloc vector, and glibc
 * against jemalloc and mimalloc.
 *
 * Memory state is part of every row: "touched" rows write into memory that
 * was already faulted in; "fresh" rows allocate per run (at 10M elements
 * first-touch page faults, ~2 us per 4 KiB page here, dominate; at <= 100K
 * the allocator hands back recently freed, warm memory).
 * Usage: bench_vec [--child] (the child prints raw rows for the allocator
 * table; the parent runs it under LD_PRELOAD for each allocator).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pathspace.h"
#include "mem/vec.h"
#include "common.h"

typedef struct s64 {
    uint64_t w[8];
} s64;

PS_VEC_DEFINE(v32, uint32_t)
PS_VEC_DEFINE(v64, uint64_t)
PS_VEC_DEFINE(vs, s64)

static inline uint32_t mk_v32(uint32_t i) { return i * 2654435761u; }
static inline uint64_t mk_v64(uint32_t i) { return (uint64_t)i * 0x9E3779B97F4A7C15ull; }
static inline s64 mk_vs(uint32_t i)
{
    s64 s;
    for (int k = 0; k < 8; k++)
        s.w[k] = (uint64_t)i + (uint64_t)k;
    return s;
}

typedef struct job {
    uint32_t n, reps;
    void *mem;      /* pre-touched raw array, n elements */
    void *vec;      /* pre-touched, reserved vector      */
} job;

/* One set of variants per element type. */
#define VARIANTS(V, T)                                                         \
    static void V##_raw_touched(void *a_)                                      \
    {                                                                          \
        job *j = a_;                                                           \
        const uint32_t n = j->n;                                               \
        T *a = j->mem;                                                         \
        for (uint32_t r = 0; r < j->reps; r++) {                               \
            for (uint32_t i = 0; i < n; i++)                                \
                a[i] = mk_##V(i);                                              \
            CLOBBER(a);                                                        \
        }                                                                      \
    }                                                                          \
    /* The documented hot-loop idiom: work on a local copy, store it back. */ \
    static void V##_vec_touched(void *a_)                                      \
    {                                                                          \
        job *j = a_;                                                           \
        const uint32_t n = j->n;                                               \
        V v = *(V *)j->vec;                                                    \
        for (uint32_t r = 0; r < j->reps; r++) {                               \
            V##_clear(&v);                                                     \
            for (uint32_t i = 0; i < n; i++)                                   \
                if (V##_push(&v, mk_##V(i)))                                   \
                    abort();                                                   \
            CLOBBER(v.data);                                                   \
        }                                                                      \
        *(V *)j->vec = v;                                                      \
    }                                                                          \
    static void V##_vec_touched_ptr(void *a_)                                      \
    {                                                                          \
        job *j = a_;                                                           \
        const uint32_t n = j->n;                                               \
        V *v = j->vec;                                                         \
        for (uint32_t r = 0; r < j->reps; r++) {                               \
            V##_clear(v);                                                      \
            for (uint32_t i = 0; i < n; i++)                                \
                if (V##_push(v, mk_##V(i)))                                    \
                    abort();                                                   \
            CLOBBER(v->data);                                                  \
        }                                                                      \
    }                                                                          \
    static void V##_raw_fresh(void *a_)                                        \
    {                                                                          \
        job *j = a_;                                                           \
        const uint32_t n = j->n;                                               \
        for (uint32_t r = 0; r < j->reps; r++) {                               \
            T *a = malloc((size_t)n * sizeof(T));                                     \
            if (!a)                                                            \
                abort();                                                       \
            for (uint32_t i = 0; i < n; i++)                                \
                a[i] = mk_##V(i);                                              \
            CLOBBER(a);                                                        \
            free(a);                                                           \
        }                                                                      \
    }                                                                          \
    static void V##_vec_reserved_fresh(void *a_)                               \
    {                                                                          \
        job *j = a_;                                                           \
        const uint32_t n = j->n;                                               \
        for (uint32_t r = 0; r < j->reps; r++) {                               \
            V v;                                                               \
            if (V##_with_capacity(&v, n))                                      \
                abort();                                                       \
            for (uint32_t i = 0; i < n; i++)                                \
                if (V##_push(&v, mk_##V(i)))                                   \
                    abort();                                                   \
            CLOBBER(v.data);                                                   \
            V##_free(&v);                                                      \
        }                                                                      \
    }                                                                          \
    static void V##_vec_grow(void *a_)                                         \
    {                                                                          \
        job *j = a_;                                                           \
        const uint32_t n = j->n;                                               \
        for (uint32_t r = 0; r < j->reps; r++) {                               \
            V v;                                                               \
            V##_init(&v);                                                      \
            for (uint32_t i = 0; i < n; i++)                                \
                if (V##_push(&v, mk_##V(i)))                                   \
                    abort();                                                   \
            CLOBBER(v.data);                                                   \
            V##_free(&v);                                                      \
        }                                                                      \
    }                                                                          \
    static void V##_vec_fill(void *a_)                                         \
    {                                                                          \
        job *j = a_;                                                           \
        const uint32_t n = j->n;                                               \
        for (uint32_t r = 0; r < j->reps; r++) {                               \
            V v;                                                               \
            int rc;                                                            \
            V##_init(&v);                                                      \
            T *p = V##_extend_uninit(&v, n, &rc);                              \
            if (!p)                                                            \
                abort();                                                       \
            for (uint32_t i = 0; i < n; i++)                                \
                p[i] = mk_##V(i);                                              \
            CLOBBER(v.data);                                                   \
            V##_free(&v);                                                      \
        }                                                                      \
    }                                                                          \
    /* The textbook vector: x1.5 by realloc, capacity = what was asked. */    \
    static void V##_naive_grow(void *a_)                                       \
    {                                                                          \
        job *j = a_;                                                           \
        const uint32_t n = j->n;                                               \
        for (uint32_t r = 0; r < j->reps; r++) {                               \
            T *d = NULL;                                                       \
            size_t len = 0, cap = 0;                                           \
            for (uint32_t i = 0; i < n; i++) {                              \
                if (len == cap) {                                              \
                    cap = cap ? cap + cap / 2 : 16;                            \
                    T *nd = realloc(d, cap * sizeof(T));                       \
                    if (!nd)                                                   \
                        abort();                                               \
                    d = nd;                                                    \
                }                                                              \
                d[len++] = mk_##V(i);                                          \
            }                                                                  \
            CLOBBER(d);                                                        \
            free(d);                                                           \
        }                                                                      \
    }                                                                          \
    static void V##_setup(job *j)                                              \
    {                                                                          \
        static V keep;                                                         \
        j->mem = malloc((size_t)j->n * sizeof(T));                             \
        if (!j->mem || V##_with_capacity(&keep, j->n))                         \
            abort();                                                           \
        memset(j->mem, 1, (size_t)j->n * sizeof(T));                           \
        memset(keep.data, 1, (size_t)keep.cap * sizeof(T));                    \
        j->vec = &keep;                                                        \
    }                                                                          \
    static void V##_teardown(job *j)                                           \
    {                                                                          \
        free(j->mem);                                                          \
        V##_free(j->vec);                                                      \
    }

VARIANTS(v32, uint32_t)
VARIANTS(v64, uint64_t)
VARIANTS(vs, s64)

enum { ROW_RAW_T, ROW_VEC_T, ROW_VEC_TP, ROW_RAW_F, ROW_VEC_RF, ROW_FILL, ROW_GROW_AD, ROW_GROW_X2,
       ROW_GROW_X15, ROW_GROW_NOUS, ROW_NAIVE, NROWS };

static const struct {
    const char *name, *mem;
    int base; /* row it is compared with */
} rows[NROWS] = {
    [ROW_RAW_T] = { "raw array store (limit)", "touched", ROW_RAW_T },
    [ROW_VEC_T] = { "ps vec push, reserved", "touched", ROW_RAW_T },
    [ROW_VEC_TP] = { "ps vec push, reserved, via ptr", "touched", ROW_RAW_T },
    [ROW_RAW_F] = { "raw array store (limit)", "fresh", ROW_RAW_F },
    [ROW_VEC_RF] = { "ps vec push, reserved", "fresh", ROW_RAW_F },
    [ROW_FILL] = { "ps vec extend_uninit+fill", "fresh", ROW_RAW_F },
    [ROW_GROW_AD] = { "ps vec push, growth (default)", "fresh", ROW_RAW_F },
    [ROW_GROW_X2] = { "ps vec push, growth x2", "fresh", ROW_RAW_F },
    [ROW_GROW_X15] = { "ps vec push, growth x1.5", "fresh", ROW_RAW_F },
    [ROW_GROW_NOUS] = { "ps vec, default, no usable_size", "fresh", ROW_RAW_F },
    [ROW_NAIVE] = { "naive vec, realloc x1.5", "fresh", ROW_RAW_F },
};

typedef struct typeset {
    const char *name;
    void (*setup)(job *), (*teardown)(job *);
    void (*fn[NROWS])(void *);
} typeset;

#define TYPESET(V, label)                                                      \
    { label, V##_setup, V##_teardown,                                          \
      { V##_raw_touched, V##_vec_touched, V##_vec_touched_ptr, V##_raw_fresh, V##_vec_reserved_fresh, \
        V##_vec_fill, V##_vec_grow, V##_vec_grow, V##_vec_grow, V##_vec_grow,  \
        V##_naive_grow } }

static const typeset types[] = {
    TYPESET(v32, "u32"),
    TYPESET(v64, "u64"),
    TYPESET(vs, "64-byte struct"),
};

static void policy_for(int row)
{
    switch (row) {
    case ROW_GROW_X2: ps__vec_set_growth(PS_GROW_X2, 1); break;
    case ROW_GROW_X15: ps__vec_set_growth(PS_GROW_X1_5, 1); break;
    case ROW_GROW_NOUS: ps__vec_set_growth(PS_GROW_ADAPTIVE, 0); break;
    default: ps__vec_set_growth(PS_GROW_ADAPTIVE, 1); break;
    }
}

/* Median pushes/s of one row at n elements. */
static double measure(const typeset *t, int row, uint32_t n)
{
    job j = { .n = n, .reps = n >= 16000000 ? 1 : 16000000 / n };
    if (row <= ROW_VEC_TP)
        t->setup(&j);
    policy_for(row);
    double s = bench_time(t->fn[row], &j);
    policy_for(-1);
    if (row <= ROW_VEC_TP)
        t->teardown(&j);
    return (double)n * j.reps / s;
}

static void main_table(const uint32_t *sizes, int ns)
{
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        const typeset *t = &types[ti];
        double r[NROWS][8];
        printf("%s push, glibc malloc: M pushes/s (ratio to the raw array in the same memory state), "
               "median of %d\n", t->name, bench_reps());
        printf("%-33s %-8s", "variant", "memory");
        for (int k = 0; k < ns; k++)
            printf(" %10u      ", sizes[k]);
        printf("\n");
        for (int k = 0; k < ns; k++)
            for (int row = 0; row < NROWS; row++)
                r[row][k] = measure(t, row, sizes[k]);
        for (int row = 0; row < NROWS; row++) {
            printf("%-33s %-8s", rows[row].name, rows[row].mem);
            for (int k = 0; k < ns; k++) {
                double ratio = r[row][k] / r[rows[row].base][k];
                printf(" %8.0f (%4.2fx)", r[row][k] / 1e6, ratio);
            }
            printf("\n");
        }
        printf("\n");
    }
}

/* Child: a few rows under whatever malloc LD_PRELOAD gave us. */
static int child(uint32_t n)
{
    static const int crow[] = { ROW_RAW_F, ROW_GROW_AD, ROW_NAIVE };
    for (int ti = 0; ti < 3; ti += 2)
        for (int k = 0; k < 3; k++)
            printf("%d %d %.0f\n", ti, crow[k], measure(&types[ti], crow[k], n));
    return 0;
}

static void alloc_table(uint32_t n)
{
    static const char *names[3] = { "glibc", "jemalloc", "mimalloc" };
    static const char *libs[3] = { "", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
                                   "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2" };
    double r[3][NROWS][3] = { { { 0 } } };
    char self[4096], cmd[8192];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0)
        return;
    self[sl] = 0;
    for (int a = 0; a < 3; a++) {
        if (a && access(libs[a], R_OK) != 0)
            continue;
        snprintf(cmd, sizeof cmd, "LD_PRELOAD=%s '%s' --child %u", libs[a], self, n);
        FILE *p = popen(cmd, "r");
        int ti, row;
        double v;
        while (p && fscanf(p, "%d %d %lf", &ti, &row, &v) == 3)
            if (ti >= 0 && ti < 3 && row >= 0 && row < NROWS)
                r[ti][row][a] = v;
        if (p)
            pclose(p);
    }
    printf("allocators at %u elements, fresh memory: M pushes/s (ratio to the raw array, same allocator)\n", n);
    printf("%-16s %-33s %16s %16s %16s\n", "type", "variant", names[0], names[1], names[2]);
    static const int crow[] = { ROW_RAW_F, ROW_GROW_AD, ROW_NAIVE };
    for (int ti = 0; ti < 3; ti += 2)
        for (int k = 0; k < 3; k++) {
            printf("%-16s %-33s", types[ti].name, rows[crow[k]].name);
            for (int a = 0; a < 3; a++) {
                double base = r[ti][ROW_RAW_F][a];
                if (base > 0)
                    printf(" %8.0f (%4.2fx)", r[ti][crow[k]][a] / 1e6, r[ti][crow[k]][a] / base);
                else
                    printf(" %16s", "n/a");
            }
            printf("\n");
        }
}

int main(int argc, char **argv)
{
    static const uint32_t full[] = { 1000, 10000, 100000, 10000000 };
    static const uint32_t quick[] = { 100, 1000, 10000, 100000 };
    const uint32_t *sizes = bench_quick() ? quick : full;
    if (argc > 2 && !strcmp(argv[1], "--child"))
        return child((uint32_t)strtoul(argv[2], NULL, 10));
    printf("== bench_vec: compact vector (ps vec) ==\n\n");
    main_table(sizes, 4);
    alloc_table(sizes[3]);
    return 0;
}
