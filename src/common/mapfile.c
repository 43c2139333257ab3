/* mapfile.c - mapping a whole file read-only. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "mapfile.h"

int ps__map_file(const char *file, const void **data, size_t *len, ps_diag *d)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ps__io_err(d, PS_E_IO, "cannot open");
    return ps__map_fd(fd, data, len, d);
}

int ps__map_fd(int fd, const void **data, size_t *len, ps_diag *d)
{
    struct stat st;
    if (fstat(fd, &st)) {
        int e = errno;
        close(fd);
        errno = e;
        return ps__io_err(d, PS_E_IO, "cannot open");
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ps__diag_set(d, PS_E_INVAL, NULL, 0, "not a regular file");
    }
    *data = NULL;
    *len = (size_t)st.st_size;
    if (*len) {
        void *m = mmap(NULL, *len, PROT_READ, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            close(fd);
            errno = e;
            return ps__io_err(d, PS_E_IO, "cannot map the file");
        }
        *data = m;
    }
    close(fd);
    return PS_OK;
}

void ps__unmap_file(const void *data, size_t len)
{
    if (data)
        munmap((void *)data, len);
}
