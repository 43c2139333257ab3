/* test_import.c - JSON, JSON Lines and CSV with MORK's mappings: hand-
 * checked atoms, pobox.json against MORK's own pobox.paths, errors with
 * line:column, and the limits. */
#include <string.h>

#include "cases.h"
#include "test.h"

typedef struct got {
    ps_buf text; /* each atom printed, one per line */
    uint64_t n;
} got;

static int take(void *ctx, ps_bytes atom)
{
    got *g = ctx;
    size_t len;
    if (ps_atom_check(atom, &len, NULL) || len != atom.len)
        return PS_E_CORRUPT; /* every atom must be whole and canonical */
    ps_atom_print(atom, &g->text);
    ps_buf_append(&g->text, "\n", 1);
    g->n++;
    return 0;
}

static void expect(int csv, unsigned flags, const char *in, const char *want)
{
    got g = { { 0 }, 0 };
    ps_diag d = { 0 };
    int rc = csv ? ps_csv_parse(in, strlen(in), take, &g, NULL, &d)
                 : ps_json_parse(in, strlen(in), flags, take, &g, NULL, &d);
    if (rc)
        t_failf(__FILE__, __LINE__, "%s: %s", in, d.msg);
    else if (g.text.len != strlen(want) || memcmp(ps_buf_data(&g.text), want, g.text.len))
        t_failf(__FILE__, __LINE__, "%s gave\n%.*s", in, (int)g.text.len,
                (const char *)ps_buf_data(&g.text));
    ps_buf_free(&g.text);
}

void t_import_json_mapping(void)
{
    expect(0, 0, "{\"a\": {\"b\": [\"x\"]}}", "(a (b (0 x)))\n");
    expect(0, 0, "{\"name\": \"Ada\", \"active\": true, \"scores\": [1, 2], \"empty\": {}}",
           "(name Ada)\n(active true)\n(scores (0 1))\n(scores (1 2))\n(empty {})\n");
    /* MORK's number form: every digit in the mantissa, a power of ten */
    expect(0, 0, "[3.1415926, 1.50, -0, 2E3, 7e-2, -12, 0.5, 100]",
           "(0 31415926e-7)\n(1 150e-2)\n(2 -0)\n(3 2e3)\n(4 7e-2)\n(5 -12)\n(6 5e-1)\n"
           "(7 100)\n");
    expect(0, 0, "[null, false, [], \"\", \"with space\"]",
           "(0 null)\n(1 false)\n(2 [])\n(3 \"\")\n(4 with\\x20space)\n");
    expect(0, 0, "\"alone\"", "alone\n");
    expect(0, 0, "{\"esc\": \"a\\\"b\\u00e9\"}", "(esc a\"b\xc3\xa9)\n");
    expect(0, PS_JSON_LINES, "{\"k\": 1}\n\n[2, 3]\r\n\"s\"\n",
           "(JSONL 0 (k 1))\n(JSONL 1 (0 2))\n(JSONL 1 (1 3))\n(JSONL 2 s)\n");
}

void t_import_csv_mapping(void)
{
    expect(1, 0, "a,b,c\n1,2,3\n", "(0 a b c)\n(1 1 2 3)\n");
    expect(1, 0, "a,\"b,c\"\n\n\"x\"\"y\",,z\r\nlast", "(0 a b,c)\n(1 x\"y \"\" z)\n(2 last)\n");
    expect(1, 0, " padded , kept \n", "(0 \\x20padded\\x20 \\x20kept\\x20)\n"); /* not trimmed */
    expect(1, 0, "\"line\nbreak\",2\n", "(0 line\\x0Abreak 2)\n");
    /* 70 fields: a list past 63 items takes the wide-list tag */
    char row[400] = "";
    for (int i = 0; i < 70; i++)
        strcat(row, i ? ",f" : "f");
    got g = { { 0 }, 0 };
    CHECK_OK(ps_csv_parse(row, strlen(row), take, &g, NULL, NULL));
    CHECK_EQ(g.n, 1);
    ps_buf_free(&g.text);
}

static void expect_error(int csv, unsigned flags, const char *in, int code, unsigned line,
                         unsigned col, const char *has)
{
    got g = { { 0 }, 0 };
    ps_diag d = { 0 };
    int rc = csv ? ps_csv_parse(in, strlen(in), take, &g, NULL, &d)
                 : ps_json_parse(in, strlen(in), flags, take, &g, NULL, &d);
    if (rc != code || d.line != line || d.col != col || !strstr(d.msg, has))
        t_failf(__FILE__, __LINE__, "%s: rc %d at %u:%u '%s'", in, rc, d.line, d.col, d.msg);
    ps_buf_free(&g.text);
}

void t_import_errors(void)
{
    expect_error(0, 0, "{\"a\": [1, 2,]}", PS_E_PARSE, 1, 14, "unallowed token");
    expect_error(0, 0, "{\"a\": 1", PS_E_PARSE, 1, 8, "premature EOF");
    expect_error(0, 0, "{\"a\": 1} {\"b\": 2}", PS_E_PARSE, 1, 11, "trailing garbage");
    expect_error(0, PS_JSON_LINES, "{\"a\": 1}\n{\"b\" 2}\n", PS_E_PARSE, 2, 7, "colon");
    expect_error(0, 0, "[\"\xff\"]", PS_E_PARSE, 1, 4, "UTF8");
    expect_error(1, 0, "a,\"b\nc", PS_E_PARSE, 1, 3, "row 0 (numbered from 0), field 2");
    expect_error(1, 0, "ok\nx,y\"z\n", PS_E_PARSE, 2, 4, "row 1 (numbered from 0), field 2: a quote");
    expect_error(1, 0, "\"q\"x\n", PS_E_PARSE, 1, 4, "after a quoted field");
    /* 513 levels: past MORK's 512 */
    char deep[1100];
    memset(deep, '[', 513);
    memset(deep + 513, ']', 513);
    deep[1026] = 0;
    expect_error(0, 0, deep, PS_E_LIMIT, 1, 514, "512 deep");
    expect_error(0, 0, "[1e999999]", PS_E_LIMIT, 1, 10, "exponent");
    /* an atom past max_atom */
    ps_limits old, l;
    ps_limits_get(&old);
    l = old;
    l.max_atom = 16;
    REQUIRE_OK(ps_limits_set(&l));
    expect_error(0, 0, "{\"key\": \"a value longer than that\"}", PS_E_LIMIT, 1, 35, "max-atom");
    expect_error(1, 0, "short\na,row,longer,than,that\n", PS_E_LIMIT, 3, 1, "max-atom");
    CHECK_OK(ps_limits_set(&old));
}

static int insert(void *ctx, ps_bytes atom)
{
    return ps_space_insert(ctx, atom, NULL);
}

/* MORK's own output for pobox.json: the same 13 atoms, byte for byte. */
void t_import_pobox_real(void)
{
    t_need_file(t_data("pobox.json"));
    t_need_file(t_data("pobox.paths"));
    ps_buf json = { 0 }, paths = { 0 };
    REQUIRE(t_read_file(t_data("pobox.json"), &json) == 0);
    REQUIRE(t_read_file(t_data("pobox.paths"), &paths) == 0);
    ps_space *a, *b;
    REQUIRE_OK(ps_space_new(&a));
    REQUIRE_OK(ps_space_new(&b));
    ps_import_stats st;
    ps_diag d = { 0 };
    REQUIRE_OK(ps_json_parse(ps_buf_data(&json), json.len, 0, insert, a, &st, &d));
    ps_paths_reader *r;
    REQUIRE_OK(ps_paths_reader_new(ps_buf_data(&paths), paths.len, &r));
    REQUIRE_OK(ps_space_read_paths(b, r, &d));
    ps_paths_reader_free(r);
    CHECK_EQ(st.atoms, 13);
    CHECK_EQ(ps_space_count(a), 13);
    CHECK_EQ(ps_space_count(b), 13);
    REQUIRE_OK(ps_space_subtract(a, b));
    CHECK_EQ(ps_space_count(a), 0);
    ps_space_free(a);
    ps_space_free(b);
    ps_buf_free(&json);
    ps_buf_free(&paths);
}

static int count_atom(void *ctx, ps_bytes a)
{
    (void)a;
    ++*(uint64_t *)ctx;
    return 0;
}

/* JSON and CSV share the decoding budget of the other readers: a leaf
 * repeats its whole path, so a 2 MB document once wrote 1.46 GB of log. */
void t_import_budget(void)
{
    ps_limits l;
    ps_limits_init(&l);
    l.max_expansion = 2;
    l.min_budget = 4096;
    CHECK_OK(ps_limits_set(&l));
    ps_buf doc = { 0 };
    for (int i = 0; i < 60; i++)
        ps_buf_append(&doc, "{\"key\":", 7);
    ps_buf_append(&doc, "[1,2,3,4,5,6,7,8,9,1,2,3,4,5,6,7,8,9,1,2,3,4,5,6,7,8,9]", 55);
    for (int i = 0; i < 60; i++)
        ps_buf_append(&doc, "}", 1);
    uint64_t n = 0;
    ps_diag d = { 0 };
    CHECK_RC(ps_json_parse(ps_buf_data(&doc), doc.len, 0, count_atom, &n, NULL, &d), PS_E_LIMIT);
    CHECK(strstr(d.msg, "decoding budget") != NULL);
    ps_buf_clear(&doc, 0);
    for (int i = 0; i < 2000; i++)
        ps_buf_append(&doc, "x\n", 2);
    CHECK_RC(ps_csv_parse(ps_buf_data(&doc), doc.len, count_atom, &n, NULL, &d), PS_E_LIMIT);
    CHECK(strstr(d.msg, "decoding budget") != NULL);
    l.max_expansion = 64; /* the default lets both through */
    CHECK_OK(ps_limits_set(&l));
    CHECK_OK(ps_csv_parse(ps_buf_data(&doc), doc.len, count_atom, &n, NULL, &d));
    ps_buf_free(&doc);
}
