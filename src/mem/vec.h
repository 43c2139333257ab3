/*
 * vec.h - private knobs of the compact vector, for benchmarks and tests.
 * The public interface is PS_VEC_DEFINE in pathspace.h.
 */
#ifndef PS_MEM_VEC_H
#define PS_MEM_VEC_H

enum ps_vec_growth {
    PS_GROW_X2 = 0,       /* double                                     */
    PS_GROW_X1_5 = 1,     /* x1.5                                       */
    PS_GROW_ADAPTIVE = 2, /* x2 below 64 KiB, x1.5 below 64 MiB, x1.25  */
};

/* Process-wide; set before any vector grows (benchmarks compare policies). */
void ps__vec_set_growth(int policy, int use_usable_size);

#endif
