/*
 * limits.c - the process-wide reader limits (pathspace.h, "limits").
 *
 * Readers copy them when they are created, so a change affects only
 * readers made afterwards; the fields are atomics, so setting them from
 * one thread while another opens a reader is safe (a reader may see a mix
 * of an old and a new field, each of them valid).
 */
#include <stdatomic.h>
#include <string.h>

#include "limits.h"
#include "opts.h"

static _Atomic uint64_t g_max_atom = PS_ATOM_MAX_DEFAULT;
static _Atomic uint32_t g_expansion = PS_EXPANSION_DEFAULT;
static _Atomic uint64_t g_min_budget = PS_BUDGET_MIN_DEFAULT;

void ps_limits_init(ps_limits *l)
{
    memset(l, 0, sizeof *l);
    l->size = sizeof *l;
    l->max_atom = PS_ATOM_MAX_DEFAULT;
    l->max_expansion = PS_EXPANSION_DEFAULT;
    l->min_budget = PS_BUDGET_MIN_DEFAULT;
}

int ps_limits_set(const ps_limits *user)
{
    ps_limits l;
    ps_limits_init(&l);
    int rc = ps__opts_copy(&l, sizeof l, user);
    if (rc)
        return rc;
    if (!l.max_atom || !l.max_expansion)
        return PS_E_INVAL;
    atomic_store(&g_max_atom, l.max_atom);
    atomic_store(&g_expansion, l.max_expansion);
    atomic_store(&g_min_budget, l.min_budget);
    return PS_OK;
}

void ps_limits_get(ps_limits *l)
{
    ps_limits_init(l);
    l->max_atom = atomic_load(&g_max_atom);
    l->max_expansion = atomic_load(&g_expansion);
    l->min_budget = atomic_load(&g_min_budget);
}

uint64_t ps__budget(uint64_t input_bytes)
{
    uint64_t e = atomic_load(&g_expansion), m = atomic_load(&g_min_budget), b;
    if (__builtin_mul_overflow(input_bytes, e, &b))
        b = UINT64_MAX;
    return b > m ? b : m;
}

uint64_t ps__max_atom(void)
{
    return atomic_load(&g_max_atom);
}

int ps__budget_charge(uint64_t *used, uint64_t budget, uint64_t path_len)
{
    uint64_t c;
    if (__builtin_add_overflow(*used, path_len, &c) || __builtin_add_overflow(c, PS_PATH_COST, &c) ||
        c > budget)
        return 0;
    *used = c;
    return 1;
}
