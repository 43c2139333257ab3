/* child.h - a server's forked child: dies with its parent, holds no socket. */
#ifndef PS_COMMON_CHILD_H
#define PS_COMMON_CHILD_H

#include <sys/types.h>

/* In the child, first: asks for SIGKILL when the forking thread of parent
 * ends, and closes every socket. -1 if parent is already gone: _exit. */
int ps__child_begin(pid_t parent);

#endif
