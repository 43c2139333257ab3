/* forks.c - the served space's forked children (a checkpoint, an export,
 * a long search or count): each dies with its parent, holds none of the
 * parent's sockets, and lets go of the directory's lock. A child that
 * outlived a killed server kept its listening sockets and its directory
 * lock, and a supervisor's immediate restart failed (docs/security.md,
 * "Faults"). Both front ends fork through here, so no child misses a
 * step. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "served_priv.h"
#include "store/pspace.h"

/* Closes every socket: the listeners and connections of both front ends,
 * whatever they are. */
static void close_sockets(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return; /* no /proc: the sockets stay, the death signal still holds */
    int self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        int fd = atoi(e->d_name);
        struct stat st;
        if (e->d_name[0] != '.' && fd > 2 && fd != self && !fstat(fd, &st) && S_ISSOCK(st.st_mode))
            close(fd);
    }
    closedir(d);
}

/* In the child, first. -1 if the parent is already gone. */
static int child_begin(ps_served *sv, pid_t parent)
{
    /* SIGKILL when the forking thread ends; the parent may already have
     * died between fork() and here, and then nobody would send it */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
        return -1;
    /* below the server's own threads: on a busy machine its loop, which
     * every client waits on, gets the processor first */
    int niceness = nice(10); /* refused: the same work at the same priority */
    (void)niceness;
    close_sockets();
    ps__pspace_forked(sv->p);
    return 0;
}

pid_t ps__served_fork(ps_served *sv)
{
    pid_t parent = getpid(), pid = fork();
    if (pid == 0 && child_begin(sv, parent))
        _exit(127);
    return pid;
}

int ps__served_tmp_file(void)
{
    const char *dir = getenv("TMPDIR");
    return open(dir && *dir ? dir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}
