/*
 * fuzz_text.c - the MeTTa parser on arbitrary bytes (decode-only half), and
 * the round trip (text -> atom -> space -> iteration -> print -> atom) for
 * whatever parses. Any atom the parser returns must pass ps_atom_check, be
 * found in the space, and print to text that parses back to the same bytes.
 */
#include <stdlib.h>

#include "pathspace.h"
#include "fuzz.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ps_parser *p, *q;
    ps_space *s;
    ps_bytes a, b;
    ps_diag d;
    ps_buf txt = { 0 };
    size_t len;
    int rc;
    if (ps_parser_new(&p) || ps_parser_new(&q) || ps_space_new(&s))
        abort();
    ps_parser_reset(p, data, size);
    while ((rc = ps_parser_next(p, &a, &d)) == PS_OK) {
        REQUIRE(ps_atom_check(a, &len, NULL) == PS_OK && len == a.len);
        REQUIRE(ps_space_insert(s, a, NULL) == PS_OK);
        REQUIRE(ps_space_contains(s, a));
        ps_buf_clear(&txt, 0);
        REQUIRE(ps_atom_print(a, &txt) == PS_OK);
        ps_parser_reset(q, ps_buf_data(&txt), txt.len);
        /* the lossless form: every atom prints to exactly one atom's text */
        REQUIRE(ps_parser_next(q, &b, NULL) == PS_OK && ps_parser_offset(q) == txt.len);
        REQUIRE(b.len == a.len && memcmp(b.ptr, a.ptr, a.len) == 0);
    }
    REQUIRE(rc == PS_E_EMPTY || rc == PS_E_PARSE || rc == PS_E_LIMIT);
    if (rc != PS_E_EMPTY)
        REQUIRE(d.msg[0] && d.line >= 1 && d.col >= 1 && d.offset <= size);
    /* the space iterates in strictly increasing order */
    ps_iter *it;
    ps_buf prev = { 0 };
    uint64_t n = 0;
    REQUIRE(ps_iter_new(s, ps_bytes_of(NULL, 0), &it) == PS_OK);
    while (ps_iter_next(it, &a, NULL, NULL) == PS_OK) {
        REQUIRE(n == 0 || ps_bytes_cmp(ps_buf_bytes(&prev), a) < 0);
        ps_buf_clear(&prev, 0);
        ps_buf_append(&prev, a.ptr, a.len);
        n++;
    }
    REQUIRE(n == ps_space_count(s));
    ps_iter_free(it);
    ps_buf_free(&prev);
    ps_buf_free(&txt);
    ps_parser_free(p);
    ps_parser_free(q);
    ps_space_free(s);
    return 0;
}
