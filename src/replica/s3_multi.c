/*
 * s3_multi.c - an object too large for one PUT, in parts (S3's multipart
 * upload: S3 takes at most 5 GiB in one PUT, and a checkpoint can pass
 * that). Start (POST ?uploads=), each part (PUT ?partNumber=N&uploadId=),
 * then complete (POST ?uploadId= with the parts' ETags); an upload that
 * fails is aborted (DELETE ?uploadId=), so the bucket keeps no stray
 * parts. Each request retries as every request here does.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/diag.h"
#include "s3.h"

#define PART_MIN (5ull << 20)  /* S3's smallest part but the last */
#define PARTS_MAX 10000ull     /* S3's most parts                  */
#define ID_MAX 256             /* an upload id, as this layer takes it */

/* SigV4's encoding of a query value: unreserved bytes as they are, every
 * other one %XX. */
static void encode(const char *v, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *v && o + 4 < cap; v++) {
        unsigned char c = (unsigned char)*v;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = 0;
}

/* The text of <tag>...</tag> in xml, printable and at most cap - 1 bytes. */
static int xml_text(ps_bytes xml, const char *tag, char *out, size_t cap)
{
    char open[32], close[32];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *p = memmem(xml.ptr, xml.len, open, strlen(open));
    if (!p)
        return -1;
    p += strlen(open);
    const char *e = memmem(p, xml.len - (size_t)(p - (const char *)xml.ptr), close, strlen(close));
    if (!e || (size_t)(e - p) >= cap || e == p)
        return -1;
    for (const char *q = p; q < e; q++)
        if (*q <= ' ' || *q > '~' || *q == '<' || *q == '&')
            return -1;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = 0;
    return 0;
}

static int start(s3 *b, const char *key, char *id, ps_diag *d)
{
    ps_buf out = { 0 };
    s3_req x = { .query = "uploads=", .out = &out, .max = 64 << 10 };
    long code = ps__s3_request(b, REQ_POST, key, &x, d);
    int rc = code <= 0 ? (code < 0 ? PS_E_LIMIT : PS_E_IO)
             : code != 200 ? ps__s3_status_err(b, REQ_POST, key, code, d)
             : xml_text(ps_buf_bytes(&out), "UploadId", id, ID_MAX)
                 ? ps__diag_set(d, PS_E_PROTOCOL, NULL, 0, "%s/%s: no upload id in the answer "
                                "to a multipart upload's start", ps__s3_url(b), key)
                 : PS_OK;
    ps_buf_free(&out);
    return rc;
}

/* Part n (from 1) of body, its ETag appended to the completion's XML. */
static int put_part(s3 *b, const char *key, const char *eid, unsigned n, ps_bytes part,
                    ps_buf *xml, ps_diag *d)
{
    char q[S3_QUERY_MAX];
    snprintf(q, sizeof q, "partNumber=%u&uploadId=%s", n, eid);
    s3_req x = { .query = q, .body = part };
    long code = ps__s3_request(b, REQ_PUT, key, &x, d);
    if (code <= 0)
        return PS_E_IO;
    if (code / 100 != 2)
        return ps__s3_status_err(b, REQ_PUT, key, code, d);
    if (!x.etag[0] || strpbrk(x.etag, "<&"))
        return ps__diag_set(d, PS_E_PROTOCOL, NULL, 0, "%s/%s: part %u has no ETag",
                            ps__s3_url(b), key, n);
    char e[300];
    int k = snprintf(e, sizeof e, "<Part><PartNumber>%u</PartNumber><ETag>%s</ETag></Part>", n,
                     x.etag);
    return ps_buf_append(xml, e, (size_t)k) ? PS_E_NOMEM : PS_OK;
}

static int finish(s3 *b, const char *key, const char *eid, ps_buf *xml, ps_diag *d)
{
    static const char end[] = "</CompleteMultipartUpload>";
    if (ps_buf_append(xml, end, sizeof end - 1))
        return PS_E_NOMEM;
    char q[S3_QUERY_MAX];
    snprintf(q, sizeof q, "uploadId=%s", eid);
    ps_buf out = { 0 };
    s3_req x = { .query = q, .body = ps_buf_bytes(xml), .out = &out, .max = 64 << 10 };
    long code = ps__s3_request(b, REQ_POST, key, &x, d);
    /* S3 may answer 200 and say in the body that it failed */
    int rc = code <= 0 ? (code < 0 ? PS_E_LIMIT : PS_E_IO)
             : code != 200 ? ps__s3_status_err(b, REQ_POST, key, code, d)
             : memmem(ps_buf_data(&out), ps_buf_len(&out), "<Error>", 7)
                 ? ps__diag_set(d, PS_E_IO, NULL, 0, "%s/%s: the store refused to complete "
                                "the multipart upload", ps__s3_url(b), key)
                 : PS_OK;
    ps_buf_free(&out);
    return rc;
}

int ps__s3_put_big(s3 *b, const char *key, ps_bytes body, uint64_t part, ps_diag *d)
{
    part = part < PART_MIN ? PART_MIN : part;
    if (body.len <= part)
        return ps__s3_put(b, key, body, 0, d);
    if ((body.len + part - 1) / part > PARTS_MAX)
        part = (body.len + PARTS_MAX - 1) / PARTS_MAX;
    char id[ID_MAX], eid[3 * ID_MAX + 1];
    int rc = start(b, key, id, d);
    if (rc)
        return rc;
    encode(id, eid, sizeof eid);
    ps_buf xml = { 0 };
    static const char head[] = "<CompleteMultipartUpload>";
    rc = ps_buf_append(&xml, head, sizeof head - 1) ? PS_E_NOMEM : PS_OK;
    unsigned n = 0;
    for (uint64_t at = 0; !rc && at < body.len; at += part) {
        uint64_t len = body.len - at < part ? body.len - at : part;
        rc = put_part(b, key, eid, ++n, ps_bytes_of(body.ptr + at, (size_t)len), &xml, d);
    }
    if (!rc)
        rc = finish(b, key, eid, &xml, d);
    if (rc) { /* no stray parts: they would be stored, and billed, for ever */
        char q[S3_QUERY_MAX];
        ps_diag ignored = { 0 };
        snprintf(q, sizeof q, "uploadId=%s", eid);
        s3_req x = { .query = q };
        ps__s3_request(b, REQ_DELETE, key, &x, &ignored);
    }
    ps_buf_free(&xml);
    return rc;
}
