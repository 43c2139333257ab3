/* cli.h - shared pieces of the pathspace command. */
#ifndef PS_CLI_H
#define PS_CLI_H

#include <stdio.h>

#include "pathspace.h"

/* A whole input in memory: mmap for files, read() for "-" (stdin). */
typedef struct input {
    const char *name;
    const uint8_t *data;
    size_t len;
    int mapped;
} input;

int input_open(input *in, const char *path);
void input_close(input *in);

/* Output to a path, or stdout for "-". */
FILE *output_open(const char *path);
int output_close(FILE *f, const char *path);

/* Loads a source (any format pathspace reads; MeTTa text now) into s. */
int load_source(ps_space *s, const char *path, int quiet);

/* Writes every atom of s as MeTTa text, one per line. */
int dump_space(const ps_space *s, FILE *f);

int die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int has_help(int argc, char **argv, const char *usage);

int cmd_import(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_count(int argc, char **argv);
int cmd_contains(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_gen(int argc, char **argv);

#endif
