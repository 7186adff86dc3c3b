/* msizarr dump FILE [--index K]: every peak as TSV, "index x y z mz intensity", coordinates as
 * written in the file, numbers with 17 significant digits (they parse back to the same double). */
#include <getopt.h>
#include <stdio.h>

#include "cli_common.h"
#include "msizarr/source.h"

static void dump_usage(FILE *out)
{
    fprintf(out, "usage: msizarr dump FILE [--index K] [-v]\n"
                 "Prints the peaks of FILE (imzML or Bruker .d) as TSV with a header line:\n"
                 "index x y z mz intensity (index 0-based, x y z as written in the file).\n\n"
                 "  -i, --index K               only spectrum K (0-based)\n" CLI_LOG_HELP
                 "  -h, --help                  this help\n");
}

static void print_spectrum(const msiz_spectrum *sp)
{
    for (size_t i = 0; i < sp->n; i++)
        printf("%llu\t%d\t%d\t%d\t%.17g\t%.17g\n", (unsigned long long)sp->index, sp->raw_x,
               sp->raw_y, sp->raw_z, sp->mz[i], sp->intensity[i]);
}

static msiz_status dump(msiz_source *src, int one, unsigned long long index)
{
    msiz_spectrum sp;
    msiz_status status;
    msiz_spectrum_init(&sp);
    printf("index\tx\ty\tz\tmz\tintensity\n");
    if (one) {
        status = msiz_source_read(src, index, &sp);
        if (status >= 0)
            print_spectrum(&sp);
    } else {
        while ((status = msiz_source_next(src, &sp)) == MSIZ_OK)
            print_spectrum(&sp);
    }
    msiz_spectrum_destroy(&sp);
    return status < 0 ? status : MSIZ_OK;
}

int cmd_dump(int argc, char **argv)
{
    static const struct option longopts[] = {{"index", required_argument, NULL, 'i'},
                                             CLI_LOG_LONGOPTS,
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    unsigned long long index = 0;
    int one = 0, c;
    cli_log log;
    cli_log_init(&log);
    while ((c = getopt_long(argc, argv, "i:vh", longopts, NULL)) != -1) {
        int rc = cli_log_option(&log, "dump", c, optarg);
        if (rc < 0)
            return CLI_USAGE;
        if (rc > 0)
            continue;
        if (c == 'i') {
            if (cli_parse_u64(optarg, &index) != 0)
                return cli_usage_error("dump", "--index needs a non-negative integer, not '%s'",
                                       optarg);
            one = 1;
        } else if (c == 'h') {
            dump_usage(stdout);
            return cli_finish_stdout(CLI_OK);
        } else {
            return cli_usage_error("dump", "invalid option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("dump", "dump needs exactly one input FILE%s",
                               cli_log_hint(argc, argv, optind));
    cli_log_install(&log);
    static char buf[1 << 16];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    msiz_source *src;
    msiz_source_opts opts;
    msiz_source_opts_init(&opts);
    opts.bruker_allow_non_imaging = 1; /* peaks of spot and LC runs too (frame i at x = i) */
    msiz_status status = msiz_source_open(argv[optind], &opts, &src);
    if (status < 0)
        return cli_error(status);
    status = dump(src, one, index);
    msiz_source_close(src);
    if (status < 0) {
        fflush(stdout);
        return cli_finish_stdout(cli_error(status));
    }
    return cli_finish_stdout(CLI_OK);
}
