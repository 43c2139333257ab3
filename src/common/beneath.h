/* beneath.h - paths resolved under a root, never outside it. */
#ifndef PS_COMMON_BENEATH_H
#define PS_COMMON_BENEATH_H

/* Opens the directory at rel ("a/b/c") under dirfd, one component at a
 * time, never following a symlink; create makes missing ones (and fsyncs
 * each parent it changed unless nosync). * -1 with errno on failure. */
int ps__open_dir(int dirfd, const char *rel, int create, int sync);
/* Opens the directory that holds rel's last component, under dirfd as
 * ps__open_dir does (dirfd itself, duplicated, when rel has no '/'), and
 * points *base at that component. -1 with errno. */
int ps__open_parent(int dirfd, const char *rel, const char **base);
/* Opens the last component of rel for reading (O_NOFOLLOW) under the
 * directories it names (O_CREAT makes it 0644). -1 with errno. */
int ps__open_file(int dirfd, const char *rel, int flags);

#endif
