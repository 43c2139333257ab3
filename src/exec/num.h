/*
 * num.h - numbers as text, the way MORK's pure operations and float sinks
 * read and write them: Rust's str::parse, and its {} and {:?} formats for
 * floats (docs/exec.md, "numbers"). Private to src/exec.
 */
#ifndef PS_EXEC_NUM_H
#define PS_EXEC_NUM_H

#include <stddef.h>
#include <stdint.h>

/* Room for any float in either format (5e-324 in {} is 326 bytes). */
#define NUM_TEXT_MAX 400

typedef __int128 i128;
typedef unsigned __int128 u128;

/* Rust's float grammar: [+-] then digits with an optional point and
 * exponent, or inf, infinity or nan in any case. 0, or -1 if s is not a
 * float. Out of range rounds to infinity, as Rust does. */
int ps__num_parse_f64(const uint8_t *s, size_t n, double *out);
int ps__num_parse_f32(const uint8_t *s, size_t n, float *out);
/* [+-]digits (no '-' when unsigned), in range for bits: 0, or -1. */
int ps__num_parse_int(const uint8_t *s, size_t n, int is_signed, unsigned bits, i128 *out);

/* Rust's {} for f64: the shortest digits that read back as x, never an
 * exponent, no ".0" ("3", "-15", "2.5", "NaN", "inf"). Returns the length. */
size_t ps__num_display(double x, char *buf);
/* Rust's {:?}: the same digits, always a fraction ("3.0"), and the
 * exponent form (1e16, 1.5e-5) when |x| < 1e-4 or >= 1e16. f32 picks the
 * shortest digits that read back as the f32. */
size_t ps__num_debug(double x, int f32, char *buf);
/* An integer in decimal. */
size_t ps__num_int_text(i128 v, int is_signed, char *buf);

#endif
