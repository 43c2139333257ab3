/* mapfile.h - a whole regular file mapped read-only (ACT and snapshot readers). */
#ifndef PS_COMMON_MAPFILE_H
#define PS_COMMON_MAPFILE_H

#include "pathspace.h"

/* Maps file; an empty file gives *data NULL and *len 0. PS_E_IO ("cannot
 * open", errno kept) or PS_E_INVAL (not a regular file) with d. */
int ps__map_file(const char *file, const void **data, size_t *len, ps_diag *d);
/* The same for an open descriptor, which it closes in every case. */
int ps__map_fd(int fd, const void **data, size_t *len, ps_diag *d);
void ps__unmap_file(const void *data, size_t len);

#endif
