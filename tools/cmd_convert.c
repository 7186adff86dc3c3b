/* msizarr convert INPUT OUTPUT [options]: options as Thyra names them, then the library. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli_common.h"
#include "msizarr/convert.h"
#include "progress.h"

static volatile int g_cancel;

static void on_signal(int sig)
{
    (void)sig;
    g_cancel = 1;
}

static const char HELP[] =
    "usage: msizarr convert INPUT OUTPUT [options]\n"
    "\n"
    "Convert an imzML file (with its .ibd) or a Bruker timsTOF .d folder into a SpatialData\n"
    "Zarr store, streaming in bounded memory. Options are grouped as Thyra groups them.\n"
    "\n"
    "Conversion:\n"
    "  --pixel-size UM             pixel size in micrometres (default: from the metadata)\n"
    "  --region N                  Bruker: convert only region N (default: all regions)\n"
    "  --resample / --no-resample  resample onto a common mass axis (default: on)\n"
    "  --spectrum-type TYPE        auto | centroid | profile (default: auto)\n"
    "  --duplicates POLICY         error | keep-first: spectra sharing a position (default: "
    "error)\n"
    "\n"
    "Logging:\n"
    "  -v, --log-level LEVEL       error | warning | info | debug (default: warning)\n"
    "  -q, --quiet                 no progress bar or summary (warnings and errors still shown)\n"
    "\n"
    "Resampling (advanced):\n"
    "  --resample-method M         auto | nearest_neighbor | tic_preserving (default: auto)\n"
    "  --mass-axis-type T          auto | constant | linear_tof | reflector_tof | orbitrap | "
    "fticr\n"
    "                              (default: auto)\n"
    "  --resample-bins N           number of bins (default: from the bin width; not with\n"
    "                              --resample-width-at-mz)\n"
    "  --resample-min-mz MZ        lower end of the axis (default: from the data)\n"
    "  --resample-max-mz MZ        upper end of the axis (default: from the data)\n"
    "  --resample-width-at-mz DA   bin width at the reference m/z (default: 0.005 at m/z 1000;\n"
    "                              linear_tof 0.017 at m/z 300)\n"
    "  --resample-reference-mz MZ  reference m/z of --resample-width-at-mz (default: 1000)\n"
    "  --resample-gap-tolerance DA\n"
    "                              tic_preserving: zero bins farther than DA from any peak\n"
    "  --max-mass-axis-length N    --no-resample: cap on distinct m/z values (default: 10000000)\n"
    "\n"
    "Performance:\n"
    "  --sparse-format F           csc | csr (default: csc)\n"
    "  --memory-limit SIZE         memory budget, e.g. 512MiB, 2GiB (default: 512MiB)\n"
    "  --threads N                 worker threads (default: one per core, at most 16)\n"
    "  --temp-dir DIR              folder for spill files (default: $TMPDIR or /tmp)\n"
    "  --chunk-size N              spectra per processing batch (default: 5000)\n"
    "  --streaming MODE            auto | true | false: accepted for Thyra compatibility;\n"
    "                              msizarr always streams\n"
    "\n"
    "Bruker-specific:\n"
    "  --intensity-threshold T     keep peaks with intensity >= T (any input)\n"
    "  --profile-spectra           TSF: convert the profile spectra instead of the line\n"
    "                              (centroid) spectra\n"
    "\n"
    "Output:\n"
    "  --zarr-format N             3 | 2 (default: 3)\n"
    "  --compression SPEC          zstd[:L] | gzip[:L] | blosc-lz4[:L] | blosc-zstd[:L] | none\n"
    "                              (default: zstd level 0, as zarr-python)\n"
    "  --shapes-compression C      snappy | zstd | gzip | none: Parquet pages of the pixel\n"
    "                              shapes (default: snappy, as pyarrow; every reader has it)\n"
    "  --overwrite                 replace OUTPUT if it is a Zarr store (nothing else)\n"
    "\n"
    "Other:\n"
    "  --dataset-id ID             element name prefix (default: msi_dataset)\n"
    "  --handle-3d                 one volume instead of one table per z plane\n"
    "  --z-spacing UM              distance between z planes (default: the pixel size)\n"
    "  -h, --help                  show this help\n";

enum {
    OPT_PIXEL = 256,
    OPT_ID,
    OPT_3D,
    OPT_ZSP,
    OPT_STYPE,
    OPT_THRESH,
    OPT_REGION,
    OPT_DUP,
    OPT_RES,
    OPT_NORES,
    OPT_METHOD,
    OPT_AXIS,
    OPT_BINS,
    OPT_MIN,
    OPT_MAX,
    OPT_WIDTH,
    OPT_REF,
    OPT_GAP,
    OPT_MAXAXIS,
    OPT_SPARSE,
    OPT_ZF,
    OPT_COMP,
    OPT_SHAPES_COMP,
    OPT_OVER,
    OPT_MEM,
    OPT_THREADS,
    OPT_TEMP,
    OPT_CHUNK,
    OPT_STREAMING,
    OPT_PROFILE
};

static const struct option LONGOPTS[] = {
    {"pixel-size", required_argument, NULL, OPT_PIXEL},
    {"dataset-id", required_argument, NULL, OPT_ID},
    {"handle-3d", no_argument, NULL, OPT_3D},
    {"z-spacing", required_argument, NULL, OPT_ZSP},
    {"spectrum-type", required_argument, NULL, OPT_STYPE},
    {"intensity-threshold", required_argument, NULL, OPT_THRESH},
    {"region", required_argument, NULL, OPT_REGION},
    {"duplicates", required_argument, NULL, OPT_DUP},
    {"resample", no_argument, NULL, OPT_RES},
    {"no-resample", no_argument, NULL, OPT_NORES},
    {"resample-method", required_argument, NULL, OPT_METHOD},
    {"mass-axis-type", required_argument, NULL, OPT_AXIS},
    {"resample-bins", required_argument, NULL, OPT_BINS},
    {"resample-min-mz", required_argument, NULL, OPT_MIN},
    {"resample-max-mz", required_argument, NULL, OPT_MAX},
    {"resample-width-at-mz", required_argument, NULL, OPT_WIDTH},
    {"resample-reference-mz", required_argument, NULL, OPT_REF},
    {"resample-gap-tolerance", required_argument, NULL, OPT_GAP},
    {"max-mass-axis-length", required_argument, NULL, OPT_MAXAXIS},
    {"sparse-format", required_argument, NULL, OPT_SPARSE},
    {"zarr-format", required_argument, NULL, OPT_ZF},
    {"compression", required_argument, NULL, OPT_COMP},
    {"shapes-compression", required_argument, NULL, OPT_SHAPES_COMP},
    {"overwrite", no_argument, NULL, OPT_OVER},
    {"memory-limit", required_argument, NULL, OPT_MEM},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"temp-dir", required_argument, NULL, OPT_TEMP},
    {"chunk-size", required_argument, NULL, OPT_CHUNK},
    {"streaming", required_argument, NULL, OPT_STREAMING},
    {"profile-spectra", no_argument, NULL, OPT_PROFILE},
    {"quiet", no_argument, NULL, 'q'},
    {"log-level", required_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

typedef struct cli_state {
    msiz_convert_opts o;
    int quiet, verbosity;
} cli_state;

static int parse_double(const char *name, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end || errno || !isfinite(v))
        return cli_usage_error("convert", "--%s: '%s' is not a number", name, text);
    *out = v;
    return 0;
}

static int parse_count(const char *name, const char *text, unsigned long long *out)
{
    if (cli_parse_u64(text, out) != 0)
        return cli_usage_error("convert", "--%s: '%s' is not a non-negative integer", name, text);
    return 0;
}

static int parse_choice(const char *name, const char *text, const char *const *choices, int *out)
{
    for (int i = 0; choices[i]; i++)
        if (strcasecmp(text, choices[i]) == 0) {
            *out = i;
            return 0;
        }
    return cli_usage_error("convert", "--%s: unknown value '%s'", name, text);
}

/* Options that map onto the resampling request. */
static int resample_option(cli_state *s, int opt, const char *arg)
{
    msiz_resample_request *rq = &s->o.request;
    unsigned long long n = 0;
    if (opt == OPT_METHOD) {
        if (strcmp(arg, "auto") == 0)
            return rq->has_method = 0;
        rq->has_method = 1;
        return msiz_resample_method_parse(arg, &rq->method) < 0
                   ? cli_usage_error("convert", "--resample-method: %s", msiz_last_error())
                   : 0;
    }
    if (opt == OPT_AXIS) {
        if (strcmp(arg, "auto") == 0)
            return rq->has_axis_type = 0;
        rq->has_axis_type = 1;
        return msiz_axis_type_parse(arg, &rq->axis_type) < 0
                   ? cli_usage_error("convert", "--mass-axis-type: %s", msiz_last_error())
                   : 0;
    }
    if (opt == OPT_BINS) {
        if (parse_count("resample-bins", arg, &n))
            return 2;
        if (n == 0)
            return cli_usage_error("convert", "--resample-bins must be > 0");
        rq->bins = n;
        return 0;
    }
    if (opt == OPT_MIN)
        return (rq->has_mz_min = 1, parse_double("resample-min-mz", arg, &rq->mz_min));
    if (opt == OPT_MAX)
        return (rq->has_mz_max = 1, parse_double("resample-max-mz", arg, &rq->mz_max));
    if (opt == OPT_WIDTH)
        return (rq->has_width = 1, parse_double("resample-width-at-mz", arg, &rq->width));
    return parse_double("resample-reference-mz", arg, &rq->reference_mz);
}

static int output_option(cli_state *s, int opt, const char *arg)
{
    static const char *const sparse[] = {"csc", "csr", NULL};
    static const char *const dup[] = {"error", "keep-first", NULL};
    unsigned long long n = 0;
    int choice = 0;
    switch (opt) {
    case OPT_SPARSE:
        if (parse_choice("sparse-format", arg, sparse, &choice))
            return 2;
        s->o.sparse_format = choice ? MSIZ_SPARSE_CSR : MSIZ_SPARSE_CSC;
        return 0;
    case OPT_DUP:
        if (parse_choice("duplicates", arg, dup, &choice))
            return 2;
        s->o.duplicates = choice ? MSIZ_DUPLICATES_KEEP_FIRST : MSIZ_DUPLICATES_ERROR;
        return 0;
    case OPT_ZF:
        if (strcmp(arg, "2") != 0 && strcmp(arg, "3") != 0)
            return cli_usage_error("convert", "--zarr-format must be 2 or 3, not '%s'", arg);
        s->o.zarr_format = arg[0] - '0';
        return 0;
    case OPT_COMP:
        return msiz_compression_parse(arg, &s->o.compression) < 0
                   ? cli_usage_error("convert", "--compression: %s", msiz_last_error())
                   : 0;
    case OPT_SHAPES_COMP:
        return msiz_parquet_codec_parse(arg, &s->o.shapes_codec) < 0
                   ? cli_usage_error("convert", "--shapes-compression: %s", msiz_last_error())
                   : 0;
    case OPT_MEM:
        return msiz_parse_size(arg, &s->o.memory_limit) < 0
                   ? cli_usage_error("convert", "--memory-limit: %s", msiz_last_error())
                   : 0;
    case OPT_THREADS:
        if (parse_count("threads", arg, &n))
            return 2;
        if (n > 256)
            return cli_usage_error("convert", "--threads: at most 256");
        s->o.threads = (int)n;
        return 0;
    case OPT_CHUNK:
        if (parse_count("chunk-size", arg, &n))
            return 2;
        if (n == 0)
            return cli_usage_error("convert", "--chunk-size must be > 0");
        s->o.chunk_size = (size_t)n;
        return 0;
    case OPT_MAXAXIS:
        if (parse_count("max-mass-axis-length", arg, &n))
            return 2;
        s->o.max_mass_axis_length = n;
        return 0;
    }
    return 2;
}

static int input_option(cli_state *s, int opt, const char *arg)
{
    static const char *const stypes[] = {"auto", "centroid", "profile", NULL};
    static const char *const levels[] = {"error", "warning", "info", "debug", NULL};
    static const char *const streaming[] = {"auto", "true", "false", NULL};
    unsigned long long n = 0;
    int choice = 0;
    switch (opt) {
    case OPT_PIXEL:
        s->o.has_pixel_size = 1;
        return parse_double("pixel-size", arg, &s->o.pixel_size_um);
    case OPT_ID: s->o.dataset_id = arg; return 0;
    case OPT_3D: s->o.handle_3d = 1; return 0;
    case OPT_ZSP: s->o.has_z_spacing = 1; return parse_double("z-spacing", arg, &s->o.z_spacing_um);
    case OPT_STYPE:
        if (parse_choice("spectrum-type", arg, stypes, &choice))
            return 2;
        s->o.spectrum_type = (msiz_spectrum_type)choice;
        return 0;
    case OPT_THRESH:
        s->o.has_intensity_threshold = 1;
        return parse_double("intensity-threshold", arg, &s->o.intensity_threshold);
    case OPT_REGION:
        if (parse_count("region", arg, &n))
            return 2;
        if (n > 100000)
            return cli_usage_error("convert", "--region: %llu is not a region number", n);
        s->o.source.region = (int)n;
        return 0;
    case OPT_GAP: return parse_double("resample-gap-tolerance", arg, &s->o.gap_tolerance);
    case OPT_RES: s->o.resample = 1; return 0;
    case OPT_NORES: s->o.resample = 0; return 0;
    case OPT_OVER: s->o.overwrite = 1; return 0;
    case OPT_PROFILE: s->o.source.bruker_profile = 1; return 0;
    case OPT_TEMP: s->o.temp_dir = arg; return 0;
    case 'v':
        if (parse_choice("log-level", arg, levels, &choice))
            return 2;
        s->verbosity = choice - 1; /* error -1, warning 0, info 1, debug 2 */
        return 0;
    case OPT_STREAMING:
        if (parse_choice("streaming", arg, streaming, &choice))
            return 2;
        return 0; /* always streaming: the value changes nothing */
    }
    return -1; /* not an input option */
}

/* Values the library would refuse are usage errors here (exit 2), as Thyra's CLI treats them. */
/* Option values the library would refuse are usage errors here (exit 2), as in Thyra's CLI. */
static int check_values(const cli_state *s)
{
    const msiz_resample_request *rq = &s->o.request;
    if (rq->has_width && rq->bins) /* a command-line rule: the library lets the width win */
        return cli_usage_error("convert", "--resample-bins and --resample-width-at-mz are "
                                          "mutually exclusive");
    if (msiz_convert_opts_check(&s->o) < 0)
        return cli_usage_error("convert", "%s", msiz_last_error());
    return 0;
}

static int parse_args(cli_state *s, int argc, char **argv)
{
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "qv:h", LONGOPTS, NULL)) != -1) {
        int rc;
        if (opt == 'h') {
            fputs(HELP, stdout);
            return -1;
        }
        if (opt == 'q') {
            s->quiet = 1;
            continue;
        }
        if (opt == '?')
            return cli_usage_error("convert", "invalid option");
        rc = input_option(s, opt, optarg);
        if (rc < 0)
            rc = opt >= OPT_METHOD && opt <= OPT_REF ? resample_option(s, opt, optarg)
                                                     : output_option(s, opt, optarg);
        if (rc)
            return CLI_USAGE;
    }
    if (argc - optind != 2)
        return cli_usage_error("convert", "expected INPUT and OUTPUT, got %d argument(s)",
                               argc - optind);
    return check_values(s) ? CLI_USAGE : 0;
}

static void print_summary(const msiz_convert_summary *m, const char *output)
{
    char mem[32], spill[32];
    cli_format_bytes(m->peak_rss_bytes, mem, sizeof mem);
    cli_format_bytes(m->spilled_bytes, spill, sizeof spill);
    fprintf(stderr,
            "msizarr: wrote %s\n  %s\n  %llu pixels (grid %dx%dx%d, %d table%s), %llu bins, "
            "%llu non-zeros\n  %.2f s, peak memory %s, spilled %s\n",
            output, m->plan, (unsigned long long)m->pixels, m->n_x, m->n_y, m->n_z, m->planes,
            m->planes == 1 ? "" : "s", (unsigned long long)m->bins, (unsigned long long)m->nnz,
            m->seconds, mem, spill);
}

int cmd_convert(int argc, char **argv)
{
    cli_state s;
    memset(&s, 0, sizeof s);
    msiz_convert_opts_init(&s.o);
    int rc = parse_args(&s, argc, argv);
    if (rc != 0)
        return rc < 0 ? cli_finish_stdout(CLI_OK) : rc;
    cli_set_log_level((msiz_log_level)(MSIZ_LOG_WARNING + s.verbosity));
    int show_progress = !s.quiet && isatty(STDERR_FILENO);
    if (show_progress)
        s.o.progress = cli_progress;
    s.o.cancel = &g_cancel;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    msiz_convert_summary sum;
    msiz_convert_summary_init(&sum);
    msiz_status st = msiz_convert(argv[optind], argv[optind + 1], &s.o, &sum);
    cli_progress_end();
    if (st < 0)
        return cli_error(st);
    if (show_progress || (!s.quiet && s.verbosity > 0))
        print_summary(&sum, argv[optind + 1]);
    return CLI_OK;
}
