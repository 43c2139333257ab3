/*
 * savefile.c - ps_space_save_file: a space into a file, published whole or
 * not at all. The bytes go to a temporary name beside the file, are
 * synced, and take the file's name with rename(2), whose directory is then
 * synced: a crash leaves the old file or the new one, never a part
 * (style.md, item 11; Redis's rdbSave).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/diag.h"
#include "pathspace.h"

/* Syncs the directory that holds path (its entry is then durable). */
static int sync_dir(const char *path)
{
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd < 0 || fsync(fd) ? -1 : 0;
    if (fd >= 0)
        close(fd);
    return rc;
}

int ps_space_save_file(const ps_space *s, const char *file, int format, ps_diag *d)
{
    if (!format && !(format = ps_format_of(file)))
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "%s: no format, and no known extension", file);
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", file) >= sizeof tmp)
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "%s: name too long", file);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return ps__diag_set(d, PS_E_IO, NULL, 0, "%s: %s", file, strerror(errno));
    int rc = fchmod(fd, 0644) ? PS_E_IO : ps_space_save(s, ps_sink_fd(fd), format, d);
    const char *step = rc ? "write" : fsync(fd) ? "fsync" : NULL;
    if (close(fd) && !step)
        step = "close";
    if (!step && rename(tmp, file))
        step = "rename";
    if (step) {
        int e = errno;
        unlink(tmp);
        return rc ? rc : ps__diag_set(d, PS_E_IO, NULL, 0, "%s: %s: %s", file, step, strerror(e));
    }
    if (sync_dir(file))
        return ps__diag_set(d, PS_E_IO, NULL, 0, "%s: fsync of its directory: %s", file,
                            strerror(errno));
    return PS_OK;
}
