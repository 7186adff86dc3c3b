/* msizarr report STORE [-o FILE]: the QC page of an existing store, read with the library. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_common.h"
#include "msizarr/report.h"

static const char HELP[] =
    "usage: msizarr report STORE [-o FILE] [options]\n"
    "\n"
    "Writes the QC report of a SpatialData store msizarr wrote: one self-contained HTML page\n"
    "with a summary, the TIC image of every plane, the average spectrum with its top peaks and\n"
    "an ion image of each. The store is only read. A conversion writes the same page, with the\n"
    "facts only it knows, when given --report.\n"
    "\n"
    "  -o, --output FILE           the page (default: STORE without .zarr, plus .report.html)\n"
    "  --ions N                    ion images per table, 0-100 (default: 12)\n"
    "  --overwrite                 replace FILE if it is an earlier msizarr report (nothing else)\n"
    "  -q, --quiet                 no message when done\n" /* then -v, --log-level */
    CLI_LOG_HELP "  -h, --help                  this help\n";

/* "run.zarr/" -> "run.report.html" beside it. */
static char *default_output(const char *store)
{
    size_t n = strlen(store);
    while (n > 1 && store[n - 1] == '/')
        n--;
    if (n > 5 && strncmp(store + n - 5, ".zarr", 5) == 0)
        n -= 5;
    char *out = malloc(n + sizeof ".report.html");
    if (out) {
        memcpy(out, store, n);
        memcpy(out + n, ".report.html", sizeof ".report.html");
    }
    return out;
}

int cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"ions", required_argument, NULL, 'i'},
                                             {"overwrite", no_argument, NULL, 'w'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             CLI_LOG_LONGOPTS,
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    msiz_report_opts opts;
    msiz_report_opts_init(&opts);
    const char *output = NULL;
    int quiet = 0, c;
    cli_log log;
    cli_log_init(&log);
    unsigned long long n = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qvh", longopts, NULL)) != -1) {
        int rc = cli_log_option(&log, "report", c, optarg);
        if (rc < 0)
            return CLI_USAGE;
        if (rc > 0)
            continue;
        if (c == 'o') {
            output = optarg;
        } else if (c == 'i') {
            if (cli_parse_u64(optarg, &n) != 0 || n > 100)
                return cli_usage_error("report", "--ions: '%s' is not a count from 0 to 100",
                                       optarg);
            opts.ions = (size_t)n;
        } else if (c == 'w') {
            opts.overwrite = 1;
        } else if (c == 'q') {
            quiet = 1;
        } else if (c == 'h') {
            fputs(HELP, stdout);
            return cli_finish_stdout(CLI_OK);
        } else {
            return cli_usage_error("report", "invalid option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("report", "expected one STORE, got %d argument(s)%s", argc - optind,
                               cli_log_hint(argc, argv, optind));
    cli_log_install(&log);
    char *fallback = output ? NULL : default_output(argv[optind]);
    if (!output && !fallback)
        return cli_error(MSIZ_E_NOMEM);
    msiz_status st = msiz_report_store(argv[optind], output ? output : fallback, &opts);
    if (st == MSIZ_OK && !quiet && (cli_log_level(&log) >= MSIZ_LOG_INFO || isatty(STDERR_FILENO)))
        fprintf(stderr, "msizarr: wrote %s\n", output ? output : fallback);
    free(fallback);
    return st < 0 ? cli_error(st) : CLI_OK;
}
