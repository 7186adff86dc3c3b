/* msizarr command-line tool: dispatches on the subcommand; each one parses its own options and
 * calls the library. Exit codes: 0 ok, 1 failed, 2 usage. */
#include <stdio.h>
#include <string.h>

#include "cli_common.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} COMMANDS[] = {
    {"convert", cmd_convert, "convert an imzML file or Bruker .d folder to a SpatialData store"},
    {"info", cmd_info, "summarise an input (imzML or Bruker .d): grid, pixel size, checks"},
    {"dump", cmd_dump, "print the peaks of an input as TSV (index x y z mz intensity)"},
    {"report", cmd_report, "write the QC report (one HTML page) of a store msizarr wrote"},
};

#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: msizarr <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(out, "\n  --version  print the version\n  --help     print this help\n"
                 "\n'msizarr <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
    msiz_tune_allocator(); /* this process is ours: keep freed buffers out of the RSS */
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("msizarr %s\n", msiz_version());
        return cli_finish_stdout(CLI_OK);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return cli_finish_stdout(CLI_OK);
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0)
            return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "msizarr: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
