/* child.c - the first steps of a server's forked child (a checkpoint, an
 * export): it dies with its parent, and it holds none of the parent's
 * sockets. A child that outlived a killed server kept its listening
 * sockets and its directory lock, and a supervisor's immediate restart
 * failed (docs/security.md, "Faults"). */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "child.h"

int ps__child_begin(pid_t parent)
{
    /* SIGKILL when the forking thread ends; the parent may already have
     * died between fork() and here, and then nobody would send it */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
        return -1;
    /* below the server's own threads: on a busy machine its loop, which
     * every client waits on, gets the processor first */
    int niceness = nice(10); /* refused: the same work at the same priority */
    (void)niceness;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 0; /* no /proc: the sockets stay, the death signal still holds */
    int self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        int fd = atoi(e->d_name);
        struct stat st;
        if (e->d_name[0] != '.' && fd > 2 && fd != self && !fstat(fd, &st) && S_ISSOCK(st.st_mode))
            close(fd);
    }
    closedir(d);
    return 0;
}
