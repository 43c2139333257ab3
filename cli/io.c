/* io.c - inputs, outputs, progress and errors for the CLI. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int die(const char *msg, ...)
{
    va_list ap;
    fputs("pathspace: ", stderr);
    va_start(ap, msg);
    vfprintf(stderr, msg, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return 1;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return *end != 0 || errno == ERANGE;
}

int parse_bytes(const char *v, uint64_t max, uint64_t *out)
{
    char *end;
    if (!v || !*v || *v == '-' || *v == '+' || *v == ' ')
        return 1;
    errno = 0;
    uint64_t n = strtoull(v, &end, 10), mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1ull << 10, end++;
    else if (*end == 'm' || *end == 'M')
        mul = 1ull << 20, end++;
    else if (*end == 'g' || *end == 'G')
        mul = 1ull << 30, end++;
    if (end == v || *end || errno == ERANGE || n == 0 || n > max / mul)
        return 1;
    *out = n * mul;
    return 0;
}

int has_help(int argc, char **argv, const char *usage)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 1;
        }
    return 0;
}

int take_flag(int *argc, char **argv, const char *flag)
{
    int found = 0, out = 1;
    for (int i = 1; i < *argc; i++) {
        if (!strcmp(argv[i], flag))
            found = 1;
        else
            argv[out++] = argv[i];
    }
    argv[out] = NULL;
    *argc = out;
    return found;
}

static int read_all(int fd, input *in)
{
    size_t cap = 1 << 20, len = 0;
    uint8_t *p = malloc(cap);
    for (;;) {
        if (!p)
            return PS_E_NOMEM;
        if (len == cap) {
            uint8_t *q = realloc(p, cap *= 2);
            if (!q) {
                free(p);
                return PS_E_NOMEM;
            }
            p = q;
        }
        ssize_t n = read(fd, p + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(p);
            return PS_E_IO;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    in->data = p;
    in->len = len;
    return PS_OK;
}

int input_open(input *in, const char *path)
{
    memset(in, 0, sizeof *in);
    in->name = path;
    if (!strcmp(path, "-"))
        return read_all(0, in) ? die("-: cannot read standard input") : 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return die("%s: %s", path, strerror(e));
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
            in->data = m;
            in->len = (size_t)st.st_size;
            in->mapped = 1;
            close(fd);
            sig_input_push(path);
            return 0;
        }
    }
    int rc = read_all(fd, in);
    close(fd);
    return rc ? die("%s: cannot read (%s)", path, ps_strerror(rc)) : 0;
}

void input_close(input *in)
{
    if (in->mapped) {
        munmap((void *)in->data, in->len);
        sig_input_pop();
    }
    if (!in->mapped)
        free((void *)in->data);
    memset(in, 0, sizeof *in);
}

int out_begin(outfile *o, const char *path)
{
    o->path = path;
    o->tmp[0] = 0;
    o->fd = 1;
    o->f = stdout;
    if (!strcmp(path, "-"))
        return 0;
    if ((size_t)snprintf(o->tmp, sizeof o->tmp, "%s.tmpXXXXXX", path) >= sizeof o->tmp)
        return o->tmp[0] = 0, die("%s: name too long", path);
    if ((o->fd = mkstemp(o->tmp)) < 0 || fchmod(o->fd, 0644) || !(o->f = fdopen(o->fd, "wb"))) {
        int e = errno;
        if (o->fd >= 0)
            close(o->fd), unlink(o->tmp);
        o->tmp[0] = 0;
        return die("%s: %s", path, strerror(e));
    }
    sig_temp_set(o->tmp); /* a signal now removes it */
    return 0;
}

int out_end(outfile *o, int ok)
{
    int bad = ferror(o->f), e = bad ? errno : 0;
    if (fflush(o->f))
        bad = 1, e = errno; /* the buffered tail says why: ENOSPC, EFBIG... */
    if (o->tmp[0] && ok && !bad && fsync(o->fd))
        bad = 1, e = errno;
    if (o->tmp[0] && fclose(o->f) && !bad)
        bad = 1, e = errno;
    if (ok && bad)
        die("%s: write failed: %s", o->path, strerror(e ? e : EIO));
    if (o->tmp[0] && ok && !bad && rename(o->tmp, o->path))
        bad = 1, die("%s: %s", o->path, strerror(errno));
    if (o->tmp[0]) {
        if (!ok || bad)
            unlink(o->tmp);
        sig_temp_clear();
    }
    return !ok || bad;
}

int load_metta(ps_space *s, const input *inp, int quiet)
{
    input in = *inp;
    const char *path = in.name;
    ps_parser *p;
    if (ps_parser_new(&p))
        return die("out of memory");
    ps_parser_reset(p, in.data, in.len);
    progress pr;
    progress_begin(&pr, path, "bytes", in.len, quiet);
    ps_bytes a;
    ps_diag d;
    int rc;
    uint64_t n = 0;
    while ((rc = ps_parser_next(p, &a, &d)) == PS_OK) {
        if ((rc = ps_space_insert(s, a, NULL)))
            break;
        if ((++n & 0xFFFF) == 0)
            progress_at(&pr, ps_parser_offset(p));
    }
    progress_end(&pr);
    ps_parser_free(p);
    if (rc == PS_E_PARSE || rc == PS_E_LIMIT)
        return die("%s:%u:%u: %s (byte %llu)", path, d.line, d.col, d.msg,
                   (unsigned long long)d.offset);
    if (rc != PS_E_EMPTY)
        return die("%s: %s", path, ps_strerror(rc));
    return 0;
}
