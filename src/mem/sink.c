/* sink.c - the two stock byte sinks: a file descriptor and a ps_buf. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "pathspace.h"

static int fd_write(void *ctx, const void *data, size_t len)
{
    int fd = (int)(intptr_t)ctx;
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return PS_E_IO;
        p += n;
        len -= (size_t)n;
    }
    return PS_OK;
}

static int fd_patch(void *ctx, uint64_t offset, const void *data, size_t len)
{
    int fd = (int)(intptr_t)ctx;
    const char *p = data;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return PS_E_IO;
        p += n;
        offset += (uint64_t)n;
        len -= (size_t)n;
    }
    return PS_OK;
}

static int buf_write(void *ctx, const void *data, size_t len)
{
    return ps_buf_append(ctx, data, len);
}

static int buf_patch(void *ctx, uint64_t offset, const void *data, size_t len)
{
    ps_buf *b = ctx;
    if (offset > b->len || len > b->len - offset)
        return PS_E_INVAL;
    memcpy(ps_buf_data(b) + offset, data, len);
    return PS_OK;
}

ps_sink ps_sink_fd(int fd)
{
    return (ps_sink){ fd_write, fd_patch, (void *)(intptr_t)fd };
}

ps_sink ps_sink_buf(ps_buf *b)
{
    return (ps_sink){ buf_write, buf_patch, b };
}
