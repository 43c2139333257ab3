/*
 * actdir.c - ACT files by name (exec_priv.h). MORK reads and writes
 * /dev/shm/NAME.act; here a name resolves under the one directory the
 * user gave, never elsewhere: a name is a plain file name (no '/', no NUL,
 * not "." or ".."), and a symbolic link there is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec_priv.h"

#define ACT_NAME_MAX 200

/* DIR/name.act into path, or -1 for a name that is not a plain one. */
static int path_of(const actdir *a, ps_bytes name, char *path, size_t cap)
{
    if (!a->dir || !name.len || name.len > ACT_NAME_MAX || memchr(name.ptr, '/', name.len) ||
        memchr(name.ptr, 0, name.len) || (name.len == 1 && name.ptr[0] == '.') ||
        (name.len == 2 && !memcmp(name.ptr, "..", 2)) || name.ptr[0] == '.')
        return -1;
    int n = snprintf(path, cap, "%s/%.*s.act", a->dir, (int)name.len, (const char *)name.ptr);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int slot_of(const actdir *a, ps_bytes name)
{
    for (int i = 0; i < ACT_CACHE; i++) {
        const char *n = a->open[i].name;
        if (n && strlen(n) == name.len && !memcmp(n, name.ptr, name.len))
            return i;
    }
    return -1;
}

static void forget(actdir *a, int i)
{
    ps_act_close(a->open[i].act);
    free(a->open[i].name);
    a->open[i].act = NULL;
    a->open[i].name = NULL;
}

int ps__act_get(actdir *a, ps_bytes name, ps_act **out, int *detail)
{
    char path[4096];
    struct stat st;
    int i = slot_of(a, name);
    if (i >= 0) {
        *out = a->open[i].act;
        return PS_OK;
    }
    *detail = PS_E_INVAL;
    if (path_of(a, name, path, sizeof path))
        return PS_EXEC_E_ACT;
    *detail = PS_E_NOTFOUND;
    if (lstat(path, &st) || !S_ISREG(st.st_mode))
        return PS_EXEC_E_ACT;
    ps_diag d;
    ps_act *act;
    if ((*detail = ps_act_open(path, &act, &d)))
        return PS_EXEC_E_ACT;
    for (i = 0; i < ACT_CACHE && a->open[i].name; i++)
        ;
    if (i == ACT_CACHE)
        forget(a, i = (int)(a->next++ % ACT_CACHE));
    if (!(a->open[i].name = strndup((const char *)name.ptr, name.len))) {
        ps_act_close(act);
        return *detail = PS_E_NOMEM, PS_EXEC_E_NOMEM;
    }
    a->open[i].act = act;
    *detail = 0;
    *out = act;
    return PS_OK;
}

int ps__act_put(actdir *a, ps_bytes name, const ps_space *s, int *detail)
{
    char path[4096], tmp[4200];
    *detail = PS_E_INVAL;
    if (path_of(a, name, path, sizeof path))
        return PS_EXEC_E_ACT;
    int i = slot_of(a, name);
    if (i >= 0)
        forget(a, i); /* the next read maps the new file */
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    *detail = PS_E_IO;
    if (fd < 0)
        return PS_EXEC_E_ACT;
    int rc = ps_space_write_act(s, ps_sink_fd(fd), NULL);
    if (close(fd) && !rc)
        rc = PS_E_IO;
    if (!rc && rename(tmp, path))
        rc = PS_E_IO;
    if (rc) {
        unlink(tmp);
        *detail = rc;
        return PS_EXEC_E_ACT;
    }
    *detail = 0;
    return PS_OK;
}

void ps__act_close(actdir *a)
{
    for (int i = 0; i < ACT_CACHE; i++)
        if (a->open[i].name)
            forget(a, i);
}
