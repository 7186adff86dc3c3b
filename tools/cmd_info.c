/* msizarr info FILE [--json]: what a source knows before reading spectra, plus the checks the
 * reader ran. The library builds the summary (msiz_source_info_json); this prints it. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "cli_common.h"
#include "msizarr/source.h"

/* The text form, read back from the library's JSON summary (one source of names and values). */
static void print_checks(json_t *summary)
{
    json_t *checks = json_object_get(summary, "checks");
    size_t i;
    json_t *c;
    if (!json_is_array(checks) || json_array_size(checks) == 0)
        return;
    printf("checks:\n");
    json_array_foreach(checks, i, c)
    {
        printf("  %-8s %s: %s\n", json_string_value(json_object_get(c, "status")),
               json_string_value(json_object_get(c, "name")),
               json_string_value(json_object_get(c, "detail")));
    }
}

static const char *text_of(json_t *summary, const char *key)
{
    const char *v = json_string_value(json_object_get(summary, key));
    return v ? v : "unknown";
}

static void print_text(const msiz_source_info *info, json_t *summary)
{
    printf("file:           %s\n", info->path);
    printf("format:         %s\n", text_of(summary, "format"));
    printf("mode:           %s\n", text_of(summary, "mode"));
    printf("spectra:        %llu\n", (unsigned long long)info->n_spectra);
    printf("total peaks:    %llu%s\n", (unsigned long long)info->total_peaks,
           info->format == MSIZ_FORMAT_BRUKER_TDF
               ? " (stored over all mobility scans; spectra sum equal TOF indices)"
               : "");
    printf("grid:           %d x %d x %d\n", info->n_x, info->n_y, info->n_z);
    if (info->has_pixel_size)
        printf("pixel size:     %.17g x %.17g um\n", info->pixel_size_x_um, info->pixel_size_y_um);
    else
        printf("pixel size:     not stated\n");
    if (info->has_mass_range)
        printf("mass range:     %.17g - %.17g\n", info->mz_min, info->mz_max);
    else
        printf("mass range:     not stated (computed during conversion)\n");
    printf("data types:     m/z %s, intensity %s\n", text_of(summary, "mz_type"),
           text_of(summary, "intensity_type"));
    printf("representation: %s (%s)\n", text_of(summary, "spectrum_type"),
           info->spectrum_type_declared ? "declared" : "not declared");
    printf("polarity:       %s\n", text_of(summary, "polarity"));
    print_checks(summary);
}

static int print_info(msiz_source *src, int as_json)
{
    const char *text = NULL;
    msiz_status status = msiz_source_info_json(src, &text);
    if (status < 0)
        return cli_error(status);
    if (as_json) {
        printf("%s\n", text);
        return CLI_OK;
    }
    json_t *summary = json_loads(text, 0, NULL);
    if (!summary) {
        fprintf(stderr, "msizarr: error: out of memory\n");
        return CLI_FAILED;
    }
    print_text(msiz_source_get_info(src), summary);
    json_decref(summary);
    return CLI_OK;
}

int cmd_info(int argc, char **argv)
{
    static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
                                             {"verify-checksums", no_argument, NULL, 'c'},
                                             CLI_LOG_LONGOPTS,
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int as_json = 0, c;
    cli_log log;
    cli_log_init(&log);
    msiz_source_opts opts;
    msiz_source_opts_init(&opts);
    opts.bruker_allow_non_imaging = 1; /* describe spot and LC runs (a check says what they are) */
    while ((c = getopt_long(argc, argv, "jcvh", longopts, NULL)) != -1) {
        int rc = cli_log_option(&log, "info", c, optarg);
        if (rc < 0)
            return CLI_USAGE;
        if (rc > 0)
            continue;
        if (c == 'j') {
            as_json = 1;
        } else if (c == 'c') {
            opts.verify_checksums = 1;
        } else if (c == 'h') {
            printf("usage: msizarr info FILE [--json] [--verify-checksums] [-v]\n"
                   "Summarises FILE (imzML or Bruker .d): mode, spectra, grid, pixel size, mass\n"
                   "range, data types, representation, polarity and the checks the reader ran.\n\n"
                   "  -j, --json                  one JSON object instead of text\n"
                   "  -c, --verify-checksums      hash the .ibd and compare with the "
                   "header's\n" CLI_LOG_HELP "  -h, --help                  this help\n");
            return cli_finish_stdout(CLI_OK);
        } else {
            return cli_usage_error("info", "invalid option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("info", "info needs exactly one input FILE%s",
                               cli_log_hint(argc, argv, optind));
    cli_log_install(&log);
    msiz_source *src;
    msiz_status status = msiz_source_open(argv[optind], &opts, &src);
    if (status < 0)
        return cli_error(status);
    int code = print_info(src, as_json);
    msiz_source_close(src);
    return cli_finish_stdout(code);
}
