/* msizarr command-line tool: parses options, calls the library, maps errors to exit codes
 * (0 ok, 1 conversion failed, 2 usage). */
#include <stdio.h>
#include <string.h>

#include "msizarr/msizarr.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: msizarr <command> [options]\n"
                 "commands:\n"
                 "  --version   print the version\n");
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("msizarr %s\n", msiz_version());
        return fclose(stdout) == 0 ? 0 : 1;
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
