/* msizarr info FILE [--json]: what a source knows before reading spectra, plus the checks the
 * reader ran. Works for any msiz_source; format details come from its metadata JSON. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli_common.h"
#include "msizarr/source.h"

static const char *format_name(msiz_source_format f)
{
    return f == MSIZ_FORMAT_IMZML        ? "imzML"
           : f == MSIZ_FORMAT_BRUKER_TSF ? "Bruker TSF"
                                         : "Bruker TDF";
}

static const char *type_name(msiz_value_type t)
{
    static const char *names[] = {"float32", "float64", "int32",    "int64",
                                  "int8",    "int16",   "tof-index"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

static const char *repr_name(msiz_spectrum_type t)
{
    return t == MSIZ_SPECTRUM_CENTROID  ? "centroid"
           : t == MSIZ_SPECTRUM_PROFILE ? "profile"
                                        : "unknown";
}

static const char *polarity_name(msiz_polarity p)
{
    static const char *names[] = {"unknown", "positive", "negative", "mixed"};
    return (unsigned)p < 4 ? names[p] : "unknown";
}

static const char *mode_of(const msiz_source_info *info, json_t *meta)
{
    const char *mode =
        json_string_value(json_object_get(json_object_get(meta, "format_specific"), "file_mode"));
    return mode ? mode : info->continuous ? "continuous" : "processed";
}

static void print_checks(json_t *meta)
{
    json_t *checks = json_object_get(json_object_get(meta, "format_specific"), "checks");
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

static void print_text(const msiz_source_info *info, json_t *meta)
{
    printf("file:           %s\n", info->path);
    printf("format:         %s\n", format_name(info->format));
    printf("mode:           %s\n", mode_of(info, meta));
    printf("spectra:        %llu\n", (unsigned long long)info->n_spectra);
    printf("total peaks:    %llu\n", (unsigned long long)info->total_peaks);
    printf("grid:           %d x %d x %d\n", info->n_x, info->n_y, info->n_z);
    if (info->has_pixel_size)
        printf("pixel size:     %.17g x %.17g um\n", info->pixel_size_x_um, info->pixel_size_y_um);
    else
        printf("pixel size:     not stated\n");
    if (info->has_mass_range)
        printf("mass range:     %.17g - %.17g\n", info->mz_min, info->mz_max);
    else
        printf("mass range:     not stated (computed during conversion)\n");
    printf("data types:     m/z %s, intensity %s\n", type_name(info->mz_type),
           type_name(info->intensity_type));
    printf("representation: %s (%s)\n", repr_name(info->spectrum_type),
           info->spectrum_type_declared ? "declared" : "not declared");
    printf("polarity:       %s\n", polarity_name(info->polarity));
    print_checks(meta);
}

static json_t *info_json(const msiz_source_info *info, json_t *meta)
{
    json_t *o = json_object();
    json_object_set_new(o, "path", json_string(info->path));
    json_object_set_new(o, "format", json_string(format_name(info->format)));
    json_object_set_new(o, "mode", json_string(mode_of(info, meta)));
    json_object_set_new(o, "n_spectra", json_integer((json_int_t)info->n_spectra));
    json_object_set_new(o, "total_peaks", json_integer((json_int_t)info->total_peaks));
    json_object_set_new(o, "grid", json_pack("[iii]", info->n_x, info->n_y, info->n_z));
    json_object_set_new(o, "pixel_size_um",
                        info->has_pixel_size
                            ? json_pack("[ff]", info->pixel_size_x_um, info->pixel_size_y_um)
                            : json_null());
    json_object_set_new(o, "mass_range",
                        info->has_mass_range ? json_pack("[ff]", info->mz_min, info->mz_max)
                                             : json_null());
    json_object_set_new(o, "mz_type", json_string(type_name(info->mz_type)));
    json_object_set_new(o, "intensity_type", json_string(type_name(info->intensity_type)));
    json_object_set_new(o, "spectrum_type", json_string(repr_name(info->spectrum_type)));
    json_object_set_new(o, "spectrum_type_declared", json_boolean(info->spectrum_type_declared));
    json_object_set_new(o, "polarity", json_string(polarity_name(info->polarity)));
    json_t *checks = json_object_get(json_object_get(meta, "format_specific"), "checks");
    json_object_set(o, "checks", checks ? checks : json_array());
    json_object_set(o, "metadata", meta);
    return o;
}

static int print_info(msiz_source *src, int as_json)
{
    const msiz_source_info *info = msiz_source_get_info(src);
    json_t *meta = json_loads(info->metadata_json ? info->metadata_json : "{}", 0, NULL);
    if (!meta)
        meta = json_object();
    if (as_json) {
        json_t *o = info_json(info, meta);
        char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(o);
    } else {
        print_text(info, meta);
    }
    json_decref(meta);
    return CLI_OK;
}

int cmd_info(int argc, char **argv)
{
    static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
                                             {"verify-checksums", no_argument, NULL, 'c'},
                                             {"verbose", no_argument, NULL, 'v'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int as_json = 0, verbose = 0, c;
    msiz_source_opts opts;
    msiz_source_opts_init(&opts);
    while ((c = getopt_long(argc, argv, "jcvh", longopts, NULL)) != -1) {
        if (c == 'j') {
            as_json = 1;
        } else if (c == 'c') {
            opts.verify_checksums = 1;
        } else if (c == 'v') {
            verbose = 1;
        } else if (c == 'h') {
            printf("usage: msizarr info FILE [--json] [--verify-checksums]\n"
                   "Summarises FILE (imzML or Bruker .d): mode, spectra, grid, pixel size, mass\n"
                   "range, data types, representation, polarity and the checks the reader ran.\n\n"
                   "  -j, --json      one JSON object instead of text\n"
                   "  -c, --verify-checksums  hash the .ibd and compare with the header's\n"
                   "  -v, --verbose   also print informational messages\n"
                   "  -h, --help      this help\n");
            return cli_finish_stdout(CLI_OK);
        } else {
            return cli_usage_error("info", "invalid option");
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("info", "info needs exactly one input FILE");
    cli_install_log(verbose);
    msiz_source *src;
    msiz_status status = msiz_source_open(argv[optind], &opts, &src);
    if (status < 0)
        return cli_error(status);
    int code = print_info(src, as_json);
    msiz_source_close(src);
    return cli_finish_stdout(code);
}
