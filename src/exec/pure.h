/*
 * pure.h - MORK's pure operations: the 370 functions and the quote that
 * the (pure ...) sink evaluates (docs/exec.md, "pure"). Private to
 * src/exec.
 *
 * An expression is evaluated innermost first, arguments left to right: a
 * symbol is its own value, (f a ...) calls f on its arguments' values,
 * (' X) is X unevaluated. Numbers are fixed-width big-endian symbols.
 */
#ifndef PS_EXEC_PURE_H
#define PS_EXEC_PURE_H

#include "pathspace.h"

/* Why an evaluation failed: the instance is dropped, the others go on
 * (PURE_E_NOMEM fails the whole exec). */
enum {
    PURE_OK = 0,
    PURE_E_UNKNOWN,  /* no function of that name                        */
    PURE_E_ARGS,     /* wrong argument count, or a then/else missing     */
    PURE_E_TYPE,     /* a symbol wanted and something else given, or the
                      * wrong width for the argument's type              */
    PURE_E_PARSE,    /* *_from_string or a decoder given bad text        */
    PURE_E_DOMAIN,   /* division or remainder by zero or overflowing, a
                      * shift past the width, clamp with lo > hi         */
    PURE_E_VAR,      /* a variable, which has no value                  */
    PURE_E_NOHEAD,   /* a list whose head is not a symbol                */
    PURE_E_DEPTH,    /* nested deeper than PURE_DEPTH                    */
    PURE_E_SIZE,     /* a result past its size (collapse_symbol > 63)     */
    PURE_E_NOMEM
};
#define PURE_DEPTH 512

/* Appends the value of the expression at e (n bytes, one term) to out;
 * out is unchanged on failure. */
int ps__pure_eval(const uint8_t *e, size_t n, ps_buf *out);
/* A short name for a PURE_E_ code. */
const char *ps__pure_strerror(int code);
/* How many functions are registered, and the i-th name (for tests). */
unsigned ps__pure_count(void);
const char *ps__pure_name(unsigned i);

/* pure_num.c: one numeric operation (code, type t and u from the table)
 * on evaluated arguments. */
typedef struct pval {
    const uint8_t *p; /* one term */
    size_t n;
} pval;
typedef struct pure_op {
    char name[24];
    uint8_t code, t, u;
} pure_op;
int ps__pure_num(const pure_op *op, const pval *a, unsigned n, ps_buf *out);
/* pure_num.c registers its families into tab (room for all); returns how
 * many it added. */
unsigned ps__pure_num_register(pure_op *tab);

/* The operation codes (the table's code field). */
enum {
    /* pure.c */
    P_IFNZ = 1, P_TUPLE, P_REVSYM, P_EXPLODE, P_COLLAPSE, P_HASH, P_ENC_HEX, P_DEC_HEX,
    P_ENC_B64, P_DEC_B64,
    /* pure_num.c: unsigned bit operations */
    U_ZEROS, U_ONES, U_NOT, U_SWAP, U_REVBITS, U_LZ, U_LO, U_CZ, U_CO, U_NAND, U_ANDN,
    U_NOR, U_XOR, U_XNOR, U_SHL, U_SHR, U_TERN, U_AND, U_OR, U_PARITY, U_EQ32,
    /* signed integers and floats (u: the target type of AS, the
     * comparison, the constant or the unary function) */
    N_AS, N_ONE, N_NEG, N_ABS, N_SIGNUM, N_SUB, N_DIV, N_MOD, N_POW, N_CLAMP, N_SUM,
    N_PRODUCT, N_MAX, N_MIN, N_CMP, N_FROM, N_TO,
    F_CONST, F_UNARY, F_COPYSIGN, F_POWF, F_POWI, F_ATAN2, F_HYPOT
};

#endif
