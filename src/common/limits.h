/* limits.h - the reader limits, as the readers take them (pathspace.h). */
#ifndef PS_COMMON_LIMITS_H
#define PS_COMMON_LIMITS_H

#include "pathspace.h"

/* What an input of input_bytes may decode to: max(min_budget, expansion x
 * input_bytes), saturating. */
uint64_t ps__budget(uint64_t input_bytes);
/* The longest atom readers accept. */
uint64_t ps__max_atom(void);
/* Charges one path of path_len bytes (+ PS_PATH_COST) to *used: 0, and
 * *used unchanged, when that passes budget. */
int ps__budget_charge(uint64_t *used, uint64_t budget, uint64_t path_len);

#endif
