/* main.c - the pathspace command-line tool (placeholder until the space). */
#include <stdio.h>
#include <string.h>

#include "pathspace.h"

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "version")) {
        printf("pathspace %s\n", ps_version_string());
        return 0;
    }
    fprintf(stderr, "usage: pathspace version\n");
    return 2;
}
