/* test_expr.c - MeTTa text <-> atom bytes: golden encodings, errors with
 * line:column, the lossless extension, printing, and seeded round trips. */
#include <stdlib.h>

#include "test.h"
#include "cases.h"

/* Parses exactly one atom and compares with the expected bytes. */
static int enc_is(const char *text, const uint8_t *want, size_t n)
{
    ps_buf out = { 0 };
    ps_diag d;
    int ok = ps_atom_parse(text, strlen(text), &out, &d) == PS_OK && out.len == n &&
             memcmp(ps_buf_data(&out), want, n) == 0;
    if (!ok)
        fprintf(stderr, "    encoding of %s differs\n", text);
    ps_buf_free(&out);
    return ok;
}

static int prints_as(const char *text, const char *want)
{
    ps_buf a = { 0 }, o = { 0 };
    int ok = ps_atom_parse(text, strlen(text), &a, NULL) == PS_OK &&
             ps_atom_print(ps_buf_bytes(&a), &o) == PS_OK && o.len == strlen(want) &&
             memcmp(ps_buf_data(&o), want, o.len) == 0;
    if (!ok)
        fprintf(stderr, "    %s printed as %.*s\n", text, (int)o.len, (char *)ps_buf_data(&o));
    ps_buf_free(&a);
    ps_buf_free(&o);
    return ok;
}

void t_expr_golden(void)
{
    static const uint8_t parent[] = { 0x04, 0xC6, 'p', 'a', 'r', 'e', 'n', 't', 0x01, 0xC3,
                                      'T', 'o', 'm', 0xC0, 0x80 };
    CHECK(enc_is("(parent (Tom) $x $x)", parent, sizeof parent));
    CHECK(enc_is("  (parent   (Tom)\t$x\n$x) ", parent, sizeof parent));
    CHECK(enc_is("()", (const uint8_t *)"\x00", 1));
    CHECK(enc_is("a", (const uint8_t *)"\xC1" "a", 2));
    CHECK(enc_is("$v", (const uint8_t *)"\xC0", 1));
    CHECK(enc_is("\"a b\"", (const uint8_t *)"\xC5\"a b\"", 6));
    CHECK(enc_is("\"a\\\"b\"", (const uint8_t *)"\xC6\"a\\\"b\"", 7));
    /* variables numbered by first appearance across the whole atom */
    static const uint8_t vars[] = { 0x03, 0x02, 0xC0, 0xC0, 0x81, 0x80 };
    CHECK(enc_is("(($y $x) $x $y)", vars, sizeof vars));
    /* [ ] { } and a mid-token quote are plain symbol bytes */
    CHECK(enc_is("[a]{b}c\"d", (const uint8_t *)"\xC9[a]{b}c\"d", 10));
    /* a quoted string ends at its quote even without whitespace */
    static const uint8_t two[] = { 0x02, 0xC3, '"', 'a', '"', 0xC1, 'b' };
    CHECK(enc_is("(\"a\"b)", two, sizeof two));
    /* CR is whitespace: CRLF text gives the same atom as LF text */
    CHECK(enc_is("(parent\r\n(Tom)\r\n$x $x)\r\n", parent, sizeof parent));
    /* comments, including one just before ')' (MORK rejects that one) */
    CHECK(enc_is("; lead\n(parent (Tom) ; c\n $x $x ; end\n)", parent, sizeof parent));
}

void t_expr_print(void)
{
    CHECK(prints_as("(parent (Tom) $x $x)", "(parent (Tom) $a $a)"));
    CHECK(prints_as("(  a (b   c) () )", "(a (b c) ())"));
    CHECK(prints_as("$q", "$a"));
    CHECK(prints_as("(((a)))", "(((a)))"));
    char big[1024] = "(f";
    for (int i = 0; i < 12; i++)
        sprintf(big + strlen(big), " $v%d", i);
    strcat(big, " $v11 $v0)");
    CHECK(prints_as(big, "(f $a $b $c $d $e $f $g $h $i $j $x10 $x11 $x11 $a)"));
}

/* Parse errors: code, line and column of the culprit. */
static void err_at(const char *text, int code, uint32_t line, uint32_t col)
{
    ps_parser *p;
    ps_bytes a;
    ps_diag d;
    int rc;
    memset(&d, 0, sizeof d);
    REQUIRE_OK(ps_parser_new(&p));
    ps_parser_reset(p, text, strlen(text));
    while ((rc = ps_parser_next(p, &a, &d)) == PS_OK)
        ;
    if (rc != code || d.line != line || d.col != col || !d.msg[0])
        t_failf(__FILE__, __LINE__, "%s: got %d at %u:%u (%s), want %d at %u:%u", text, rc,
                d.line, d.col, d.msg, code, line, col);
    ps_parser_free(p);
}

void t_expr_errors(void)
{
    err_at("(a b)\n  )", PS_E_PARSE, 2, 3);
    err_at(")", PS_E_PARSE, 1, 1);
    err_at("(a)\n (b (c d)\n", PS_E_PARSE, 2, 2);
    err_at("(a \"b\\", PS_E_PARSE, 1, 6);
    /* 65 distinct variables: the 65th is the culprit */
    char t[1024] = "(";
    for (int i = 0; i < 65; i++)
        sprintf(t + strlen(t), "$v%d ", i);
    strcat(t, ")");
    uint32_t col = (uint32_t)(strstr(t, "$v64") - t) + 1;
    err_at(t, PS_E_LIMIT, 1, col);
    /* 64 variables are fine */
    char ok[1024] = "(";
    for (int i = 0; i < 64; i++)
        sprintf(ok + strlen(ok), "$v%d ", i);
    strcat(ok, "$v63)");
    ps_buf out = { 0 };
    CHECK_OK(ps_atom_parse(ok, strlen(ok), &out, NULL));
    CHECK(ps_buf_data(&out)[out.len - 1] == (0x80 | 63));
    ps_buf_free(&out);
    ps_diag d;
    CHECK_RC(ps_atom_parse("a b", 3, &out, &d), PS_E_PARSE);
    CHECK_RC(ps_atom_parse("  ; only a comment", 18, &out, &d), PS_E_PARSE);
    ps_buf_free(&out);
}

/* Symbols over 63 bytes and lists over 63 children: kept whole. */
void t_expr_extension(void)
{
    char text[4096];
    memset(text, 'x', 100);
    text[100] = 0;
    ps_buf a = { 0 }, o = { 0 };
    CHECK_OK(ps_atom_parse(text, 100, &a, NULL));
    const uint8_t *b = ps_buf_data(&a);
    CHECK(a.len == 105 && b[0] == 0x41 && b[1] == 0 && b[2] == 0 && b[3] == 0 && b[4] == 100);
    CHECK(!ps_atom_is_mork(ps_buf_bytes(&a)));
    CHECK_OK(ps_atom_print(ps_buf_bytes(&a), &o));
    CHECK(o.len == 100 && memcmp(ps_buf_data(&o), text, 100) == 0);
    /* 63 bytes is still MORK's */
    ps_buf_clear(&a, 0);
    CHECK_OK(ps_atom_parse(text, 63, &a, NULL));
    CHECK(ps_buf_data(&a)[0] == 0xFF && ps_atom_is_mork(ps_buf_bytes(&a)));
    /* a list of 70 children inside a list of 64 */
    strcpy(text, "(h (");
    for (int i = 0; i < 70; i++)
        strcat(text, "a ");
    strcat(text, ")");
    for (int i = 0; i < 62; i++)
        strcat(text, " z");
    strcat(text, ")");
    ps_buf_clear(&a, 0);
    CHECK_OK(ps_atom_parse(text, strlen(text), &a, NULL));
    b = ps_buf_data(&a);
    CHECK(b[0] == 0x40 && b[4] == 64 && b[5] == 0xC1 && b[7] == 0x40 && b[11] == 70);
    size_t len = 0;
    CHECK_OK(ps_atom_check(ps_buf_bytes(&a), &len, NULL));
    CHECK_EQ(len, a.len);
    ps_buf_clear(&o, 0);
    CHECK_OK(ps_atom_print(ps_buf_bytes(&a), &o));
    ps_buf r = { 0 };
    CHECK_OK(ps_atom_parse(ps_buf_data(&o), o.len, &r, NULL));
    CHECK(r.len == a.len && memcmp(ps_buf_data(&r), b, a.len) == 0);
    /* exactly 63 children stays MORK */
    strcpy(text, "(");
    for (int i = 0; i < 63; i++)
        strcat(text, "a ");
    strcat(text, ")");
    ps_buf_clear(&a, 0);
    CHECK_OK(ps_atom_parse(text, strlen(text), &a, NULL));
    CHECK(ps_buf_data(&a)[0] == 63 && ps_atom_is_mork(ps_buf_bytes(&a)));
    ps_buf_free(&a);
    ps_buf_free(&o);
    ps_buf_free(&r);
}

void t_expr_check_rejects(void)
{
    static const struct {
        const char *bytes;
        size_t n;
        int code;
    } bad[] = {
        { "", 0, PS_E_TRUNCATED },
        { "\x02\xC1" "a", 3, PS_E_TRUNCATED },
        { "\xC5" "ab", 3, PS_E_TRUNCATED },
        { "\x42", 1, PS_E_CORRUPT },
        { "\x7F", 1, PS_E_CORRUPT },
        { "\x80", 1, PS_E_CORRUPT },
        { "\x02\xC0\x81", 3, PS_E_CORRUPT },
        { "\x41\x00\x00\x00\x05" "abcde", 10, PS_E_CORRUPT },
        { "\x40\x00\x00\x00\x02\xC1" "a\xC1" "b", 9, PS_E_CORRUPT },
        { "\x41\x00\x00\x01", 4, PS_E_TRUNCATED },
        { "\x41\x00\x00\x00\x50" "ab", 7, PS_E_TRUNCATED },
        { "\x40\xFF\xFF\xFF\xFF\xC1" "a", 7, PS_E_TRUNCATED },
    };
    ps_buf o = { 0 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ps_diag d;
        int rc = ps_atom_check(ps_bytes_of(bad[i].bytes, bad[i].n), NULL, &d);
        if (rc != bad[i].code)
            t_failf(__FILE__, __LINE__, "bad atom %zu: got %d want %d", i, rc, bad[i].code);
        /* the printer never reads past the end either (ASan checks the
         * reads). It is no validator: variable order and canonical lengths
         * are ps_atom_check's job, but cut-short bytes and reserved tags
         * must fail. */
        rc = ps_atom_print(ps_bytes_of(bad[i].bytes, bad[i].n), &o);
        if ((bad[i].code == PS_E_TRUNCATED || i == 3 || i == 4) && rc == PS_OK)
            t_failf(__FILE__, __LINE__, "bad atom %zu printed", i);
        ps_buf_clear(&o, 0);
    }
    /* extension tags cut inside their length field */
    CHECK_RC(ps_atom_print(ps_bytes_of("\x41\x00", 2), &o), PS_E_TRUNCATED);
    CHECK_RC(ps_atom_print(ps_bytes_of("\x01\x40\x00\x00", 4), &o), PS_E_TRUNCATED);
    ps_buf_free(&o);
    size_t len;
    CHECK_OK(ps_atom_check(ps_bytes_of("\x01\xC1" "aEXTRA", 8), &len, NULL));
    CHECK_EQ(len, 3);
}

/* The lossless text form: a symbol that re-parses prints as it is; any
 * other gets "\\xNN" for the bytes that would not (docs/encoding.md). */
void t_expr_lossless(void)
{
    static const char *same[] = { "a", "\\", "a\\b", "\\x4", "\\xZZ", "\"q s\"", "\"a\\\"b\"",
                                  "a\"b", "a;b", "a$", "é", "日本", "-3.5" };
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        char t[64];
        snprintf(t, sizeof t, "(f %s)", same[i]);
        CHECK(prints_as(t, t));
    }
    CHECK(prints_as("(\\ $y $z)", "(\\ $a $b)"));
    CHECK(prints_as("(Original 1\\x20OCT\\x202019)", "(Original 1\\x20OCT\\x202019)"));
    CHECK(prints_as("(a\\x28b\\x29 \\x24v \\x22 \\x3Bc)", "(a\\x28b\\x29 \\x24v \\x22 \\x3Bc)"));
    CHECK(prints_as("(\\x5Cx41 \\x41)", "(\\x5Cx41 A)"));
    CHECK(prints_as("(\\x00 \\xff \\xC3\\xA9 \\x0A)", "(\\x00 \\xFF é \\x0A)"));
    CHECK(prints_as("\"open", "\\x22open"));
    CHECK(prints_as("(\"a\"b)", "(\"a\" b)")); /* the token ends at the quote */
    CHECK(prints_as("\"two\nlines\"", "\"two\nlines\""));
    CHECK(prints_as("\"cr\rhere\"", "\\x22cr\\x0Dhere\""));
    /* symbols built from bytes, printed, parsed back */
    static const char *raw[] = { "x y", "(", ")", "$x", ";c", "\"", "\"a b", "a\n", "\t",
                                 "\x7f", "\xc3", "\xed\xa0\x80", "\\x41", "\"a\r\nb\"" };
    for (size_t i = 0; i < sizeof raw / sizeof *raw; i++) {
        uint8_t atom[72];
        size_t n = strlen(raw[i]);
        atom[0] = 1;
        atom[1] = (uint8_t)(0xC0 | n);
        memcpy(atom + 2, raw[i], n);
        ps_buf o = { 0 }, b = { 0 };
        CHECK_OK(ps_atom_print(ps_bytes_of(atom, n + 2), &o));
        CHECK_OK(ps_atom_parse(ps_buf_data(&o), o.len, &b, NULL));
        CHECK(b.len == n + 2 && memcmp(ps_buf_data(&b), atom, n + 2) == 0);
        ps_buf_clear(&o, 0);
        CHECK_OK(ps_atom_print_mork(ps_bytes_of(atom, n + 2), &o)); /* MORK's: raw */
        CHECK(o.len == n + 2 && memcmp(ps_buf_data(&o) + 1, raw[i], n) == 0);
        ps_buf_free(&o);
        ps_buf_free(&b);
    }
}

/* Atoms whose symbols hold random bytes (any of 256, 1 to 99 of them, so
 * long symbols too) print to text that parses back to the same bytes. */
void t_expr_lossless_random(void)
{
    ps_buf a = { 0 }, o = { 0 }, b = { 0 };
    for (int k = 0; k < 3000; k++) {
        unsigned n = 1 + (unsigned)t_below(5);
        ps_buf_clear(&a, 0);
        uint8_t arity = (uint8_t)n;
        ps_buf_append(&a, &arity, 1);
        for (unsigned i = 0; i < n; i++) {
            uint8_t sym[100];
            size_t len = 1 + t_below(t_below(4) ? 8 : 99);
            for (size_t j = 0; j < len; j++) /* favour the bytes that need care */
                sym[j] = t_below(2) ? (uint8_t)t_below(256)
                                    : (uint8_t)" ()$\";\\x\r\n\t\x80\xC3\xA9"[t_below(15)];
            if (len < 64) {
                uint8_t tag = (uint8_t)(0xC0 | len);
                ps_buf_append(&a, &tag, 1);
            } else {
                uint8_t tag[5] = { 0x41, 0, 0, 0, (uint8_t)len };
                ps_buf_append(&a, tag, 5);
            }
            ps_buf_append(&a, sym, len);
        }
        ps_buf_clear(&o, 0);
        ps_buf_clear(&b, 0);
        CHECK_OK(ps_atom_print(ps_buf_bytes(&a), &o));
        ps_diag d;
        int rc = ps_atom_parse(ps_buf_data(&o), o.len, &b, &d);
        if (rc || a.len != b.len || memcmp(ps_buf_data(&a), ps_buf_data(&b), a.len)) {
            t_failf(__FILE__, __LINE__, "round trip of %.*s (seed %llu)", (int)o.len,
                    (char *)ps_buf_data(&o), (unsigned long long)t_seed);
            break;
        }
    }
    ps_buf_free(&a);
    ps_buf_free(&o);
    ps_buf_free(&b);
}

/* Seeded random texts: parse -> print -> parse gives the same bytes. */
static void rand_expr(ps_buf *t, int depth)
{
    static const char *syms[] = { "a", "foo", "\"q s\"", "42", "-3.5", "x\\y", "\"e\\\"s\"",
                                  "$v", "$w", "$v1", "[b]" };
    uint64_t r = t_below(10);
    if (depth > 5 || r < 6) {
        if (t_below(20) == 0) {
            char lng[80];
            memset(lng, 'L', sizeof lng);
            ps_buf_append(t, lng, 64 + t_below(16));
        } else {
            const char *s = syms[t_below(11)];
            ps_buf_append(t, s, strlen(s));
        }
        return;
    }
    ps_buf_append(t, "(", 1);
    uint64_t n = t_below(7) == 0 ? 60 + t_below(10) : t_below(5);
    for (uint64_t i = 0; i < n; i++) {
        if (i) {
            int crlf = t_below(3) == 0;
            ps_buf_append(t, crlf ? "\r\n " : " ", crlf ? 3 : 1);
        }
        rand_expr(t, depth + 1);
    }
    ps_buf_append(t, ")", 1);
}

void t_expr_random_roundtrip(void)
{
    ps_buf t = { 0 }, a = { 0 }, o = { 0 }, b = { 0 };
    for (int k = 0; k < 2000; k++) {
        ps_buf_clear(&t, 0);
        ps_buf_clear(&a, 0);
        ps_buf_clear(&o, 0);
        ps_buf_clear(&b, 0);
        rand_expr(&t, 0);
        ps_diag d;
        int prc = ps_atom_parse(ps_buf_data(&t), t.len, &a, &d);
        if (prc == PS_E_LIMIT)
            continue;
        if (prc) {
            t_failf(__FILE__, __LINE__, "%s at %u:%u in %.*s", d.msg, d.line, d.col, (int)t.len,
                    (char *)ps_buf_data(&t));
            break;
        }
        size_t len;
        CHECK_OK(ps_atom_check(ps_buf_bytes(&a), &len, NULL));
        CHECK_EQ(len, a.len);
        CHECK_OK(ps_atom_print(ps_buf_bytes(&a), &o));
        CHECK_OK(ps_atom_parse(ps_buf_data(&o), o.len, &b, NULL));
        if (a.len != b.len || memcmp(ps_buf_data(&a), ps_buf_data(&b), a.len)) {
            t_failf(__FILE__, __LINE__, "round trip of %.*s", (int)t.len, (char *)ps_buf_data(&t));
            break;
        }
    }
    ps_buf_free(&t);
    ps_buf_free(&a);
    ps_buf_free(&o);
    ps_buf_free(&b);
}

/* The text and the expected encoding of a list of `wide` symbols "a", then
 * (if depth > 0) a nested list like it, then `wide` symbols "b"; built side
 * by side, so the expected bytes come from the format rules, not the
 * parser. */
static void nested(ps_buf *text, ps_buf *want, int depth, int wide)
{
    uint64_t n = 2 * (uint64_t)wide + (depth > 0);
    ps_buf_append(text, "(", 1);
    if (n < 64) {
        uint8_t t = (uint8_t)n;
        ps_buf_append(want, &t, 1);
    } else {
        uint8_t t[5] = { 0x40, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                         (uint8_t)n };
        ps_buf_append(want, t, 5);
    }
    for (int i = 0; i < wide; i++) {
        ps_buf_append(text, "a ", 2);
        ps_buf_append(want, "\xC1" "a", 2);
    }
    if (depth > 0)
        nested(text, want, depth - 1, wide);
    for (int i = 0; i < wide; i++) {
        ps_buf_append(text, " b", 2);
        ps_buf_append(want, "\xC1" "b", 2);
    }
    ps_buf_append(text, ")", 1);
}

/* Wide lists nested in wide lists, and wide siblings: each wide list's
 * count bytes go in after the whole atom is read (once per byte), and land
 * where the rules say. Also narrow lists around and inside wide ones. */
void t_expr_nested_wide(void)
{
    static const int shapes[][2] = { { 0, 64 }, { 1, 64 }, { 40, 70 }, { 200, 32 },
                                     { 5, 63 }, { 3, 100 }, { 60, 64 } };
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
        ps_buf text = { 0 }, want = { 0 }, got = { 0 };
        nested(&text, &want, shapes[k][0], shapes[k][1]);
        CHECK_OK(ps_atom_parse(ps_buf_data(&text), text.len, &got, NULL));
        CHECK(got.len == want.len && !memcmp(ps_buf_data(&got), ps_buf_data(&want), want.len));
        size_t len;
        CHECK_OK(ps_atom_check(ps_buf_bytes(&got), &len, NULL));
        CHECK_EQ(len, got.len);
        ps_buf_free(&text);
        ps_buf_free(&want);
        ps_buf_free(&got);
    }
    /* wide siblings inside a wide list, and the next atom after them */
    ps_buf text = { 0 }, want = { 0 };
    ps_buf_append(&text, "(", 1);
    uint8_t t[5] = { 0x40, 0, 0, 0, 66 };
    ps_buf_append(&want, t, 5);
    for (int i = 0; i < 66; i++) {
        ps_buf inner = { 0 };
        nested(&text, &inner, 0, 40); /* 80 children each */
        ps_buf_append(&want, ps_buf_data(&inner), inner.len);
        ps_buf_free(&inner);
    }
    ps_buf_append(&text, ") (x)", 5);
    ps_parser *p;
    ps_bytes a;
    REQUIRE_OK(ps_parser_new(&p));
    ps_parser_reset(p, ps_buf_data(&text), text.len);
    CHECK_OK(ps_parser_next(p, &a, NULL));
    CHECK(a.len == want.len && !memcmp(a.ptr, ps_buf_data(&want), want.len));
    CHECK_OK(ps_parser_next(p, &a, NULL));
    CHECK(a.len == 3 && !memcmp(a.ptr, "\x01\xC1x", 3));
    ps_parser_free(p);
    ps_buf_free(&text);
    ps_buf_free(&want);
}

/* The atom limit: an atom longer than max_atom is refused at its line and
 * column before its bytes are kept; the next atom parses. */
void t_expr_max_atom(void)
{
    ps_limits l;
    ps_limits_init(&l);
    l.max_atom = 100;
    REQUIRE_OK(ps_limits_set(&l)); /* this case runs in its own process */
    ps_parser *p;
    REQUIRE_OK(ps_parser_new(&p));
    char text[400] = "(ok)\n  (";
    for (int i = 0; i < 60; i++)
        strcat(text, "ab ");
    strcat(text, ")\n(fine)");
    ps_parser_reset(p, text, strlen(text));
    ps_bytes a;
    ps_diag d = { 0 };
    CHECK_OK(ps_parser_next(p, &a, &d));
    CHECK_RC(ps_parser_next(p, &a, &d), PS_E_LIMIT);
    CHECK(d.line == 2 && d.col == 3 && strstr(d.msg, "limit of 100 bytes"));
    ps_parser_free(p);
    l.max_atom = 0;
    CHECK_RC(ps_limits_set(&l), PS_E_INVAL);
}
