/*
 * vec.c - the cold half of the compact vector: growth and freeing.
 *
 * The hot half (push, get, ...) is inline in pathspace.h. Everything here
 * runs once per reallocation, so it may be careful rather than quick:
 * every size is computed with overflow checks in 64 bits before it is
 * narrowed to the u32 capacity.
 *
 * Growth policy (docs/vector.md has the measurements): x2 while the block is
 * under 64 KiB, x1.5 under 64 MiB, x1.25 above. Small vectors double so that
 * building many tiny arenas costs few reallocs; large ones grow gently so a
 * near-full 4 GiB arena does not ask for 8 GiB. glibc grows large blocks with
 * mremap, so the gentler factor costs no copying there.
 */
#include <malloc.h>
#include <stdalign.h>

#include "pathspace.h"
#include "common/alloc.h"
#include "vec.h"

static int growth_policy = PS_GROW_ADAPTIVE;
static int usable_size_on = 1;

void ps__vec_set_growth(int policy, int use_usable_size)
{
    growth_policy = policy;
    usable_size_on = use_usable_size;
}

static uint64_t grown(uint64_t cap, size_t esize)
{
    uint64_t bytes = cap * (uint64_t)esize;
    switch (growth_policy) {
    case PS_GROW_X2:
        return cap * 2;
    case PS_GROW_X1_5:
        return cap + cap / 2;
    default:
        if (bytes < (64u << 10))
            return cap * 2;
        if (bytes < (64u << 20))
            return cap + cap / 2;
        return cap + cap / 4;
    }
}

/* Does a block of n elements of esize bytes fit comfortably in size_t? */
static int bytes_fit(uint64_t n, size_t esize)
{
    uint64_t bytes;
    return !__builtin_mul_overflow(n, (uint64_t)esize, &bytes) && bytes <= SIZE_MAX / 2;
}

uint64_t ps_vec_next_cap(uint64_t cap, uint64_t need, size_t esize)
{
    if (esize == 0 || need > PS_VEC_MAX_LEN || !bytes_fit(need, esize))
        return 0;
    /* First allocation: at least 64 bytes' worth, so tiny vectors skip the
     * 1, 2, 4 ... ladder of reallocs. */
    uint64_t want = cap ? grown(cap, esize) : (64 + esize - 1) / esize;
    if (want < need)
        want = need;
    if (want > PS_VEC_MAX_LEN)
        want = PS_VEC_MAX_LEN;
    return bytes_fit(want, esize) ? want : need;
}

static int is_over_aligned(size_t align)
{
    return align > alignof(max_align_t);
}

/* Over-aligned element types: a fresh aligned block and a copy. realloc
 * cannot keep the alignment and malloc_usable_size is not defined for
 * posix_memalign blocks in general, so capacity is exactly what we asked. */
static int realloc_aligned(void **data, uint32_t *cap, uint32_t len,
                           uint64_t ncap, size_t esize, size_t align)
{
    size_t bytes = (size_t)ncap * esize;
    void *p = ps_aligned_alloc(align, bytes);
    if (!p)
        return PS_E_NOMEM;
    if (len)
        memcpy(p, *data, (size_t)len * esize);
    free(*data);
    *data = p;
    *cap = (uint32_t)ncap;
    return PS_OK;
}

int ps_vec_reserve_raw(void **data, uint32_t *cap, uint32_t len, uint64_t need,
                       size_t esize, size_t align, int mode)
{
    uint64_t ncap;
    if (need < len)
        return PS_E_INVAL;
    if (mode == 0 && need <= *cap)
        return PS_OK;
    if (mode == 0) {
        ncap = ps_vec_next_cap(*cap, need, esize);
    } else {
        if (mode == 1 && need <= *cap)
            return PS_OK;
        ncap = need <= PS_VEC_MAX_LEN && bytes_fit(need, esize) ? need : 0;
    }
    if (ncap == 0)
        return PS_E_OVERFLOW;
    if (is_over_aligned(align))
        return realloc_aligned(data, cap, len, ncap, esize, align);

    void *p = ps_realloc(*data, (size_t)ncap * esize);
    if (!p)
        return PS_E_NOMEM;
    if (usable_size_on) {
        /* Take what the allocator really gave: no allocated byte idles. */
        uint64_t real = malloc_usable_size(p) / esize;
        if (real > ncap)
            ncap = real > PS_VEC_MAX_LEN ? PS_VEC_MAX_LEN : real;
    }
    *data = p;
    *cap = (uint32_t)ncap;
    return PS_OK;
}

void ps_vec_free_raw(void *data, size_t align)
{
    (void)align; /* posix_memalign blocks are released by free() too */
    free(data);
}
